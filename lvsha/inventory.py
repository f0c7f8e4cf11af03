"""The pyinfra inventory of an environment: one host per node and how to reach it.

Hosts carry only connection data and the environment's name; deploys load the typed spec
by that name instead of reading loose values out of host.data.
"""

from __future__ import annotations

from pathlib import Path

from lvsha.spec import ClusterSpec

HostData = dict[str, str]


def hosts(spec: ClusterSpec, base: Path) -> list[tuple[str, HostData]]:
    """``base`` anchors the spec's relative paths (the repository root)."""
    key = base / Path(spec.ssh.private_key).expanduser()
    return [
        (node.name, {
            "ssh_hostname": str(node.address),
            "ssh_user": spec.ssh.user,
            "ssh_key": str(key),
            "ssh_known_hosts_file": str(base / spec.secrets_dir / "known_hosts"),
            "ssh_strict_host_key_checking": "accept-new",
            "lvsha_env": spec.name,
        })
        for node in spec.nodes
    ]
