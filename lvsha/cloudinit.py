"""Cloud-init NoCloud documents for a node: the one first-boot path of prod and the lab."""

from __future__ import annotations

from dataclasses import dataclass

from lvsha import render as renderers
from lvsha.spec import ClusterSpec, Node
from lvsha.templates import render


@dataclass(frozen=True)
class Seed:
    user_data: str
    meta_data: str
    network_config: str


def seed(spec: ClusterSpec, node: Node, ssh_public_key: str) -> Seed:
    """The NoCloud seed that makes ``node`` reachable over SSH as the spec's user."""
    key = ssh_public_key.strip()
    if not key or "\n" in key:
        raise ValueError(f"ssh.private_key: the public key for {node.name} must be one line, "
                         "as in an authorized_keys file")
    context = {"spec": spec, "node": node, "ssh_public_key": key,
               "etc_hosts": renderers.etc_hosts(spec)}
    return Seed(
        user_data=render("cloud-init/user-data.j2", **context),
        meta_data=render("cloud-init/meta-data.j2", **context),
        network_config=render("cloud-init/network-config.j2", **context),
    )
