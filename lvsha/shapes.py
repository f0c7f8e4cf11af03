"""Type checks of a spec against its own annotations, before any rule reads a field.

A spec is Python, so nothing stops a string where an address, an enum member or a check
belongs; the rules in `validate` would then crash or, worse, accept it (a string is truthy).
This walks the dataclasses' annotations and names, for each field, the type it expected in the
terms a spec is written in (``IPv4Address("…")``, ``Protocol.TCP``, ``ConnectCheck()``).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from pathlib import PurePosixPath

# How a spec writes a value of each leaf type.
_SPELLING: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    bool: "True or False",
    IPv4Address: 'IPv4Address("a.b.c.d")',
    IPv4Network: 'IPv4Network("a.b.c.d/n")',
    PurePosixPath: 'PurePosixPath("…")',
}


def spelling(hint: object) -> str:
    """How a spec writes a value of type ``hint``."""
    if hint is type(None):
        return "None"
    if isinstance(hint, types.UnionType):
        return " or ".join(spelling(member) for member in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        arguments = typing.get_args(hint)
        if arguments[-1:] == (Ellipsis,):
            return f"a tuple of {spelling(arguments[0])}"
        return f"({', '.join(spelling(argument) for argument in arguments)})"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return " or ".join(f"{hint.__name__}.{member.name}" for member in hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return f"{hint.__name__}(…)"
    return _SPELLING.get(hint, str(hint)) if isinstance(hint, type) else str(hint)


def _matches(value: object, hint: object) -> bool:
    """Whether ``value`` has the outer type ``hint`` (members of tuples are checked apart)."""
    if hint is type(None):
        return value is None
    if isinstance(hint, types.UnionType):
        return any(_matches(value, member) for member in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return isinstance(value, tuple)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(hint, type) and isinstance(value, hint)


def _described(value: object) -> str:
    if isinstance(value, type):
        return f"the class {value.__name__} itself"
    return f"{type(value).__name__} {value!r}"


def problems(value: object, hint: object, path: str) -> Iterator[tuple[str, str]]:
    """(field path, message) for every value in ``value`` that is not of its declared type."""
    if not _matches(value, hint):
        advice = ""
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            advice = f"; write {value.__name__}(…), an instance"
        elif isinstance(value, list) and typing.get_origin(hint) is tuple:
            advice = "; write (a, b, …) instead of [a, b, …]"
        elif typing.get_origin(hint) is tuple and typing.get_args(hint)[-1:] == (Ellipsis,) \
                and _matches(value, typing.get_args(hint)[0]):
            advice = "; a tuple of one needs its comma: write (x,)"
        yield path, f"expected {spelling(hint)}, got {_described(value)}{advice}"
        return
    if isinstance(value, tuple):
        arguments = typing.get_args(hint) if typing.get_origin(hint) is tuple else ()
        members = arguments[:1] * len(value) if arguments[-1:] == (Ellipsis,) else arguments
        if len(members) != len(value):
            yield path, f"expected {len(members)} items, got {len(value)}"
            return
        for index, (item, member) in enumerate(zip(value, members, strict=True)):
            yield from problems(item, member, f"{path}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = typing.get_type_hints(type(value))
        for field in dataclasses.fields(value):
            yield from problems(getattr(value, field.name), hints[field.name],
                                f"{path}.{field.name}" if path else field.name)
