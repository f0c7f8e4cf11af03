"""The typed description of one lvsha cluster.

A ``ClusterSpec`` is the only place a fact about an environment lives: the Terraform
stacks, the pyinfra inventory and every rendered file derive from it. Building one
validates it as a whole, so a bad spec never gets as far as touching a machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from pathlib import PurePosixPath

DEBIAN_12_CLOUD_IMAGE = (
    "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"
)


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"


class RealServer(StrEnum):
    """What answers a service's port on every node (each node is one of its real servers)."""

    EXISTING = "existing"  # the node's own daemon (an SSH farm's sshd): lvsha installs nothing
    DEMO = "demo"  # lvsha's demo server (the lab): answers each TCP connection with its name


class Platform(StrEnum):
    """What `cdktf deploy <environment>` creates the nodes on."""

    LIBVIRT = "libvirt"  # VMs on a libvirt host (stacks/prod.py)
    LAB = "lab"  # qemu VMs in a network namespace on this machine (stacks/lab.py, lab/)


@dataclass(frozen=True)
class ConnectCheck:
    """A real server is alive when a TCP connect (or UDP send) to its port succeeds."""


@dataclass(frozen=True)
class HttpCheck:
    """A real server is alive when GET ``path`` returns a body containing ``expect``."""

    path: str = "/"
    expect: str = ""
    https: bool = False

    @property
    def pattern(self) -> str:
        """``expect`` as the regular expression ldirectord (perl) and keepalived (PCRE2) match
        the body with: escaped, so '1+1' or 'a (b)' is found as written, never a bad regex."""
        return re.escape(self.expect)


@dataclass(frozen=True)
class ExternalCheck:
    """A real server is alive when ``command`` (run by ldirectord) exits 0."""

    command: PurePosixPath


HealthCheck = ConnectCheck | HttpCheck | ExternalCheck


@dataclass(frozen=True)
class Service:
    """One IPVS virtual service on the VIP, balanced over every node."""

    name: str
    port: int
    protocol: Protocol = Protocol.TCP
    scheduler: str = "lc"
    persistence_timeout: int | None = None
    check: HealthCheck = field(default_factory=ConnectCheck)
    check_interval: int = 10
    check_timeout: int = 3
    quiescent: bool = True
    real_server: RealServer = RealServer.EXISTING


@dataclass(frozen=True)
class Node:
    """A cluster member: director candidate and real server at once."""

    name: str
    address: IPv4Address
    mac: str


@dataclass(frozen=True)
class Network:
    """The one L2 segment shared by clients, director and real servers (LVS-DR needs it)."""

    cidr: IPv4Network
    gateway: IPv4Address
    dns: tuple[IPv4Address, ...] = ()


@dataclass(frozen=True)
class Vip:
    """The virtual address; a /32 keeps it from adding a second route for the subnet."""

    address: IPv4Address
    prefix: int = 32


@dataclass(frozen=True)
class SshAccess:
    """How the operator's machine reaches every node."""

    user: str
    private_key: PurePosixPath

    @property
    def public_key(self) -> PurePosixPath:
        return self.private_key.with_name(self.private_key.name + ".pub")


@dataclass(frozen=True)
class Corosync:
    """Totem timing; a 1000 ms token fails over in ~3 s (measured, see lab notes)."""

    token_ms: int = 1000


@dataclass(frozen=True)
class ConnectionSync:
    """IPVS connection sync: the director sends every connection's state to the other nodes
    (the kernel's sync daemons, multicast on the NIC), so a new director forwards established
    sessions to the real servers they were on instead of delivering them locally (a reset).

    ``refresh_s``: a connection is synced again at most this often while it carries traffic
    (the kernel's default, every 50th packet, can leave an interactive session unsynced for
    minutes). ``tcp_timeout_s``: how long IPVS keeps an idle established session; the kernel's
    900 s drops a quiet SSH or RDP session's entry, and its next packet is then scheduled anew.
    The default outlasts the kernel's TCP keepalive time (7200 s), so a session kept alive by
    keepalives never loses its entry.
    """

    sync_id: int = 1
    refresh_s: int = 10
    tcp_timeout_s: int = 7800
    tcp_fin_timeout_s: int = 120
    udp_timeout_s: int = 300


@dataclass(frozen=True)
class NoFencing:
    """Run without STONITH. Only valid when the spec says so on purpose."""

    reason: str


@dataclass(frozen=True)
class FenceAgent:
    """A STONITH device: any fence-agents agent with its parameters, checked against the
    agent's own meta-data. Pacemaker passes the action and the target itself."""

    agent: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FenceVirsh:
    """fence_virsh: to fence a node, pacemaker logs in to the libvirt host over SSH and resets
    the node's VM with virsh (the VMs `cdktf deploy` made, so their names come from the stack).

    ``identity_file`` is the private key on the operator's machine (relative to the checkout;
    generated when missing); the deploy copies it to every node, mode 0600, and its ``.pub``
    belongs in ``user``'s authorized_keys on the host. A user other than root runs virsh
    through sudo. ``host`` is how the nodes reach the libvirt host; unset, it is the libvirt
    URI's host, or for a local URI the network's gateway (where libvirt's NAT network puts it).
    ``power_on``: a fenced VM is started again (pacemaker's reboot); False leaves it off until
    someone starts it (`pcmk_reboot_action=off`), for a look at it before it rejoins, and so
    that its boot does not compete with the survivors' takeover for the host's CPUs.
    """

    user: str
    identity_file: PurePosixPath
    host: str | None = None
    power_on: bool = True


@dataclass(frozen=True)
class WatchdogSbd:
    """Diskless sbd: every node runs sbd, which feeds the node's watchdog only while the node
    is healthy and its partition has quorum. A node that hangs, or is cut off, stops feeding it
    and is reset within ``watchdog_timeout_s``; the others count it fenced once pacemaker's
    ``stonith-watchdog-timeout`` (twice that) has passed. No fence hardware, but the watchdog
    must fire when the whole machine is frozen: a hardware one, or a hypervisor's emulated one
    (qemu's i6300esb, the lab's), not the kernel's softdog. Needs quorum to mean something:
    3 nodes or more, not two_node.
    """

    watchdog_timeout_s: int = 5
    device: PurePosixPath = PurePosixPath("/dev/watchdog")

    @property
    def stonith_watchdog_timeout_s(self) -> int:
        """Pacemaker's wait before it counts a lost node as reset: twice the watchdog's, as
        sbd's and pacemaker's documentation advise (it must exceed it)."""
        return 2 * self.watchdog_timeout_s


Fencing = NoFencing | FenceAgent | FenceVirsh | WatchdogSbd


@dataclass(frozen=True)
class VmShape:
    """What a node's VM is made of, for the stacks that create VMs.

    With ``image_sha512`` unset, the image is checked against the SHA512SUMS file published
    beside it (Debian's layout), so the default image is verified without pinning a date.
    """

    memory_mib: int = 1024
    vcpus: int = 1
    disk_gib: int = 8
    image_url: str = DEBIAN_12_CLOUD_IMAGE
    image_sha512: str | None = None


@dataclass(frozen=True)
class LibvirtHost:
    """The libvirt host the production stack creates VMs on."""

    uri: str = "qemu:///system"
    pool_dir: PurePosixPath = PurePosixPath("/var/lib/libvirt/images")


@dataclass(frozen=True)
class ClusterSpec:
    """Everything lvsha knows about one environment. Validated when built."""

    name: str
    nodes: tuple[Node, ...]
    network: Network
    vip: Vip
    services: tuple[Service, ...]
    ssh: SshAccess
    fencing: Fencing
    platform: Platform = Platform.LIBVIRT
    nic: str = "eth0"
    corosync: Corosync = field(default_factory=Corosync)
    sync: ConnectionSync = field(default_factory=ConnectionSync)
    vm: VmShape = field(default_factory=VmShape)
    libvirt: LibvirtHost = field(default_factory=LibvirtHost)
    secrets_dir: PurePosixPath = PurePosixPath("secrets")
    two_node: bool = False
    resource_stickiness: int = 100
    no_quorum_policy: str = "stop"

    def __post_init__(self) -> None:
        # Imported here because the validator itself imports these dataclasses.
        from lvsha.validate import SpecError, problems

        found = problems(self)
        if found:
            raise SpecError(found)

    def vm_name(self, node: Node) -> str:
        """The name of ``node``'s VM: given by the prod stack, fenced by fence_virsh."""
        return f"{self.name}-{node.name}"

    def corosync_nodeid(self, node: Node) -> int:
        """corosync's id for ``node``: its address's host part on the network. It stays the
        node's own while others come and go, which a nodelist change taken at a reload needs
        (every node that stays keeps its id)."""
        return int(node.address) - int(self.network.cidr.network_address)

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"{self.name} has no node {name!r}")
