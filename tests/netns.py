"""Throw-away network namespaces for tests that change addresses, sysctls or firewall rules:
the host's own network is never touched, and nothing in them routes anywhere."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch(prefix: str, *setup: list[str]) -> Iterator[str]:
    """A new namespace with lo up, set up by ``ip -n NAME`` commands, deleted afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (["link", "set", "lo", "up"], *setup):
            subprocess.run(["ip", "-n", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)
