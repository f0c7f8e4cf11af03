"""A reader for corosync.conf (corosync.conf(5)): nested `name {` sections of `key: value`."""

from __future__ import annotations

from typing import Any


def parse(text: str) -> dict[str, Any]:
    """Sections become dicts; a section name seen twice (node) becomes a list of dicts."""
    root: dict[str, Any] = {}
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            if not name or " " in name:
                raise ValueError(f"line {number}: bad section header {raw!r}")
            section: dict[str, Any] = {}
            parent = stack[-1]
            if name in parent:
                existing = parent[name]
                parent[name] = (existing if isinstance(existing, list) else [existing]) + [section]
            else:
                parent[name] = section
            stack.append(section)
        elif line == "}":
            if len(stack) == 1:
                raise ValueError(f"line {number}: '}}' without a section")
            stack.pop()
        else:
            key, sep, value = line.partition(":")
            if not sep or "{" in value or "}" in value:
                raise ValueError(f"line {number}: not 'key: value': {raw!r}")
            stack[-1][key.strip()] = value.strip()
    if len(stack) != 1:
        raise ValueError("unclosed section")
    return root
