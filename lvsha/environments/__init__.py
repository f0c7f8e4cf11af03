"""The environments lvsha knows, each defined once as a module holding ``SPEC``."""

from __future__ import annotations

import importlib

from lvsha.spec import ClusterSpec

NAMES = ("prod", "lab")


def load(name: str) -> ClusterSpec:
    """The spec of environment ``name``; raises SpecError if it is invalid."""
    if name not in NAMES:
        raise KeyError(f"unknown environment {name!r}; known: {', '.join(NAMES)}")
    spec = importlib.import_module(f"lvsha.environments.{name}").SPEC
    assert isinstance(spec, ClusterSpec)
    return spec
