"""An SSH farm behind the VIP: what its users' SSH clients must be able to trust.

Each node's sshd answers the VIP with its own host key, so a client that connected through
the VIP once would warn of a changed key whenever the director sends it to another node. The
ecosystem's answer is OpenSSH's host certificates: the environment's host CA signs every
node's own key for the names a client may use (the VIP, the node's name and address), and
users trust the CA with one `@cert-authority` line in known_hosts. No private key is shared
between nodes, and a node added later is signed by the same CA.
"""

from __future__ import annotations

from lvsha.spec import ClusterSpec, Node, Protocol, RealServer, Service

SSH_PORT = 22


def farm_services(spec: ClusterSpec) -> tuple[Service, ...]:
    """The spec's services answered by the nodes' own sshd."""
    return tuple(s for s in spec.services if (s.protocol, s.port, s.real_server)
                 == (Protocol.TCP, SSH_PORT, RealServer.EXISTING))


def principals(spec: ClusterSpec, node: Node) -> tuple[str, ...]:
    """The names a node's host certificate is valid for."""
    return (str(spec.vip.address), node.name, str(node.address))


def key_id(spec: ClusterSpec, node: Node) -> str:
    return f"lvsha-{spec.name}-{node.name}"


def known_hosts_line(spec: ClusterSpec, ca_public_key: str) -> str:
    """The one line a farm user adds to known_hosts: the CA, for the VIP and every node."""
    hosts = ",".join([str(spec.vip.address)] + [str(n.address) for n in spec.nodes]
                     + [n.name for n in spec.nodes])
    return f"@cert-authority {hosts} {ca_public_key.strip()}\n"
