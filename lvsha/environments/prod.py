"""Production: the original design's values (libvirt's default NAT network, node1-3)."""

from ipaddress import IPv4Network
from pathlib import PurePosixPath

from lvsha.spec import ClusterSpec, Network, Node, NoFencing, Service, SshAccess, Vip

NETWORK = IPv4Network("192.168.122.0/24")

SPEC = ClusterSpec(
    name="prod",
    nodes=tuple(
        Node(name=f"node{i}", address=NETWORK[110 + i], mac=f"52:54:00:6c:76:{i:02x}")
        for i in (1, 2, 3)
    ),
    network=Network(cidr=NETWORK, gateway=NETWORK[1], dns=(NETWORK[1],)),
    vip=Vip(address=NETWORK[100]),
    nic="eth0",
    services=(Service(name="http", port=80),),
    ssh=SshAccess(user="cluster", private_key=PurePosixPath("secrets/prod/id_ed25519")),
    fencing=NoFencing(reason="as the original design; a fence_virsh device is to come"),
    secrets_dir=PurePosixPath("secrets/prod"),
)
