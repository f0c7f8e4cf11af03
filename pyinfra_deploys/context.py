"""The current host's environment and node, from the typed spec (not from loose host.data)."""

from __future__ import annotations

from pyinfra import host

from lvsha import environments
from lvsha.spec import ClusterSpec, Node


def spec() -> ClusterSpec:
    return environments.load(host.data.lvsha_env)


def node() -> Node:
    return spec().node(host.name)


def is_first_node() -> bool:
    """Cluster-wide changes (the CIB) are made once, from the first node of the spec."""
    return host.name == spec().nodes[0].name
