"""Whole-spec validation: every problem at once, each naming its field path and the fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import PurePosixPath
from typing import TypeVar
from urllib.parse import urlparse

from lvsha import fence, footprint, render, shapes
from lvsha.spec import (
    ClusterSpec,
    ExternalCheck,
    FenceAgent,
    HttpCheck,
    NoFencing,
    Platform,
    Protocol,
    RealServer,
    Service,
    WatchdogSbd,
)

# The schedulers of Debian 12's kernel (6.1, ip_vs_*.ko); `twos` only arrived in 6.2.
IPVS_SCHEDULERS = frozenset(
    {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}
)
# corosync 3.1 (Debian 12) refuses a token whose retransmit interval, token / (4 + 0.2) with
# the default token_retransmits_before_loss_const, is under 30 ms: `corosync -t` accepts 126,
# refuses 125 (tests/test_render.py). Above 30 s lvsha calls it a mistake: membership would
# re-form only after token + consensus (2.2 x token).
# The largest corosync cluster Red Hat and SUSE support; the keepalived reference's VRRP
# priorities are sized for it.
MAX_NODES = 32
# knet's node ids are 16 bits (corosync.conf(5), nodeid).
MAX_NODEID = 65535
# Diskless sbd: a partition must be able to lose quorum. Watchdog timeouts: sbd feeds the
# watchdog from a loop of about a second, so 1 s leaves a busy node no margin; above a minute a
# hung director holds the VIP that long (lvsha's judgement, not a limit of sbd's).
MIN_SBD_NODES = 3
MIN_WATCHDOG_S = 2
MAX_WATCHDOG_S = 60
MIN_TOKEN_MS = 126
MAX_TOKEN_MS = 30000
NO_QUORUM_POLICIES = frozenset({"stop", "freeze", "ignore", "demote", "suicide"})
# Linux: at most 15 bytes (IFNAMSIZ - 1), no '/', no whitespace, not '.' or '..'.
_IFNAME = re.compile(r"^[A-Za-z0-9_.:-]{1,15}$")
# RFC 1123 host name label, which is also what corosync and pacemaker accept as a node name.
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# A host name (RFC 1123 labels, dotted) or an IPv4 address, as ssh takes it.
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                   r"[A-Za-z0-9])?)*$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_CLUSTER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_SHA512 = re.compile(r"^[0-9a-f]{128}$")
# libvirt's URI syntax for the QEMU driver (libvirt.org/uri.html, drvqemu.html):
# qemu[+transport]://[user@][host][:port]/system|session[?parameters].
_LIBVIRT_QEMU_URI = re.compile(
    r"^qemu(\+(unix|ssh|libssh|libssh2|tcp|tls|ext))?://([^/@\s]+@)?[^/\s]*/(system|session)"
    r"(\?\S*)?$")
# ldirectord.cf strips everything after '#' and quotes values with '"'.
_UNQUOTABLE = re.compile(r'["#\n]')
MIN_MEMORY_MIB = 512


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SpecError(ValueError):
    """A spec with one or more problems; the message lists all of them."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = found
        lines = "\n".join(f"  {p}" for p in found)
        super().__init__(f"invalid cluster spec, {len(found)} problem(s):\n{lines}")


def problems(spec: ClusterSpec) -> list[Problem]:
    """Every problem at once: fields of the wrong type, then every rule whose fields are of
    the right type (a rule reads its fields as their annotations say)."""
    mistyped = [Problem(path, message) for path, message in shapes.problems(spec, ClusterSpec, "")]
    judged = [problem for reads, rule in _RULES
              if not any(_within(p.path, field) for p in mistyped for field in reads)
              for problem in rule(spec)]
    return mistyped + judged


def _within(path: str, field: str) -> bool:
    """Whether ``path`` is ``field`` or lies under it (``services[1].port`` under ``services``)."""
    return path == field or path.startswith((f"{field}.", f"{field}["))


def _positive(path: str, value: int, unit: str) -> Iterator[Problem]:
    if value <= 0:
        yield Problem(path, f"{value!r} is not a positive whole number of {unit}")


T = TypeVar("T", bound=Hashable)


def _repeats(values: Sequence[T]) -> Iterator[tuple[int, int, T]]:
    """(index of first use, index of the repeat, value) for each value used again."""
    first: dict[T, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield first[value], index, value
        else:
            first[value] = index


def _check_name(spec: ClusterSpec) -> Iterator[Problem]:
    if not _CLUSTER_NAME.match(spec.name):
        yield Problem("name", f"{spec.name!r} is not a cluster name (lowercase letters, "
                      "digits, '-' or '_', at most 32, starting with a letter or digit)")


def _check_nic(spec: ClusterSpec) -> Iterator[Problem]:
    if not _IFNAME.match(spec.nic) or spec.nic in {".", ".."}:
        yield Problem("nic", f"{spec.nic!r} is not a Linux interface name "
                      "(1-15 characters of letters, digits, '_', '-', '.', ':')")
    elif spec.nic == "lo":
        yield Problem("nic", "'lo' cannot carry the VIP to clients (every node already holds "
                      "it there as a real server); name the NIC on the network")


def _check_services(spec: ClusterSpec) -> Iterator[Problem]:
    if not spec.services:
        yield Problem("services", "no virtual service; add at least one Service")
    for index, service in enumerate(spec.services):
        yield from _check_service(f"services[{index}]", service)
        if service.real_server is RealServer.DEMO:
            yield from _check_demo(f"services[{index}].real_server", service)
    for first, index, (protocol, port) in _repeats([(s.protocol, s.port)
                                                     for s in spec.services]):
        yield Problem("services", f"{protocol} port {port} of services[{index}] is already "
                      f"used by services[{first}]; give each service its own port")
    for first, index, name in _repeats([s.name for s in spec.services]):
        yield Problem("services", f"service name {name!r} is used twice (services[{first}] "
                      f"and services[{index}]); names must be unique")


def _check_pacemaker(spec: ClusterSpec) -> Iterator[Problem]:
    if spec.resource_stickiness < 0:
        yield Problem("resource_stickiness", f"{spec.resource_stickiness!r} must be a "
                      "whole number >= 0")
    if spec.no_quorum_policy not in NO_QUORUM_POLICIES:
        yield Problem("no_quorum_policy", f"{spec.no_quorum_policy!r} is not one of "
                      f"{', '.join(sorted(NO_QUORUM_POLICIES))}")
    elif spec.no_quorum_policy == "suicide" and isinstance(spec.fencing, NoFencing):
        yield Problem("no_quorum_policy", "'suicide' fences the nodes that lose quorum, and "
                      "this spec has NoFencing (pacemaker refuses the pair); choose fencing, "
                      "or 'stop'")


def _check_secrets_dir(spec: ClusterSpec) -> Iterator[Problem]:
    if ".." in spec.secrets_dir.parts:
        yield Problem("secrets_dir", f"{str(spec.secrets_dir)!r} must not climb out with '..'")


def _check_corosync(spec: ClusterSpec) -> Iterator[Problem]:
    token = spec.corosync.token_ms
    if not MIN_TOKEN_MS <= token <= MAX_TOKEN_MS:
        yield Problem("corosync.token_ms", f"{token!r} ms is outside {MIN_TOKEN_MS}-"
                      f"{MAX_TOKEN_MS}: corosync refuses a token under {MIN_TOKEN_MS} ms, and "
                      f"above {MAX_TOKEN_MS} ms a lost director goes unnoticed for over a "
                      "minute (token + consensus); 1000 is measured to fail over in ~3 s")


# ipvsadm's --syncid is one byte; the timeouts are `ipvsadm --set`'s seconds (0 there means
# "leave as is", so it is no value here), and the ranges are what an operator could mean.
SYNC_LIMITS = {
    "sync_id": (0, 255, "ipvsadm's --syncid is 0-255"),
    "refresh_s": (1, 3600, "a session carrying traffic is synced again at most this often"),
    "tcp_timeout_s": (60, 604800, "how long an idle session keeps its IPVS entry"),
    "tcp_fin_timeout_s": (1, 3600, "how long a closing session keeps its IPVS entry"),
    "udp_timeout_s": (1, 3600, "how long a UDP flow keeps its IPVS entry"),
}


def _check_sync(spec: ClusterSpec) -> Iterator[Problem]:
    for name, (low, high, why) in SYNC_LIMITS.items():
        value = getattr(spec.sync, name)
        if not low <= value <= high:
            yield Problem(f"sync.{name}", f"{value!r} is outside {low}-{high} ({why})")


def _check_network(spec: ClusterSpec) -> Iterator[Problem]:
    net = spec.network
    if net.cidr.prefixlen > 29:
        yield Problem("network.cidr", f"{net.cidr} is too small for 3 nodes, a VIP and a "
                      "gateway; use a /29 or larger")
    if net.gateway not in net.cidr:
        yield Problem("network.gateway", f"{net.gateway} is not inside {net.cidr}")
    elif net.gateway in (net.cidr.network_address, net.cidr.broadcast_address):
        yield Problem("network.gateway", f"{net.gateway} is the network or broadcast "
                      f"address of {net.cidr}; pick a host address")


def _host_address_problem(spec: ClusterSpec, address: IPv4Address) -> str | None:
    """Why ``address`` cannot be a host on the spec's network, or None if it can."""
    net = spec.network
    if address not in net.cidr:
        return f"{address} is not inside network {net.cidr}"
    if address == net.cidr.network_address:
        return f"{address} is the network address of {net.cidr}"
    if address == net.cidr.broadcast_address:
        return f"{address} is the broadcast address of {net.cidr}"
    if address == net.gateway:
        return f"{address} is the gateway's address"
    return None


def _check_nodes(spec: ClusterSpec) -> Iterator[Problem]:
    count = len(spec.nodes)
    if count < 2 or (count == 2 and not spec.two_node):
        yield Problem("nodes", f"{count} node(s): a cluster needs at least 3 for quorum "
                      "(2 only with two_node=True)")
    if count > MAX_NODES:
        yield Problem("nodes", f"{count} nodes: lvsha supports at most {MAX_NODES} (the largest "
                      "corosync cluster its vendors support)")
    if spec.two_node and count != 2:
        yield Problem("two_node", f"two_node=True needs exactly 2 nodes, not {count}")
    for index, node in enumerate(spec.nodes):
        path = f"nodes[{index}]"
        if not _HOSTNAME.match(node.name):
            yield Problem(f"{path}.name", f"{node.name!r} is not a host name (lowercase "
                          "letters, digits and '-', 1-63, not starting or ending with '-')")
        why = _host_address_problem(spec, node.address)
        if why:
            yield Problem(f"{path}.address", why)
        elif spec.corosync_nodeid(node) > MAX_NODEID:
            yield Problem(f"{path}.address", f"{node.address} is host {spec.corosync_nodeid(node)}"
                          f" of {spec.network.cidr}, and corosync's knet takes node ids up to "
                          f"{MAX_NODEID} (lvsha uses the host part); use a /16 or smaller "
                          "network")
        if not _MAC.match(node.mac):
            yield Problem(f"{path}.mac", f"{node.mac!r} is not a MAC address; write six "
                          "lowercase hex pairs like '52:54:00:12:34:56'")
        else:
            first = int(node.mac[:2], 16)
            if first & 1:
                yield Problem(f"{path}.mac", f"{node.mac} is a multicast MAC; the first "
                              "octet must be even")
            elif not first & 2:
                yield Problem(f"{path}.mac", f"{node.mac} is not locally administered; use "
                              "a first octet with bit 1 set, e.g. '52:54:00:...'")
    for label in ("name", "address", "mac"):
        for first, index, value in _repeats([getattr(n, label) for n in spec.nodes]):
            yield Problem(f"nodes[{index}].{label}", f"{value} is already used by "
                          f"nodes[{first}]; each node needs its own {label}")


def _check_vip(spec: ClusterSpec) -> Iterator[Problem]:
    vip = spec.vip
    why = _host_address_problem(spec, vip.address)
    if why:
        yield Problem("vip.address", why)
    for index, node in enumerate(spec.nodes):
        if node.address == vip.address:
            yield Problem("vip.address", f"{vip.address} is nodes[{index}]'s address; the "
                          "VIP must be an address of its own")
    if not 1 <= vip.prefix <= 32:
        yield Problem("vip.prefix", f"{vip.prefix!r} is not a prefix length (1-32)")
    elif vip.prefix < spec.network.cidr.prefixlen:
        yield Problem("vip.prefix", f"/{vip.prefix} is wider than the network "
                      f"{spec.network.cidr}; use /{spec.network.cidr.prefixlen} or 32")


def _check_demo(path: str, service: Service) -> Iterator[Problem]:
    daemon = footprint.NODE_DAEMON_PORTS.get((service.protocol.value, service.port))
    if daemon:
        yield Problem(path, f"{service.protocol}/{service.port} is held by {daemon} on every "
                      f"node, so the demo server cannot listen there; {daemon} is the real "
                      "server already (RealServer.EXISTING), or pick another port")
    elif service.protocol is not Protocol.TCP:
        yield Problem(path, "the demo server answers TCP only; a UDP service needs its own "
                      "server on every node (RealServer.EXISTING)")


def _check_service(path: str, service: Service) -> Iterator[Problem]:
    if not _HOSTNAME.match(service.name):
        yield Problem(f"{path}.name", f"{service.name!r} is not a service name (lowercase "
                      "letters, digits and '-')")
    if not 1 <= service.port <= 65535:
        yield Problem(f"{path}.port", f"{service.port!r} is not a port (1-65535)")
    if service.scheduler not in IPVS_SCHEDULERS:
        yield Problem(f"{path}.scheduler", f"{service.scheduler!r} is not an IPVS scheduler "
                      f"of the kernel; use one of {', '.join(sorted(IPVS_SCHEDULERS))}")
    if service.persistence_timeout is not None:
        yield from _positive(f"{path}.persistence_timeout", service.persistence_timeout,
                             "seconds (or None for no persistence)")
    yield from _positive(f"{path}.check_interval", service.check_interval, "seconds")
    yield from _positive(f"{path}.check_timeout", service.check_timeout, "seconds")
    if service.check_timeout >= service.check_interval:
        yield Problem(f"{path}.check_timeout", f"{service.check_timeout} s is not shorter "
                      f"than check_interval ({service.check_interval} s); lower it")
    check = service.check
    if isinstance(check, HttpCheck):
        if not check.path.startswith("/") or _UNQUOTABLE.search(check.path) or " " in check.path:
            yield Problem(f"{path}.check.path", f"{check.path!r} must start with '/' and "
                          "hold no spaces, quotes or '#'")
        if not check.expect:
            yield Problem(f"{path}.check.expect", "empty: ldirectord's http check needs text "
                          "the response must contain (it rejects an empty receive string); "
                          "write HttpCheck(expect='...')")
        elif _UNQUOTABLE.search(check.expect):
            yield Problem(f"{path}.check.expect", f"{check.expect!r} must hold no quotes, "
                          "'#' or line breaks (ldirectord.cf cannot carry them)")
        if service.protocol is Protocol.UDP:
            yield Problem(f"{path}.check", "an HTTP check needs protocol tcp; use "
                          "ConnectCheck or ExternalCheck for udp")
    elif isinstance(check, ExternalCheck):
        if not check.command.is_absolute() or _UNQUOTABLE.search(str(check.command)):
            yield Problem(f"{path}.check.command", f"{str(check.command)!r} must be an "
                          "absolute path on the nodes, with no quotes or '#'")


def _check_ssh(spec: ClusterSpec) -> Iterator[Problem]:
    if not _USER.match(spec.ssh.user):
        yield Problem("ssh.user", f"{spec.ssh.user!r} is not a Linux user name")
    elif spec.ssh.user == "root":
        yield Problem("ssh.user", "'root' cannot be the deploy user; use an unprivileged "
                      "user with sudo")
    if not spec.ssh.private_key.name:
        yield Problem("ssh.private_key", "empty path; name the private key file")
    elif spec.ssh.private_key.suffix == ".pub":
        yield Problem("ssh.private_key", f"{str(spec.ssh.private_key)!r} is a public key; "
                      "name the private key (its .pub is read from beside it)")


def _check_fencing(spec: ClusterSpec) -> Iterator[Problem]:
    fencing = spec.fencing
    if isinstance(fencing, NoFencing):
        if not fencing.reason.strip():
            yield Problem("fencing.reason", "running without STONITH needs a stated reason")
        return
    if isinstance(fencing, FenceAgent):
        yield from _check_fence_agent(fencing)
        return
    if isinstance(fencing, WatchdogSbd):
        yield from _check_watchdog_sbd(spec, fencing)
        return
    if spec.platform is Platform.LAB and render.fence_virsh_host(spec, fencing) != str(
            spec.network.gateway):
        yield Problem("fencing.host", f"the lab's virsh host (lab/virsh_host.py) listens on "
                      f"the network's gateway {spec.network.gateway}; leave host unset")
    if not _USER.match(fencing.user):
        yield Problem("fencing.user", f"{fencing.user!r} is not a Linux user name on the "
                      "libvirt host")
    if not fencing.identity_file.name:
        yield Problem("fencing.identity_file", "empty path; name the private key file")
    elif fencing.identity_file.suffix == ".pub":
        yield Problem("fencing.identity_file", f"{str(fencing.identity_file)!r} is a public "
                      "key; name the private key (its .pub goes to the libvirt host)")
    if fencing.host is not None and not _HOST.match(fencing.host):
        yield Problem("fencing.host", f"{fencing.host!r} is not a host name or IPv4 address")
    device = render.fence_device(spec)
    assert device is not None
    yield from _check_fence_agent(device)


def _check_watchdog_sbd(spec: ClusterSpec, fencing: WatchdogSbd) -> Iterator[Problem]:
    # Without quorum to lose, a cut-off node would keep feeding its watchdog and its VIP.
    if spec.two_node is True or len(spec.nodes) < MIN_SBD_NODES:
        two_node = " and two_node" if spec.two_node is True else ""
        yield Problem("fencing", f"diskless sbd resets a node when its partition loses quorum; "
                      f"with {len(spec.nodes)} node(s){two_node} a cut-off node keeps it. Use "
                      f"{MIN_SBD_NODES} nodes or more, or a fence device (FenceVirsh, FenceAgent)")
    if not MIN_WATCHDOG_S <= fencing.watchdog_timeout_s <= MAX_WATCHDOG_S:
        yield Problem("fencing.watchdog_timeout_s", f"{fencing.watchdog_timeout_s!r} s is outside "
                      f"{MIN_WATCHDOG_S}-{MAX_WATCHDOG_S}: sbd feeds the watchdog about once a "
                      "second, and a hung director keeps the VIP until the watchdog fires")
    if fencing.device.parent != PurePosixPath("/dev") or not fencing.device.name:
        yield Problem("fencing.device", f"{str(fencing.device)!r} is not a device in /dev; "
                      "the watchdog is /dev/watchdog or /dev/watchdogN")
    if spec.no_quorum_policy == "ignore":
        yield Problem("no_quorum_policy", "'ignore' keeps resources running where sbd is about "
                      "to reset the node for losing quorum; use 'stop' with WatchdogSbd")


def _check_fence_agent(device: FenceAgent) -> Iterator[Problem]:
    """What the agent's own meta-data requires of its parameters."""
    names = [name for name, _ in device.params]
    for first, again, name in _repeats(names):
        yield Problem(f"fencing.params[{again}]", f"{name!r} is given again (first at "
                      f"params[{first}]); give each parameter once")
    for parameter, message in fence.problems(device.agent, names):
        yield Problem("fencing.params" if parameter else "fencing.agent", message)


def _check_vm(spec: ClusterSpec) -> Iterator[Problem]:
    vm = spec.vm
    if vm.memory_mib < MIN_MEMORY_MIB:
        yield Problem("vm.memory_mib", f"{vm.memory_mib!r} MiB is below the "
                      f"{MIN_MEMORY_MIB} MiB pacemaker and corosync need")
    yield from _positive("vm.vcpus", vm.vcpus, "CPUs")
    yield from _positive("vm.disk_gib", vm.disk_gib, "GiB")
    scheme = urlparse(vm.image_url).scheme
    if scheme not in {"http", "https", "file"}:
        yield Problem("vm.image_url", f"{vm.image_url!r} is not an http(s):// or file:// URL")
    if vm.image_sha512 is not None and not _SHA512.match(vm.image_sha512):
        yield Problem("vm.image_sha512", "not 128 lowercase hex digits; paste the image's "
                      "SHA512SUMS entry or leave None")
    if not _LIBVIRT_QEMU_URI.match(spec.libvirt.uri):
        yield Problem("libvirt.uri", f"{spec.libvirt.uri!r} is not a libvirt URI of the QEMU "
                      "driver; write qemu:///system, or qemu+ssh://user@host/system")
    if not spec.libvirt.pool_dir.is_absolute():
        yield Problem("libvirt.pool_dir", f"{str(spec.libvirt.pool_dir)!r} must be an "
                      "absolute path on the libvirt host")


Rule = Callable[[ClusterSpec], Iterator[Problem]]
# Each rule and the fields it reads: it runs unless one of them has the wrong type.
_RULES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    (("name",), _check_name),
    (("network",), _check_network),
    (("nodes", "two_node", "network"), _check_nodes),
    (("vip", "nodes", "network"), _check_vip),
    (("nic",), _check_nic),
    (("services",), _check_services),
    (("ssh",), _check_ssh),
    (("fencing", "platform", "libvirt", "network", "nodes"), _check_fencing),
    (("corosync",), _check_corosync),
    (("sync",), _check_sync),
    (("vm", "libvirt"), _check_vm),
    (("resource_stickiness", "no_quorum_policy", "fencing"), _check_pacemaker),
    (("secrets_dir",), _check_secrets_dir),
)
