"""The environments lvsha knows: every module here holding a ``SPEC`` is one, found by name
(a new environment is a new module and its inventory, nothing else)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from lvsha.spec import ClusterSpec

NAMES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                     if not m.name.startswith("_")))


def source(name: str) -> Path:
    """The file that defines environment ``name``."""
    return Path(__file__).with_name(f"{name}.py")


def load(name: str) -> ClusterSpec:
    """The spec of environment ``name``; raises SpecError if it is invalid."""
    if name not in NAMES:
        raise KeyError(f"unknown environment {name!r}; known: {', '.join(NAMES)}")
    spec = importlib.import_module(f"lvsha.environments.{name}").SPEC
    assert isinstance(spec, ClusterSpec)
    return spec
