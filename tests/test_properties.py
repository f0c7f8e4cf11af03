"""Property tests: any spec `check` accepts renders files their own tools accept, and any one
mistake in a valid spec is refused with an error naming the field it made wrong.

Generated specs span 2-32 nodes, 1-8 services of every check kind on both protocols, with and
without persistence, and every kind of fencing. The profiles are in conftest.py: CI runs a
fixed (derandomized) set of examples so a red run is reproducible; a run on a workstation
explores new ones, and `pytest --hypothesis-profile=explore tests/test_properties.py` many.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path, PurePosixPath

import pytest
import toolchecks
from hypothesis import given
from hypothesis import strategies as st

from lvsha import validate
from lvsha.spec import (
    ClusterSpec,
    ConnectCheck,
    ConnectionSync,
    Corosync,
    ExternalCheck,
    FenceAgent,
    FenceVirsh,
    Fencing,
    HealthCheck,
    HttpCheck,
    LibvirtHost,
    Network,
    Node,
    NoFencing,
    Platform,
    Protocol,
    RealServer,
    Service,
    SshAccess,
    Vip,
    VmShape,
    WatchdogSbd,
)
from lvsha.validate import SpecError

labels = st.from_regex(r"[a-z][a-z0-9-]{0,14}[a-z0-9]", fullmatch=True)
# What a body may be expected to contain: printable ASCII without what ldirectord.cf cannot
# carry (quotes, '#'); regex characters included, they are matched as written.
expect_texts = st.text(st.characters(min_codepoint=32, max_codepoint=126,
                                     exclude_characters='"#'), min_size=1, max_size=20)
paths = st.from_regex(r"/[A-Za-z0-9._/-]{0,20}", fullmatch=True)


@st.composite
def checks(draw: st.DrawFn, protocol: Protocol) -> HealthCheck:
    kinds: list[st.SearchStrategy[HealthCheck]] = [
        st.just(ConnectCheck()),
        st.builds(ExternalCheck, command=paths.filter(lambda p: p != "/").map(PurePosixPath)),
    ]
    if protocol is Protocol.TCP:
        kinds.append(st.builds(HttpCheck, path=paths, expect=expect_texts, https=st.booleans()))
    return draw(st.one_of(kinds))


@st.composite
def services(draw: st.DrawFn) -> Service:
    protocol = draw(st.sampled_from(Protocol))
    interval = draw(st.integers(2, 120))
    return Service(
        name=draw(labels), port=draw(st.integers(1, 65535)), protocol=protocol,
        scheduler=draw(st.sampled_from(sorted(validate.IPVS_SCHEDULERS))),
        persistence_timeout=draw(st.none() | st.integers(1, 86400)),
        check=draw(checks(protocol)), check_interval=interval,
        check_timeout=draw(st.integers(1, interval - 1)), quiescent=draw(st.booleans()))


@st.composite
def fencings(draw: st.DrawFn) -> Fencing:
    return draw(st.one_of(
        st.builds(NoFencing, reason=st.just("generated")),
        st.builds(FenceVirsh, user=st.sampled_from(["root", "lvsha-fence"]),
                  identity_file=st.just(PurePosixPath("secrets/gen/fence")),
                  host=st.none() | st.just("kvm1.example.net")),
        st.just(FenceAgent("fence_ipmilan", (("ip", "192.0.2.9"), ("username", "admin"),
                                             ("password_script", "/usr/local/sbin/bmc")))),
        st.builds(WatchdogSbd, watchdog_timeout_s=st.integers(validate.MIN_WATCHDOG_S,
                                                              validate.MAX_WATCHDOG_S),
                  device=st.sampled_from([PurePosixPath("/dev/watchdog"),
                                          PurePosixPath("/dev/watchdog1")]))))


@st.composite
def specs(draw: st.DrawFn) -> ClusterSpec:
    fencing = draw(fencings())
    # Diskless sbd needs a partition that can lose quorum (a rule of its own, tested apart).
    sbd = isinstance(fencing, WatchdogSbd)
    count = draw(st.integers(validate.MIN_SBD_NODES if sbd else 2, validate.MAX_NODES))
    second, third = draw(st.integers(0, 255)), draw(st.integers(0, 255))
    network = IPv4Network(f"10.{second}.{third}.0/24")
    names = draw(st.lists(labels, min_size=count, max_size=count, unique=True))
    platform = (Platform.LIBVIRT if isinstance(fencing, FenceVirsh)
                else draw(st.sampled_from(Platform)))
    return ClusterSpec(
        name=draw(labels),
        nodes=tuple(Node(name, network[10 + i], f"52:54:00:{second:02x}:{third:02x}:{i:02x}")
                    for i, name in enumerate(names)),
        network=Network(network, network[1], (network[1],)),
        vip=Vip(network[250], draw(st.sampled_from([24, 32]))),
        services=tuple(draw(st.lists(services(), min_size=1, max_size=8,
                                     unique_by=(lambda s: s.name,
                                                lambda s: (s.protocol, s.port))))),
        ssh=SshAccess("cluster", PurePosixPath("secrets/gen/id_ed25519")),
        fencing=fencing, platform=platform, two_node=count == 2,
        nic=draw(st.sampled_from(["eth0", "ens3", "enp1s0"])),
        corosync=Corosync(draw(st.integers(validate.MIN_TOKEN_MS, validate.MAX_TOKEN_MS))),
        sync=ConnectionSync(**{name: draw(st.integers(low, high)) for name, (low, high, _)
                               in validate.SYNC_LIMITS.items()}),
        resource_stickiness=draw(st.integers(0, 1000)),
        # 'suicide' fences: valid only with fencing (a rule of its own, mutated below).
        no_quorum_policy=draw(st.sampled_from(sorted(
            validate.NO_QUORUM_POLICIES - ({"suicide"} if isinstance(fencing, NoFencing)
                                           else {"ignore"} if sbd else set())))),
    )


@given(spec=specs())
def test_every_accepted_spec_renders_files_their_tools_accept(spec: ClusterSpec) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        ldirectord = toolchecks.ldirectord_status(spec, directory)
        assert (ldirectord.returncode, "Error" in ldirectord.stderr) == (3, False), \
            ldirectord.stderr
        for result in (toolchecks.crm_verify(spec, directory),
                       toolchecks.corosync_test(spec, directory),
                       toolchecks.nft_check(spec, directory),
                       toolchecks.seed_schema(spec, spec.nodes[-1], directory),
                       *(toolchecks.keepalived_accepts(spec, node, directory)
                         for node in {spec.nodes[0], spec.nodes[-1]})):
            assert result.returncode == 0, f"{result.args}: {result.stdout}{result.stderr}"


def _member(field: str, index: int, **change: object) -> Callable[[ClusterSpec], ClusterSpec]:
    """Change one member of a tuple field (``nodes``, ``services``) of the spec."""
    def mutate(spec: ClusterSpec) -> ClusterSpec:
        members = list(getattr(spec, field))
        members[index] = dataclasses.replace(members[index], **change)
        return dataclasses.replace(spec, **{field: tuple(members)})  # type: ignore[arg-type]
    return mutate


def _node(index: int, **change: object) -> Callable[[ClusterSpec], ClusterSpec]:
    return _member("nodes", index, **change)


def _service(index: int, **change: object) -> Callable[[ClusterSpec], ClusterSpec]:
    return _member("services", index, **change)


def _spec(**change: object) -> Callable[[ClusterSpec], ClusterSpec]:
    return lambda spec: dataclasses.replace(spec, **change)  # type: ignore[arg-type]


# One mistake each: (field path it makes wrong, given the index it picked; the mistake).
MUTATIONS: dict[str, Callable[[int], tuple[str, Callable[[ClusterSpec], ClusterSpec]]]] = {
    "node MAC": lambda i: (f"nodes[{i}].mac", _node(i, mac="52:54:00:zz:00:01")),
    "multicast MAC": lambda i: (f"nodes[{i}].mac", _node(i, mac="01:00:5e:00:00:01")),
    "node name": lambda i: (f"nodes[{i}].name", _node(i, name="-node")),
    "node outside": lambda i: (f"nodes[{i}].address",
                               _node(i, address=IPv4Address("192.0.2.1"))),
    "service port": lambda i: (f"services[{i}].port", _service(i, port=70000)),
    "scheduler": lambda i: (f"services[{i}].scheduler", _service(i, scheduler="lcx")),
    "service name": lambda i: (f"services[{i}].name", _service(i, name="Web Farm")),
    "persistence": lambda i: (f"services[{i}].persistence_timeout",
                              _service(i, persistence_timeout=0)),
    "check timeout": lambda i: (f"services[{i}].check_timeout",
                                _service(i, check_interval=5, check_timeout=5)),
    "empty expect": lambda i: (f"services[{i}].check.expect",
                               _service(i, protocol=Protocol.TCP, check=HttpCheck())),
    "relative check": lambda i: (f"services[{i}].check.command",
                                 _service(i, check=ExternalCheck(PurePosixPath("check")))),
    "port as text": lambda i: (f"services[{i}].port", _service(i, port="80")),
    "demo on sshd": lambda i: (f"services[{i}].real_server", _service(
        i, protocol=Protocol.TCP, port=22, real_server=RealServer.DEMO)),
    "vip network": lambda i: ("vip.address", lambda spec: dataclasses.replace(
        spec, vip=Vip(spec.network.cidr.network_address))),
    "vip prefix": lambda i: ("vip.prefix", lambda spec: dataclasses.replace(
        spec, vip=Vip(spec.vip.address, 33))),
    "gateway outside": lambda i: ("network.gateway", lambda spec: dataclasses.replace(
        spec, network=Network(spec.network.cidr, IPv4Address("192.0.2.1")))),
    "nic": lambda i: ("nic", _spec(nic="eth/0")),
    "token": lambda i: ("corosync.token_ms", _spec(corosync=Corosync(50))),
    "sync id": lambda i: ("sync.sync_id", _spec(sync=ConnectionSync(sync_id=256))),
    "session timeout": lambda i: ("sync.tcp_timeout_s", _spec(sync=ConnectionSync(
        tcp_timeout_s=0))),
    "stickiness": lambda i: ("resource_stickiness", _spec(resource_stickiness=-1)),
    "quorum policy": lambda i: ("no_quorum_policy", _spec(no_quorum_policy="sometimes")),
    "suicide unfenced": lambda i: ("no_quorum_policy", _spec(
        no_quorum_policy="suicide", fencing=NoFencing("generated"))),
    "memory": lambda i: ("vm.memory_mib", _spec(vm=VmShape(memory_mib=128))),
    "libvirt URI": lambda i: ("libvirt.uri", _spec(libvirt=LibvirtHost(uri="http://kvm1"))),
    "root user": lambda i: ("ssh.user", _spec(ssh=SshAccess("root", PurePosixPath("k")))),
    "secrets dir": lambda i: ("secrets_dir", _spec(secrets_dir=PurePosixPath("../s"))),
    "fence parameter": lambda i: ("fencing.params", _spec(fencing=FenceAgent(
        "fence_ipmilan", (("ip", "192.0.2.9"), ("hostname", "bmc1"))))),
    "cluster name": lambda i: ("name", _spec(name="My Cluster")),
    "too many nodes": lambda i: ("nodes", lambda spec: dataclasses.replace(spec, nodes=tuple(
        Node(f"n{k}", spec.network.cidr[10 + k], f"52:54:01:00:00:{k:02x}")
        for k in range(validate.MAX_NODES + 1)), two_node=False)),
}


@given(spec=specs(), mistake=st.sampled_from(sorted(MUTATIONS)), index=st.integers(0, 31))
def test_one_mistake_is_refused_naming_its_field(spec: ClusterSpec, mistake: str,
                                                 index: int) -> None:
    size = len(spec.services) if "services" in MUTATIONS[mistake](0)[0] else len(spec.nodes)
    path, mutate = MUTATIONS[mistake](index % size)
    with pytest.raises(SpecError) as refused:
        mutate(spec)
    assert path in [problem.path for problem in refused.value.problems], str(refused.value)
