"""Production: the original design's values (libvirt's default NAT network, node1-3)."""

from ipaddress import IPv4Network
from pathlib import PurePosixPath

from lvsha.spec import ClusterSpec, FenceVirsh, Network, Node, Service, SshAccess, Vip

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
    # The libvirt host is the network's gateway (libvirt's default NAT network); its user
    # `lvsha-fence` runs virsh through sudo with the key the deploy generates.
    fencing=FenceVirsh(user="lvsha-fence",
                       identity_file=PurePosixPath("secrets/prod/fence_virsh")),
    secrets_dir=PurePosixPath("secrets/prod"),
)
