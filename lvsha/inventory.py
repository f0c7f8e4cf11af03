"""The pyinfra inventory of an environment: one host per node and how to reach it.

Hosts carry only connection data and the environment's name; deploys load the typed spec
by that name instead of reading loose values out of host.data.
"""

from __future__ import annotations

from lvsha import paths
from lvsha.spec import ClusterSpec

HostData = dict[str, str]


def hosts(spec: ClusterSpec) -> list[tuple[str, HostData]]:
    return [
        (node.name, {
            "ssh_hostname": str(node.address),
            "ssh_user": spec.ssh.user,
            "ssh_key": str(paths.private_key(spec)),
            "ssh_known_hosts_file": str(paths.known_hosts(spec)),
            "ssh_strict_host_key_checking": "accept-new",
            "lvsha_env": spec.name,
        })
        for node in spec.nodes
    ]
