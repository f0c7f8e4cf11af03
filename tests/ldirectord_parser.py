"""A reader for ldirectord.cf, written from ldirectord(8): the tests parse what lvsha renders."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Virtual:
    address: str
    reals: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class LdirectordConfig:
    globals: dict[str, str] = field(default_factory=dict)
    virtuals: list[Virtual] = field(default_factory=list)


def parse(text: str) -> LdirectordConfig:
    """Globals are unindented key=value; a virtual= line opens a section of indented lines.

    As in ldirectord, everything after '#' is a comment and a blank line ends a section.
    """
    config = LdirectordConfig()
    in_section = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            in_section = in_section and raw.strip().startswith("#")
            continue
        key, sep, value = line.strip().partition("=")
        if not sep:
            raise ValueError(f"line {number}: no '=' in {raw!r}")
        if raw[0] in " \t":
            if not in_section:
                raise ValueError(f"line {number}: indented line outside a virtual section")
            section = config.virtuals[-1]
            if key == "real":
                address, method = value.split()
                section.reals.append((address, method))
            elif key in section.options:
                raise ValueError(f"line {number}: {key} given twice in one virtual section")
            else:
                section.options[key] = value
        elif key == "virtual":
            config.virtuals.append(Virtual(address=value))
            in_section = True
        else:
            in_section = False
            config.globals[key] = value
    return config
