"""The spec rejects bad input with every problem named by field path, before anything runs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from lvsha import environments
from lvsha.spec import (
    ClusterSpec,
    Corosync,
    ExternalCheck,
    FenceAgent,
    FenceVirsh,
    HttpCheck,
    LibvirtHost,
    Network,
    NoFencing,
    Protocol,
    RealServer,
    Service,
    SshAccess,
    Vip,
    VmShape,
    WatchdogSbd,
)
from lvsha.validate import SpecError

LAB = environments.load("lab")
REPO = Path(__file__).resolve().parent.parent


def with_service(**changes: Any) -> Callable[[ClusterSpec], ClusterSpec]:
    """A second service, changed as given, so the path says services[1]."""
    def change(spec: ClusterSpec) -> ClusterSpec:
        extra = dataclasses.replace(Service(name="rdp", port=3389), **changes)
        return dataclasses.replace(spec, services=(spec.services[0], extra))
    return change


def with_node(index: int, **changes: Any) -> Callable[[ClusterSpec], ClusterSpec]:
    def change(spec: ClusterSpec) -> ClusterSpec:
        nodes = list(spec.nodes)
        nodes[index] = dataclasses.replace(nodes[index], **changes)
        return dataclasses.replace(spec, nodes=tuple(nodes))
    return change


def with_(**changes: Any) -> Callable[[ClusterSpec], ClusterSpec]:
    return lambda spec: dataclasses.replace(spec, **changes)


NET = LAB.network.cidr
BAD_SPECS: list[tuple[str, Callable[[ClusterSpec], ClusterSpec], str, str]] = [
    ("port too high", with_service(port=70000), "services[1].port", "not a port (1-65535)"),
    ("port zero", with_service(port=0), "services[1].port", "not a port"),
    ("port as text", with_service(port="80"), "services[1].port",
     "expected a whole number, got str"),
    ("unknown scheduler", with_service(scheduler="fastest"), "services[1].scheduler",
     "not an IPVS scheduler"),
    ("http check expects nothing", with_service(check=HttpCheck()),
     "services[1].check.expect", "rejects an empty receive string"),
    ("demo on sshd's port", with_service(port=22, real_server=RealServer.DEMO),
     "services[1].real_server", "held by sshd"),
    ("demo on udp", with_service(protocol=Protocol.UDP, real_server=RealServer.DEMO),
     "services[1].real_server", "answers TCP only"),
    ("timeout = interval", with_service(check_interval=3, check_timeout=3),
     "services[1].check_timeout", "not shorter than check_interval"),
    ("negative interval", with_service(check_interval=-1), "services[1].check_interval",
     "not a positive"),
    ("zero timeout", with_service(check_timeout=0), "services[1].check_timeout", "positive"),
    ("zero persistence", with_service(persistence_timeout=0),
     "services[1].persistence_timeout", "positive"),
    ("protocol as text", with_service(protocol="sctp"), "services[1].protocol",
     "Protocol.TCP"),
    ("duplicate tcp port", with_service(port=80), "services", "tcp port 80"),
    ("duplicate service name", with_service(name="http"), "services", "'http' is used twice"),
    ("service name", with_service(name="RDP farm"), "services[1].name", "not a service name"),
    ("http check path", with_service(check=HttpCheck(path="health")),
     "services[1].check.path", "must start with '/'"),
    ("http check quote", with_service(check=HttpCheck(path="/", expect='say "hi"')),
     "services[1].check.expect", "no quotes"),
    ("http check on udp", with_service(protocol=Protocol.UDP, check=HttpCheck()),
     "services[1].check", "needs protocol tcp"),
    ("relative check command", with_service(check=ExternalCheck(PurePosixPath("check.sh"))),
     "services[1].check.command", "absolute path"),
    ("no services", with_(services=()), "services", "no virtual service"),
    ("two nodes", lambda s: dataclasses.replace(s, nodes=s.nodes[:2]), "nodes",
     "at least 3"),
    ("two_node with three", with_(two_node=True), "two_node", "exactly 2 nodes"),
    ("duplicate node name", with_node(2, name="lab1"), "nodes[2].name", "already used"),
    ("duplicate address", with_node(1, address=LAB.nodes[0].address), "nodes[1].address",
     "already used"),
    ("duplicate MAC", with_node(2, mac=LAB.nodes[0].mac), "nodes[2].mac", "already used"),
    ("address outside network", with_node(0, address=IPv4Address("10.78.0.11")),
     "nodes[0].address", "not inside network"),
    ("network address", with_node(0, address=NET.network_address), "nodes[0].address",
     "network address"),
    ("broadcast address", with_node(1, address=NET.broadcast_address), "nodes[1].address",
     "broadcast address"),
    ("gateway address", with_node(2, address=LAB.network.gateway), "nodes[2].address",
     "gateway"),
    ("address as text", with_node(0, address="10.77.0.11"), "nodes[0].address",
     "expected IPv4Address(\"a.b.c.d\"), got str"),
    ("host name", with_node(0, name="Lab_1"), "nodes[0].name", "not a host name"),
    ("host name dash", with_node(0, name="-lab1"), "nodes[0].name", "not a host name"),
    ("MAC syntax", with_node(0, mac="52:54:00:4c:41"), "nodes[0].mac", "not a MAC"),
    ("MAC multicast", with_node(0, mac="01:00:5e:00:00:01"), "nodes[0].mac", "multicast"),
    ("MAC not local", with_node(0, mac="00:16:3e:00:00:01"), "nodes[0].mac",
     "locally administered"),
    ("VIP is a node", with_(vip=Vip(LAB.nodes[1].address)), "vip.address",
     "nodes[1]'s address"),
    ("VIP outside", with_(vip=Vip(IPv4Address("192.0.2.1"))), "vip.address",
     "not inside network"),
    ("VIP is gateway", with_(vip=Vip(LAB.network.gateway)), "vip.address", "gateway"),
    ("VIP prefix", with_(vip=Vip(LAB.vip.address, prefix=33)), "vip.prefix",
     "not a prefix length"),
    ("VIP prefix wider than net", with_(vip=Vip(LAB.vip.address, prefix=16)), "vip.prefix",
     "wider than the network"),
    ("gateway outside", with_(network=Network(NET, IPv4Address("10.1.1.1"))),
     "network.gateway", "not inside"),
    ("network too small", with_(network=Network(IPv4Network("10.77.0.0/30"),
                                                  IPv4Address("10.77.0.1"))),
     "network.cidr", "too small"),
    ("NIC too long", with_(nic="eth0-with-a-long-name"), "nic", "not a Linux interface"),
    ("NIC with slash", with_(nic="eth/0"), "nic", "not a Linux interface"),
    ("NIC loopback", with_(nic="lo"), "nic", "cannot carry the VIP"),
    ("cluster name", with_(name="Prod Cluster"), "name", "not a cluster name"),
    ("root user", with_(ssh=SshAccess("root", LAB.ssh.private_key)), "ssh.user",
     "unprivileged"),
    ("bad user", with_(ssh=SshAccess("Cluster Admin", LAB.ssh.private_key)), "ssh.user",
     "not a Linux user"),
    ("token zero", with_(corosync=Corosync(token_ms=0)), "corosync.token_ms",
     "corosync refuses a token under 126 ms"),
    ("token absurd", with_(corosync=Corosync(token_ms=600000)), "corosync.token_ms",
     "outside 126-30000"),
    ("no fencing reason", with_(fencing=NoFencing(reason=" ")), "fencing.reason",
     "stated reason"),
    ("fence agent name", with_(fencing=FenceAgent(agent="fence_virt")), "fencing.agent",
     "not an agent of fence-agents"),
    ("fence parameter", with_(fencing=FenceAgent("fence_virsh", (
        ("ip", "192.0.2.1"), ("username", "f"), ("hostname", "h")))), "fencing.params",
     "no parameter 'hostname'"),
    ("fence required", with_(fencing=FenceAgent("fence_virsh", (("ip", "192.0.2.1"),))),
     "fencing.params", "requires 'username'"),
    ("fence plain password", with_(fencing=FenceAgent("fence_virsh", (
        ("ip", "192.0.2.1"), ("username", "f"), ("password", "x")))), "fencing.params",
     "'password_script'"),
    ("fence target given", with_(fencing=FenceAgent("fence_virsh", (
        ("ip", "192.0.2.1"), ("username", "f"), ("plug", "vm1")))), "fencing.params",
     "pacemaker sets 'plug'"),
    ("fence_virsh in the lab elsewhere", with_(fencing=FenceVirsh("fence", PurePosixPath("k"),
                                                                  host="10.77.0.2")),
     "fencing.host", "listens on the network's gateway"),
    ("fence key public", with_(fencing=FenceVirsh("fence", PurePosixPath("k.pub"))),
     "fencing.identity_file", "public key"),
    ("fence host", with_(fencing=FenceVirsh("fence", PurePosixPath("k"), host="a host")),
     "fencing.host", "not a host name"),
    ("sbd on two nodes", lambda spec: with_(nodes=spec.nodes[:2], two_node=True,
                                            fencing=WatchdogSbd())(spec),
     "fencing", "Use 3 nodes or more, or a fence device"),
    ("sbd watchdog timeout", with_(fencing=WatchdogSbd(watchdog_timeout_s=1)),
     "fencing.watchdog_timeout_s", "outside 2-60"),
    ("sbd device", with_(fencing=WatchdogSbd(device=PurePosixPath("/tmp/watchdog"))),
     "fencing.device", "not a device in /dev"),
    ("sbd ignoring quorum", with_(fencing=WatchdogSbd(), no_quorum_policy="ignore"),
     "no_quorum_policy", "use 'stop' with WatchdogSbd"),
    ("memory too low", with_(vm=VmShape(memory_mib=256)), "vm.memory_mib", "512 MiB"),
    ("image URL scheme", with_(vm=VmShape(image_url="ftp://x/debian.qcow2")), "vm.image_url",
     "http(s)://"),
    ("image checksum", with_(vm=VmShape(image_sha512="abc")), "vm.image_sha512", "128"),
    ("libvirt URI", with_(libvirt=LibvirtHost(uri="libvirt.example.org")), "libvirt.uri",
     "not a libvirt URI"),
    ("libvirt URI driver", with_(libvirt=LibvirtHost(uri="xen:///system")), "libvirt.uri",
     "QEMU driver"),
    ("public key as private", with_(ssh=SshAccess("cluster", PurePosixPath("keys/id.pub"))),
     "ssh.private_key", "is a public key"),
    ("pool dir relative", with_(libvirt=LibvirtHost(pool_dir=PurePosixPath("images"))),
     "libvirt.pool_dir", "absolute"),
    ("stickiness negative", with_(resource_stickiness=-1), "resource_stickiness", ">= 0"),
    ("no-quorum-policy", with_(no_quorum_policy="panic"), "no_quorum_policy", "not one of"),
]


def test_table_is_large_enough() -> None:
    assert len(BAD_SPECS) >= 30


@pytest.mark.parametrize("change, path, words", [case[1:] for case in BAD_SPECS],
                         ids=[case[0] for case in BAD_SPECS])
def test_bad_spec_names_field_and_fix(change: Callable[[ClusterSpec], ClusterSpec],
                                      path: str, words: str) -> None:
    with pytest.raises(SpecError) as raised:
        change(LAB)
    messages = [str(p) for p in raised.value.problems]
    assert any(m.startswith(f"{path}: ") and words in m for m in messages), messages
    assert f"{path}: " in str(raised.value)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(SpecError) as raised:
        dataclasses.replace(LAB, nic="eth 0", vm=VmShape(memory_mib=100),
                            services=(Service(name="http", port=99999),))
    paths = {p.path for p in raised.value.problems}
    assert {"nic", "vm.memory_mib", "services[0].port"} <= paths


def test_a_mistyped_field_does_not_hide_the_rules_of_the_others() -> None:
    with pytest.raises(SpecError) as raised:
        dataclasses.replace(LAB, nic="eth 0", services=(
            dataclasses.replace(LAB.services[0], quiescent="no"),))  # type: ignore[arg-type]
    assert {p.path for p in raised.value.problems} == {"nic", "services[0].quiescent"}


def test_a_changed_network_names_every_address_left_outside_it() -> None:
    """The cidr changed alone: the gateway, every node and the VIP are reported, not only the
    first of them."""
    with pytest.raises(SpecError) as raised:
        dataclasses.replace(LAB, network=dataclasses.replace(
            LAB.network, cidr=IPv4Network("10.88.5.0/24")))
    assert {p.path for p in raised.value.problems} == {
        "network.gateway", "vip.address", *(f"nodes[{i}].address" for i in range(3))}


def test_a_node_whose_corosync_id_knet_refuses_is_named() -> None:
    """A node's corosync id is its host part (stable while nodes come and go); knet takes ids
    up to 65535, so a wide network's far address is refused here, not by corosync at start."""
    wide = IPv4Network("10.0.0.0/8")
    addresses = (wide[11], wide[12], wide[65536])
    with pytest.raises(SpecError) as raised:
        dataclasses.replace(LAB, network=Network(cidr=wide, gateway=wide[1]), vip=Vip(wide[100]),
                            nodes=tuple(dataclasses.replace(node, address=address)
                                        for node, address in zip(LAB.nodes, addresses,
                                                                 strict=True)))
    (problem,) = raised.value.problems
    assert problem.path == "nodes[2].address"
    assert "up to 65535" in problem.message and "/16 or smaller" in problem.message


def test_two_nodes_allowed_with_flag() -> None:
    spec = dataclasses.replace(LAB, nodes=LAB.nodes[:2], two_node=True,
                               fencing=NoFencing(reason="two disposable VMs"))
    assert len(spec.nodes) == 2


@pytest.mark.parametrize("name", environments.NAMES)
def test_environments_are_valid_and_follow_the_original(name: str) -> None:
    spec = environments.load(name)
    assert len(spec.nodes) == 3
    assert {s.scheduler for s in spec.services} == {"lc"}
    service = spec.services[0]
    assert (service.port, service.check_interval, service.check_timeout, service.quiescent) \
        == (80, 10, 3, True)
    assert spec.resource_stickiness == 100


def test_prod_has_the_original_values() -> None:
    prod = environments.load("prod")
    assert prod.network.cidr == IPv4Network("192.168.122.0/24")
    assert [str(n.address) for n in prod.nodes] == [f"192.168.122.{i}" for i in (111, 112, 113)]
    assert [n.name for n in prod.nodes] == ["node1", "node2", "node3"]
    assert str(prod.vip.address) == "192.168.122.100" and prod.nic == "eth0"
    assert {s.real_server for s in prod.services} == {RealServer.EXISTING}
    # The lab: a demo server on 80, and the seed's SSH farm (the nodes' own sshd) on 22.
    assert [(s.port, s.real_server) for s in LAB.services] == [
        (80, RealServer.DEMO), (22, RealServer.EXISTING)]


def test_no_address_is_written_twice_in_the_repo() -> None:
    """Addresses are derived from each environment's network, never typed out elsewhere."""
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    sources = [REPO / f for f in tracked
               if f.endswith((".py", ".j2", ".json", ".sh", ".cf", ".tf"))
               and not f.startswith("tests/")]
    assert sources
    for name in environments.NAMES:
        spec = environments.load(name)
        literals = [str(n.address) for n in spec.nodes] + [str(spec.vip.address)]
        literals += [n.mac for n in spec.nodes]
        for path in sources:
            text = path.read_text()
            for literal in literals:
                assert literal not in text, f"{literal} typed out in {path.relative_to(REPO)}"


def test_python_c_with_one_bad_field_exits_nonzero_naming_it() -> None:
    code = ("import dataclasses; from lvsha.environments.lab import SPEC; "
            "dataclasses.replace(SPEC, nic='not a nic')")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert "nic: 'not a nic' is not a Linux interface name" in result.stderr


MISTYPED: list[tuple[str, Callable[[ClusterSpec], ClusterSpec], str, str]] = [
    ("check as text", with_service(check="connect"), "services[1].check",
     "expected ConnectCheck(…) or HttpCheck(…) or ExternalCheck(…), got str 'connect'"),
    ("check as the class", with_service(check=HttpCheck), "services[1].check",
     "write HttpCheck(…), an instance"),
    ("bool as text", with_service(quiescent="no"), "services[1].quiescent",
     "expected True or False, got str 'no'"),
    ("bool as a number", with_service(port=True), "services[1].port",
     "expected a whole number, got bool True"),
    ("enum as text", with_service(protocol="tcp"), "services[1].protocol",
     "expected Protocol.TCP or Protocol.UDP, got str 'tcp'"),
    ("nodes as a list", lambda spec: with_(nodes=list(spec.nodes))(spec), "nodes",
     "write (a, b, …) instead of [a, b, …]"),
    ("path as text", with_(ssh=SshAccess("cluster", "keys/id_ed25519")),  # type: ignore[arg-type]
     "ssh.private_key", 'expected PurePosixPath("…"), got str'),
    ("gateway as text", with_(network=Network(NET, "10.77.0.1")),  # type: ignore[arg-type]
     "network.gateway", 'expected IPv4Address("a.b.c.d"), got str'),
    ("fencing as text", with_(fencing="none"), "fencing",
     "expected NoFencing(…) or FenceAgent(…) or FenceVirsh(…) or WatchdogSbd(…), got str "
     "'none'"),
    ("timeout or None", with_service(persistence_timeout="300"),
     "services[1].persistence_timeout", "expected a whole number or None, got str"),
    ("one service bare", with_(services=Service("web", 8080)), "services",
     "a tuple of one needs its comma: write (x,)"),
    ("params as dict", with_(fencing=FenceAgent("fence_ipmilan", params={"ip": "h"})),  # type: ignore[arg-type]
     "fencing.params", "expected a tuple of (a string, a string), got dict"),
    ("params pairs", with_(fencing=FenceAgent("fence_virsh", params=(("ip",),))),  # type: ignore[arg-type]
     "fencing.params[0]", "expected 2 items, got 1"),
]


@pytest.mark.parametrize("change, path, words", [case[1:] for case in MISTYPED],
                         ids=[case[0] for case in MISTYPED])
def test_a_mistyped_field_is_named_with_the_type_it_needs(
        change: Callable[[ClusterSpec], ClusterSpec], path: str, words: str) -> None:
    with pytest.raises(SpecError) as raised:
        change(LAB)
    assert any(str(p).startswith(f"{path}: ") and words in str(p)
               for p in raised.value.problems), raised.value.problems


def _fields(value: object, path: str = "") -> list[tuple[str, object]]:
    """(path, owner) of every dataclass field under ``value``, tuples' first items included."""
    found: list[tuple[str, object]] = []
    if isinstance(value, tuple) and value:
        found += _fields(value[0], f"{path}[0]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            here = f"{path}.{field.name}" if path else field.name
            found.append((here, value))
            found += _fields(getattr(value, field.name), here)
    return found


def _replaced(value: Any, steps: list[str], new: object) -> Any:
    """``value`` with the field at ``steps`` (names and [0]) set to ``new``, rebuilt upward."""
    if not steps:
        return new
    step, rest = steps[0], steps[1:]
    if step == "[0]":
        return (_replaced(value[0], rest, new), *value[1:])
    inner = _replaced(getattr(value, step), rest, new)
    if isinstance(value, ClusterSpec):
        return dataclasses.replace(value, **{step: inner})
    changed = object.__new__(type(value))  # no checks below ClusterSpec: set fields directly
    for field in dataclasses.fields(value):
        object.__setattr__(changed, field.name,
                           inner if field.name == step else getattr(value, field.name))
    return changed


@pytest.mark.parametrize("path", [path for path, _ in _fields(LAB)])
def test_any_field_of_a_wrong_type_is_an_error_naming_it(path: str) -> None:
    """Every field, given a value of no type a spec uses: a SpecError naming that field,
    never a crash in the validator."""
    steps = [s for s in path.replace("[0]", ".[0]").split(".") if s]
    with pytest.raises(SpecError) as raised:
        _replaced(LAB, steps, object())
    assert [p.path for p in raised.value.problems] == [path]


def test_an_ssh_farm_balances_the_nodes_own_sshd() -> None:
    """Port 22 is sshd's on every node: as a service whose real server exists it is fine."""
    spec = with_service(name="ssh", port=22)(LAB)
    assert spec.services[1].real_server is RealServer.EXISTING
