"""Rendered files, parsed back: every spec field reaches them, and pacemaker accepts the CIB."""

from __future__ import annotations

import dataclasses
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import corosync_parser
import pytest
import toolchecks
from ldirectord_parser import parse

from lvsha import environments, footprint, render, validate
from lvsha.spec import (
    ClusterSpec,
    Corosync,
    ExternalCheck,
    FenceAgent,
    FenceVirsh,
    HttpCheck,
    Node,
    NoFencing,
    Protocol,
    Service,
    WatchdogSbd,
)

LAB = environments.load("lab")
PROD = environments.load("prod")
# Every kind of fencing a spec can choose: none, fence_virsh (prod), any other agent, diskless
# sbd (the lab).
FENCINGS = {
    "no-fencing": dataclasses.replace(LAB, fencing=NoFencing(reason="disposable VMs")),
    "fence_virsh": PROD,
    "fence_ipmilan": dataclasses.replace(PROD, fencing=FenceAgent("fence_ipmilan", (
        ("ip", "192.168.122.5"), ("username", "admin"),
        ("password_script", "/usr/local/sbin/bmc-password"), ("lanplus", "1"),
        ("pcmk_host_list", "node1 node2 node3")))),
    "watchdog-sbd": dataclasses.replace(LAB, fencing=WatchdogSbd(watchdog_timeout_s=7)),
}
# Two nodes cannot fence with diskless sbd (the lab's): nothing to lose quorum.
TWO_NODES = dataclasses.replace(LAB, two_node=True, nodes=LAB.nodes[:2],
                                fencing=NoFencing(reason="two disposable VMs"))
RICH = dataclasses.replace(LAB, services=(
    Service(name="ssh", port=22, persistence_timeout=600, check_interval=5, check_timeout=2),
    Service(name="rdp", port=3389, scheduler="wlc", quiescent=False,
            check=HttpCheck(path="/health", expect="OK", https=True)),
    Service(name="syslog", port=514, protocol=Protocol.UDP, scheduler="rr",
            check=ExternalCheck(PurePosixPath("/usr/local/bin/check-syslog"))),
))


@pytest.mark.parametrize("spec", [LAB, RICH], ids=["lab", "rich"])
def test_ldirectord_reads_the_rendered_file(spec: ClusterSpec, tmp_path: Path) -> None:
    result = toolchecks.ldirectord_status(spec, tmp_path)
    assert (result.returncode, "Error" in result.stderr) == (3, False), result.stderr


def test_ldirectord_cf_carries_every_service_field() -> None:
    config = parse(render.ldirectord_cf(RICH))
    assert config.globals["fork"] == "yes"
    assert config.globals["readdquiescent"] == "yes"
    assert config.globals["cleanstop"] == "no"
    assert len(config.virtuals) == 3
    for virtual, service in zip(config.virtuals, RICH.services, strict=True):
        assert virtual.address == f"{RICH.vip.address}:{service.port}"
        assert virtual.reals == [(f"{n.address}:{service.port}", "gate") for n in RICH.nodes]
        options = virtual.options
        assert options["protocol"] == service.protocol.value
        assert options["scheduler"] == service.scheduler
        assert options["checkport"] == str(service.port)
        assert options["checkinterval"] == str(service.check_interval)
        assert options["checktimeout"] == str(service.check_timeout)
        assert options["quiescent"] == ("yes" if service.quiescent else "no")
        assert options["fallback"] == f"127.0.0.1:{service.port} gate"
        assert options.get("persistent") == (
            None if service.persistence_timeout is None else str(service.persistence_timeout))
    ssh, rdp, syslog = (v.options for v in config.virtuals)
    assert ssh["checktype"] == "connect"
    assert (rdp["checktype"], rdp["service"], rdp["request"], rdp["receive"]) == \
        ("negotiate", "https", '"/health"', '"OK"')
    assert (syslog["checktype"], syslog["checkcommand"]) == \
        ("external", '"/usr/local/bin/check-syslog"')


def _cib(spec: ClusterSpec) -> ET.Element:
    return ET.fromstring(render.cib_configuration(spec))


def test_cib_resources_follow_the_spec() -> None:
    cib = _cib(LAB)
    clone = cib.find(f"./resources/clone[@id='{footprint.LVS_CLONE}']")
    assert clone is not None
    meta = {n.get("name"): n.get("value") for n in clone.iterfind("./meta_attributes/nvpair")}
    assert meta["promotable"] == "true" and meta["promoted-max"] == "1"
    # One instance per node by pacemaker's default: a node added or removed changes no CIB.
    assert "clone-max" not in meta and meta["clone-node-max"] == "1"
    agent = clone.find("./primitive")
    assert agent is not None
    assert agent.get("id") == footprint.LVS.id
    params = {n.get("name"): n.get("value")
              for n in agent.iterfind("./instance_attributes/nvpair")}
    assert params == {"vip": str(LAB.vip.address), "cidr_netmask": str(LAB.vip.prefix),
                      "nic": LAB.nic, "sync_id": str(LAB.sync.sync_id),
                      "tcp_timeout": str(LAB.sync.tcp_timeout_s),
                      "tcpfin_timeout": str(LAB.sync.tcp_fin_timeout_s),
                      "udp_timeout": str(LAB.sync.udp_timeout_s)}
    # Hot standby: ldirectord on every node where lvs runs, each after its own node's lvs.
    ldirectord = cib.find(f"./resources/clone[@id='{footprint.LDIRECTORD_CLONE}']")
    assert ldirectord is not None
    assert ldirectord.find(f"./primitive[@id='{footprint.LDIRECTORD.id}']") is not None
    assert {n.get("name"): n.get("value") for n in
            ldirectord.iterfind("./meta_attributes/nvpair")} == {"interleave": "true"}
    [colocation] = cib.findall("./constraints/rsc_colocation")
    assert (colocation.get("rsc"), colocation.get("with-rsc"), colocation.get("with-rsc-role"),
            colocation.get("score")) == (footprint.LDIRECTORD_CLONE, footprint.LVS_CLONE, None,
                                         "INFINITY")
    # Started after lvs; and where both stop, stopped after the director's demote.
    assert [(order.get("first"), order.get("first-action"), order.get("then"),
             order.get("then-action"), order.get("kind"), order.get("symmetrical"))
            for order in cib.iterfind("./constraints/rsc_order")] == [
        (footprint.LVS_CLONE, "start", footprint.LDIRECTORD_CLONE, "start", "Optional", None),
        (footprint.LVS_CLONE, "demote", footprint.LDIRECTORD_CLONE, "stop", "Optional", "false")]


def test_every_node_syncs_connections_and_only_the_backup_daemon_keeps_tables_quiet() -> None:
    assert render.ipvs_sysctls(LAB) == {
        "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.backup_only": "1",
        "net.ipv4.vs.sync_threshold": "3 0",
        "net.ipv4.vs.sync_refresh_period": str(LAB.sync.refresh_s)}


def test_stonith_off_only_when_the_spec_says_so() -> None:
    assert render.cluster_properties(FENCINGS["no-fencing"]) == {"stonith-enabled": "false",
                                                                 "no-quorum-policy": "stop"}
    for fenced in (PROD, LAB):
        # A node told of its own fencing reboots rather than keep its resources.
        assert {name: render.cluster_properties(fenced)[name] for name in (
            "stonith-enabled", "fence-reaction")} == {"stonith-enabled": "true",
                                                      "fence-reaction": "panic"}
    assert render.resource_defaults(LAB) == {"resource-stickiness": "100"}


@pytest.mark.parametrize("spec", FENCINGS.values(), ids=FENCINGS.keys())
def test_the_cib_holds_the_fence_device_the_spec_names(spec: ClusterSpec) -> None:
    devices = _cib(spec).findall("./resources/primitive[@class='stonith']")
    wanted = render.fence_device(spec)
    if wanted is None:
        assert devices == []
        return
    [device] = devices
    assert device.get("type") == wanted.agent
    assert [(n.get("name"), n.get("value")) for n in device.iter("nvpair")] == \
        list(wanted.params)


def test_fence_virsh_resets_each_node_s_own_vm_with_the_deployed_key() -> None:
    assert isinstance(PROD.fencing, FenceVirsh)
    device = render.fence_device(PROD)
    assert device is not None
    params = dict(device.params)
    assert params["pcmk_host_map"] == ";".join(f"{n.name}:{PROD.vm_name(n)}"
                                               for n in PROD.nodes)
    assert params["identity_file"] == footprint.FENCE_VIRSH_KEY
    # The default libvirt URI is local: the nodes reach its host at the NAT network's gateway.
    assert (params["ip"], params["username"], params["use_sudo"]) == (
        str(PROD.network.gateway), PROD.fencing.user, "1")
    remote = dataclasses.replace(PROD, libvirt=dataclasses.replace(
        PROD.libvirt, uri="qemu+ssh://ops@kvm1.example.net/system"))
    remote_device = render.fence_device(remote)
    assert remote_device is not None and dict(remote_device.params)["ip"] == "kvm1.example.net"
    # A fenced VM is powered on again unless the spec says to leave it off.
    assert "pcmk_reboot_action" not in params
    left_off = dataclasses.replace(PROD, fencing=dataclasses.replace(PROD.fencing,
                                                                      power_on=False))
    off_device = render.fence_device(left_off)
    assert off_device is not None and dict(off_device.params)["pcmk_reboot_action"] == "off"


@pytest.mark.parametrize("two_node", [False, True])
def test_corosync_conf_carries_the_spec(two_node: bool) -> None:
    spec = TWO_NODES if two_node else LAB
    conf = corosync_parser.parse(render.corosync_conf(spec))
    totem = conf["totem"]
    assert totem["cluster_name"] == spec.name and totem["transport"] == "knet"
    assert (totem["crypto_cipher"], totem["crypto_hash"]) == ("aes256", "sha256")
    assert totem["token"] == str(spec.corosync.token_ms)
    nodes = conf["nodelist"]["node"]
    assert spec.network.cidr.prefixlen == 24  # so a node's id is its address's last number
    assert [(n["name"], n["nodeid"], n["ring0_addr"]) for n in nodes] == [
        (node.name, str(node.address).rsplit(".", 1)[1], str(node.address))
        for node in spec.nodes]
    assert conf["quorum"]["provider"] == "corosync_votequorum"
    assert conf["quorum"].get("two_node") == ("1" if two_node else None)


@pytest.mark.parametrize("two_node", [False, True])
def test_corosync_itself_accepts_the_conf(two_node: bool, tmp_path: Path) -> None:
    spec = TWO_NODES if two_node else LAB
    result = toolchecks.corosync_test(spec, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_corosync_refuses_a_token_under_the_spec_s_minimum(tmp_path: Path) -> None:
    """corosync itself draws the line validate.MIN_TOKEN_MS encodes (so the check above can
    fail, too)."""
    shortest = dataclasses.replace(LAB, corosync=Corosync(token_ms=validate.MIN_TOKEN_MS))
    assert toolchecks.corosync_test(shortest, tmp_path).returncode == 0
    text = render.corosync_conf(shortest).replace(
        f"token: {validate.MIN_TOKEN_MS}\n", f"token: {validate.MIN_TOKEN_MS - 1}\n")
    refused = toolchecks.corosync_test(shortest, tmp_path, text)
    assert refused.returncode != 0 and "Not appropriate token" in refused.stderr


def test_corosync_refuses_a_node_id_over_knet_s_range(tmp_path: Path) -> None:
    """corosync itself draws the line validate.MAX_NODEID encodes."""
    conf = render.corosync_conf(LAB)
    first_id = f"nodeid: {LAB.corosync_nodeid(LAB.nodes[0])}\n"
    for nodeid, accepted in ((validate.MAX_NODEID, True), (validate.MAX_NODEID + 1, False)):
        text = conf.replace(first_id, f"nodeid: {nodeid}\n", 1)
        result = toolchecks.corosync_test(LAB, tmp_path, text)
        assert (result.returncode == 0) == accepted, result.stderr
    assert "less than 65536" in result.stderr


def held(spec: ClusterSpec) -> list[str]:
    """What a node holds of ``spec``'s corosync.conf: its lines, as pyinfra's FileContents
    reads them."""
    return render.corosync_conf(spec).splitlines()


def test_a_new_token_alone_is_reloaded_anything_else_restarts() -> None:
    """What a node holds against a new rendering: a token change is taken at runtime
    (corosync-cfgtool -R); a change to anything else but the node list restarts."""

    new_token = dataclasses.replace(LAB, corosync=Corosync(token_ms=LAB.corosync.token_ms + 500))
    assert render.corosync_reload_suffices(held(LAB), render.corosync_conf(new_token))
    assert render.corosync_reload_suffices(held(LAB), render.corosync_conf(LAB))
    renamed = dataclasses.replace(new_token, name="lab2")
    for other in (TWO_NODES, renamed):
        assert not render.corosync_reload_suffices(held(LAB), render.corosync_conf(other))
    assert not render.corosync_reload_suffices(None, render.corosync_conf(LAB))
    edited = [line.replace("token_coefficient: 0", "token_coefficient: 650")
              for line in held(LAB)]
    assert not render.corosync_reload_suffices(edited, render.corosync_conf(new_token))


def test_nodes_added_or_removed_are_reloaded_a_node_changed_restarts() -> None:
    """Nodes come and go at a reload while every node that stays keeps its id and address (its
    id is its host part, so removing lab2 leaves lab3's alone)."""
    def node(i: int) -> Node:
        return Node(name=f"lab{i}", address=LAB.network.cidr[10 + i],
                    mac=f"52:54:00:4c:41:{i:02x}")
    fourth = node(4)
    four = dataclasses.replace(LAB, nodes=(*LAB.nodes, fourth))
    without_lab2 = dataclasses.replace(four, nodes=(four.nodes[0], *four.nodes[2:]))
    for before, after in ((LAB, four), (four, LAB), (four, without_lab2)):
        assert render.corosync_reload_suffices(held(before), render.corosync_conf(after))
    moved = dataclasses.replace(LAB, nodes=(
        *LAB.nodes[:2], dataclasses.replace(LAB.nodes[2], address=LAB.network.cidr[20])))
    assert not render.corosync_reload_suffices(held(LAB), render.corosync_conf(moved))
    unrelated = dataclasses.replace(LAB, nodes=(node(4), node(5), node(6)))
    assert not render.corosync_reload_suffices(held(LAB), render.corosync_conf(unrelated))
    # What the deploy takes out of the cluster: nodes held that the spec dropped.
    assert render.departed_nodes(held(four), without_lab2) == ["lab2"]
    assert render.departed_nodes(held(four), LAB) == ["lab4"]
    assert render.departed_nodes(held(LAB), four) == render.departed_nodes(None, LAB) == []
    # Debian's own corosync.conf (cluster debian, node1) before the first deploy: none.
    packaged = [line.replace("cluster_name: lab", "cluster_name: debian")
                .replace("name: lab1", "name: node1") for line in held(LAB)]
    assert render.departed_nodes(packaged, LAB) == []


# The environments cover sbd (lab) and fence_virsh (prod); the others add the rest.
@pytest.mark.parametrize("spec", [*(environments.load(env) for env in environments.NAMES),
                                  FENCINGS["fence_ipmilan"], FENCINGS["no-fencing"]],
                         ids=[*environments.NAMES, "fence_ipmilan", "no-fencing"])
def test_pacemaker_accepts_the_cib(spec: ClusterSpec, tmp_path: Path) -> None:
    """crm_verify checks the rendered sections against pacemaker's own schema and IDREFs,
    for each environment and each kind of fencing."""
    if shutil.which("crm_verify") is None:
        pytest.skip("crm_verify (pacemaker-cli-utils) is not installed")
    result = toolchecks.crm_verify(spec, tmp_path)
    assert result.returncode == 0, result.stderr


def test_watchdog_sbd_renders_diskless_sbd_and_pacemaker_waits_twice_its_timeout() -> None:
    spec = FENCINGS["watchdog-sbd"]
    assert isinstance(spec.fencing, WatchdogSbd)
    settings = dict(line.split("=", 1) for line in render.sbd_config(spec.fencing).splitlines()
                    if line and not line.startswith("#"))
    # No SBD_DEVICE: diskless, the watchdog alone resets the node.
    assert settings == {"SBD_PACEMAKER": "yes", "SBD_WATCHDOG_DEV": "/dev/watchdog",
                        "SBD_SYNC_RESOURCE_STARTUP": "yes",
                        "SBD_WATCHDOG_TIMEOUT": "7"}
    properties = render.cluster_properties(spec)
    assert (properties["stonith-enabled"], properties["stonith-watchdog-timeout"]) == \
        ("true", "14")
    assert "stonith-watchdog-timeout" not in render.cluster_properties(PROD)


def unit_directives(text: str) -> dict[str, list[str]]:
    """A systemd unit's directives, each with every value it is given (ExecStart repeats)."""
    directives: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            directives.setdefault(key, []).append(value)
    return directives


@pytest.mark.parametrize("spec", [LAB, RICH], ids=["lab", "rich"])
def test_the_boot_unit_makes_a_real_server_before_the_network(spec: ClusterSpec) -> None:
    """What the lvs agent's start does (VIP/32 on lo, arp_ignore=1, arp_announce=2), at boot,
    ordered before the network and so before any real service."""
    unit = unit_directives(render.real_server_unit(spec))
    assert unit["Before"] == ["network-pre.target"] and unit["DefaultDependencies"] == ["no"]
    sysctl, guard, address = (command.split() for command in unit["ExecStart"])
    assert sorted(sysctl[3:]) == sorted(f"net.ipv4.conf.{conf}.{key}"
                                        for conf in ("all", "lo")
                                        for key in ("arp_ignore=1", "arp_announce=2"))
    # The guard before the VIP: never a moment with the VIP local and resets leaving it.
    assert guard == ["/usr/sbin/nft", "-f", footprint.BOOT_GUARD_NFT]
    assert address == ["/sbin/ip", "address", "replace", f"{spec.vip.address}/32", "dev", "lo"]
    assert unit["WantedBy"] == ["multi-user.target"]
