"""The keepalived reference rendered from the same spec: keepalived's own config check and
nft's accept the files, every spec value reaches them, and the notify script puts the VIP
where the lvs agent would."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import netns
import pytest
import toolchecks

from lvsha import environments, keepalived
from lvsha.spec import ClusterSpec

ROLE_SCRIPT = Path(__file__).resolve().parent.parent / "files" / "bin" / "lvsha-keepalived-role"
SPECS = [environments.load(name) for name in environments.NAMES]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_keepalived_accepts_every_node_config(spec: ClusterSpec, tmp_path: Path) -> None:
    for node in spec.nodes:
        result = toolchecks.keepalived_accepts(spec, node, tmp_path)
        assert result.returncode == 0, result.stderr


def test_keepalived_config_test_catches_a_bad_scheduler(tmp_path: Path) -> None:
    spec = SPECS[1]
    text = keepalived.keepalived_conf(spec, spec.nodes[0]).replace("lb_algo lc", "lb_algo lcx")
    assert toolchecks.keepalived_config_test(text, spec.nic, tmp_path).returncode != 0


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_spec_value_reaches_keepalived(spec: ClusterSpec) -> None:
    configs = {node.name: keepalived.keepalived_conf(spec, node) for node in spec.nodes}
    for node in spec.nodes:
        text = configs[node.name]
        assert f"unicast_src_ip {node.address}\n" in text
        peers = re.search(r"unicast_peer \{([^}]*)\}", text)
        assert peers and peers.group(1).split() == [
            str(n.address) for n in spec.nodes if n != node]
        assert f"{spec.vip.address}/{spec.vip.prefix} dev {spec.nic}" in text
        assert f"interface {spec.nic}\n" in text
        reals = re.findall(r"real_server (\S+) \{", text)
        assert reals == [str(n.address) for s in spec.services for n in spec.nodes]
        for service in spec.services:
            assert f"lb_algo {service.scheduler}\n" in text
            assert f"delay_loop {service.check_interval}\n" in text
            assert f"connect_timeout {service.check_timeout}\n" in text
    vrids = {re.findall(r"virtual_router_id (\d+)", t)[0] for t in configs.values()}
    priorities = {re.findall(r"priority (\d+)", t)[0] for t in configs.values()}
    assert len(vrids) == 1 and len(priorities) == len(spec.nodes)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_nft_accepts_the_marking_rules(spec: ClusterSpec, tmp_path: Path) -> None:
    rules = keepalived.nftables_conf(spec)
    for node in spec.nodes:
        assert node.mac in rules
    for service in spec.services:
        assert (f"ip daddr {spec.vip.address} {service.protocol.value} dport {service.port} "
                f"ether saddr != @cluster_macs meta mark set "
                f"{keepalived.firewall_mark(spec, service)}") in rules
    result = toolchecks.nft_check(spec, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def namespace() -> Iterator[str]:
    with netns.scratch("lvsha-kad") as name:
        yield name


def role(namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", namespace, str(ROLE_SCRIPT), *args],
                          capture_output=True, text=True, timeout=30)


def state(namespace: str, vip: str) -> tuple[bool, list[str]]:
    def run(*command: str) -> str:
        return subprocess.run(["ip", "netns", "exec", namespace, *command], check=True,
                              capture_output=True, text=True).stdout
    on_lo = f"inet {vip}/32" in run("ip", "-4", "-o", "addr", "show", "dev", "lo")
    return on_lo, run("sysctl", "-n", "net.ipv4.conf.all.arp_ignore",
                      "net.ipv4.conf.all.arp_announce").split()


def test_role_script_moves_the_vip_like_the_agent(namespace: str) -> None:
    vip = "10.99.0.100"
    assert role(namespace, "real-server", vip).returncode == 0
    assert state(namespace, vip) == (True, ["1", "2"])
    assert role(namespace, "real-server", vip).returncode == 0  # again: nothing changes
    assert state(namespace, vip) == (True, ["1", "2"])
    assert role(namespace, "director", vip).returncode == 0
    assert state(namespace, vip) == (False, ["0", "0"])
    assert role(namespace, "backup", vip).returncode == 2
