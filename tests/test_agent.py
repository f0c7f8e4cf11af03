"""The lvs OCF agent in a network namespace of the test's own: ocf-tester, and a monitor that
reports what the system really is (VIP placement, link, ARP sysctls), not what it remembers."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import netns
import pytest

from lvsha import environments, footprint, render

AGENT = Path(__file__).resolve().parent.parent / "files" / "ocf" / "lvs"
# The host kernel has no ip_vs: a stand-in ipvsadm keeps the sync daemons' state (see it);
# no cluster runs: a stand-in crm_node reports quorum.
FAKE_IPVS = Path(__file__).resolve().parent / "fixtures" / "fake_ipvs"
FAKE_CLUSTER = FAKE_IPVS.parent / "fake_cluster"
IPVS_STATE = Path("/tmp/lvsha-agent-ipvs")
VIP = "10.99.0.100"
NODE_ADDRESS = "10.99.0.5"
NIC = "veth0"
PEER = "veth1"  # the other end of NIC's link: the other nodes
# OCF exit codes (resource-agents' ocf-returncodes)
SUCCESS, GENERIC, NOT_RUNNING, RUNNING_PROMOTED, FAILED_PROMOTED = 0, 1, 7, 8, 9


@pytest.fixture
def namespace() -> Iterator[str]:
    if shutil.which("ocf-tester") is None:
        pytest.skip("ocf-tester (resource-agents) is not installed")
    with netns.scratch("lvsha-agent", ["link", "add", NIC, "type", "veth", "peer", "name", PEER],
                       ["link", "set", NIC, "up"], ["link", "set", PEER, "up"],
                       ["addr", "add", f"{NODE_ADDRESS}/24", "dev", NIC]) as name:
        ipvs_state(name).mkdir(parents=True)
        try:
            yield name
        finally:
            shutil.rmtree(ipvs_state(name))


def ipvs_state(namespace: str) -> Path:
    return IPVS_STATE / namespace


def ipvs_env(namespace: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{FAKE_IPVS}:{FAKE_CLUSTER}:{os.environ['PATH']}",
            "FAKE_IPVS_STATE": str(ipvs_state(namespace)),
            # the agent's own state (send_arp's pid, a handover's mark): this test's alone
            "HA_RSCTMP": str(ipvs_state(namespace))}


def agent(namespace: str, action: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**ipvs_env(namespace), "OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "lvs",
           "OCF_RESKEY_vip": VIP, "OCF_RESKEY_nic": NIC, "OCF_RESKEY_cidr_netmask": "24",
           "__OCF_ACTION": action, **extra}
    return subprocess.run(["ip", "netns", "exec", namespace, str(AGENT), action], env=env,
                          capture_output=True, text=True, timeout=30)


def sync_daemons(namespace: str) -> set[str]:
    return {p.name for p in ipvs_state(namespace).iterdir() if p.name in ("master", "backup")}


def sync_log(namespace: str) -> list[str]:
    log = ipvs_state(namespace) / "log"
    return log.read_text().splitlines() if log.exists() else []


def sh(namespace: str, *command: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["ip", "netns", "exec", namespace, *command], check=True,
                          capture_output=True, text=True, env=env).stdout


def test_ocf_tester_passes(namespace: str) -> None:
    result = subprocess.run(["ip", "netns", "exec", namespace, "ocf-tester", "-n", "lvs",
                             "-o", f"vip={VIP}", "-o", f"nic={NIC}", str(AGENT)],
                            capture_output=True, text=True, timeout=120,
                            env={**ipvs_env(namespace), "OCF_RESKEY_vip": VIP})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout


def test_unpromoted_holds_vip_on_lo_with_arp_hidden(namespace: str) -> None:
    assert agent(namespace, "monitor").returncode == NOT_RUNNING
    assert agent(namespace, "start").returncode == SUCCESS
    assert f"inet {VIP}/32" in sh(namespace, "ip", "-4", "addr", "show", "dev", "lo")
    assert sh(namespace, "sysctl", "-n", "net.ipv4.conf.all.arp_ignore").strip() == "1"
    assert sh(namespace, "sysctl", "-n", "net.ipv4.conf.all.arp_announce").strip() == "2"
    assert agent(namespace, "monitor").returncode == SUCCESS
    sh(namespace, "sysctl", "-w", "net.ipv4.conf.all.arp_ignore=0")
    assert agent(namespace, "monitor").returncode == GENERIC  # would answer ARP for the VIP
    sh(namespace, "sysctl", "-w", "net.ipv4.conf.all.arp_ignore=1")
    sh(namespace, "ip", "addr", "del", f"{VIP}/32", "dev", "lo")
    assert agent(namespace, "monitor").returncode == NOT_RUNNING  # the VIP is gone


def test_promoted_holds_vip_on_nic_and_fails_when_link_drops(namespace: str) -> None:
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    assert f"inet {VIP}/24" in sh(namespace, "ip", "-4", "addr", "show", "dev", NIC)
    assert f"{VIP}" not in sh(namespace, "ip", "-4", "addr", "show", "dev", "lo")
    assert agent(namespace, "monitor").returncode == RUNNING_PROMOTED
    sh(namespace, "ip", "link", "set", NIC, "down")
    assert agent(namespace, "monitor").returncode == FAILED_PROMOTED
    sh(namespace, "ip", "link", "set", NIC, "up")
    sh(namespace, "ip", "addr", "del", f"{VIP}/24", "dev", NIC)
    assert agent(namespace, "monitor").returncode == NOT_RUNNING
    assert agent(namespace, "stop").returncode == SUCCESS


# Counts the ARP frames whose sender is the VIP seen on an interface for a while (run in the
# namespace): gratuitous ARPs announce the sender's own address.
COUNT_ANNOUNCEMENTS = """
import socket, sys, time
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
raw.bind((sys.argv[1], 0))
raw.settimeout(0.2)
seen, until = 0, time.monotonic() + float(sys.argv[3])
while time.monotonic() < until:
    try:
        frame = raw.recv(128)
    except TimeoutError:
        continue
    seen += socket.inet_ntoa(frame[28:32]) == sys.argv[2]
print(seen)
"""


def announcements_during(namespace: str, action: Callable[[], object], seconds: float) -> int:
    """How many ARP announcements of the VIP the other nodes (PEER) see while ``action`` runs
    and ``seconds`` after it starts."""
    listener = subprocess.Popen(["ip", "netns", "exec", namespace, "python3", "-c",
                                 COUNT_ANNOUNCEMENTS, PEER, VIP, str(seconds)],
                                stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    action()
    output, _ = listener.communicate(timeout=seconds + 10)
    return int(output)


@pytest.mark.parametrize("refresh", ["0", "1"])
def test_the_directors_monitor_announces_the_vip_again(namespace: str, refresh: str) -> None:
    """IPaddr2's arp_count_refresh: clients that a resumed hung old director pointed at its
    own MAC are sent back by the next monitor."""
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    time.sleep(2)  # promote's own announcements are over (5 x 200 ms)

    def recurring_monitor() -> None:
        assert agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="5000",
                     OCF_RESKEY_arp_count_refresh=refresh).returncode == RUNNING_PROMOTED
    # send_arp announces with a request and a reply each time.
    assert announcements_during(namespace, recurring_monitor, 4) == 2 * int(refresh)
    assert agent(namespace, "stop").returncode == SUCCESS


def test_validate_rejects_bad_prefix(namespace: str) -> None:
    env_agent = subprocess.run(
        ["ip", "netns", "exec", namespace, str(AGENT), "validate-all"],
        env={**os.environ, "OCF_ROOT": "/usr/lib/ocf", "OCF_RESKEY_vip": VIP,
             "OCF_RESKEY_nic": NIC, "OCF_RESKEY_cidr_netmask": "33"},
        capture_output=True, text=True)
    assert env_agent.returncode == 6  # OCF_ERR_CONFIGURED
    assert "cidr_netmask '33'" in env_agent.stderr


def test_director_sends_its_own_vip_traffic_from_its_address(namespace: str) -> None:
    """Seed problem 2: the director's connections to the VIP must not leave from the VIP."""
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    route = sh(namespace, "ip", "route", "get", VIP)
    assert f"src {NODE_ADDRESS}" in route
    assert sh(namespace, "sysctl", "-n", f"net.ipv4.conf.{NIC}.accept_local").strip() == "1"
    assert agent(namespace, "demote").returncode == SUCCESS
    assert sh(namespace, "sysctl", "-n", f"net.ipv4.conf.{NIC}.accept_local").strip() == "0"
    assert agent(namespace, "monitor").returncode == SUCCESS


def wait_for(condition: Callable[[], bool], timeout_s: float = 15) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_sync_daemon_roles_follow_the_vip_in_an_order_that_never_delivers_and_forwards(
        namespace: str) -> None:
    """Unpromoted runs the backup daemon (its table schedules nothing, backup_only), Promoted
    the master daemon. Promote stops the backup daemon before the VIP reaches the NIC. Demote
    hands over: the VIP leaves the NIC and the node keeps forwarding (no backup daemon) until
    another node answers ARP for the VIP, here the veth peer given the VIP."""
    assert agent(namespace, "start").returncode == SUCCESS
    assert sync_daemons(namespace) == {"backup"}
    assert (ipvs_state(namespace) / "timeouts").read_text().split() == ["7800", "120", "300"]
    assert agent(namespace, "promote").returncode == SUCCESS
    assert sync_daemons(namespace) == {"master"}
    assert agent(namespace, "monitor").returncode == RUNNING_PROMOTED
    assert agent(namespace, "demote").returncode == SUCCESS
    time.sleep(3)  # nobody answers for the VIP yet: still handing over
    assert sync_daemons(namespace) == set()
    assert agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="11000").returncode == \
        SUCCESS
    sh(namespace, "ip", "addr", "add", f"{VIP}/32", "dev", PEER)  # the new director
    assert wait_for(lambda: sync_daemons(namespace) == {"backup"})
    assert sync_log(namespace) == ["start backup vip_on=lo", "stop backup vip_on=lo",
                                   f"start master vip_on={NIC}", "stop master vip_on=lo",
                                   f"start backup vip_on=lo,{PEER}"]
    assert agent(namespace, "stop").returncode == SUCCESS
    assert sync_daemons(namespace) == set()


def test_the_end_of_a_handover_never_fails_a_monitor(namespace: str) -> None:
    """The backup daemon starts before the handover's mark goes: a monitor in between found
    neither, and failed the real server (the lab, after kill-pacemaker, 2026-11-28)."""
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    # The waiter the demote leaves behind inherits this: its backup daemon starts slowly.
    assert agent(namespace, "demote", FAKE_IPVS_START_DELAY_S="3").returncode == SUCCESS
    sh(namespace, "ip", "addr", "add", f"{VIP}/32", "dev", PEER)  # the new director
    deadline, monitors = time.monotonic() + 20, 0
    while sync_daemons(namespace) != {"backup"}:
        assert time.monotonic() < deadline, "the handover did not end"
        result = agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="11000")
        assert result.returncode == SUCCESS, result.stderr
        monitors += 1
    assert monitors > 5  # the monitors did cover the handover's end


def test_a_promotion_during_a_handover_supersedes_it(namespace: str) -> None:
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    assert agent(namespace, "demote").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    sh(namespace, "ip", "addr", "add", f"{VIP}/32", "dev", PEER)
    time.sleep(3)  # a waiter left running would now make this director a real server
    assert sync_daemons(namespace) == {"master"}
    assert list(ipvs_state(namespace).glob("lvs-handover-*")) == []


def test_a_handover_nobody_ends_fails_the_monitor_in_time(namespace: str) -> None:
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    assert agent(namespace, "demote").returncode == SUCCESS
    [mark] = ipvs_state(namespace).glob("lvs-handover-*")
    os.kill(int(mark.read_text()), 15)  # as if it hung
    os.utime(mark, (time.time() - 61, time.time() - 61))
    result = agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="11000")
    assert result.returncode == GENERIC and "not backup" in result.stderr


def test_a_sync_daemon_in_the_wrong_role_fails_the_monitor(namespace: str) -> None:
    fake = ipvs_env(namespace)

    def recurring_monitor() -> subprocess.CompletedProcess[str]:
        return agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="11000")
    assert agent(namespace, "start").returncode == SUCCESS
    sh(namespace, "ipvsadm", "--stop-daemon", "backup", env=fake)
    result = recurring_monitor()
    assert result.returncode == GENERIC and "not backup" in result.stderr
    assert agent(namespace, "start").returncode == SUCCESS  # recovery puts it back
    assert recurring_monitor().returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    sh(namespace, "ipvsadm", "--stop-daemon", "master", env=fake)
    assert recurring_monitor().returncode == FAILED_PROMOTED


def test_a_probe_makes_a_boot_time_real_server_a_sync_backup(namespace: str) -> None:
    """At boot lvsha-real-server.service puts the VIP on lo before the NIC is up; pacemaker's
    first probe finds that real server and starts its backup daemon."""
    sh(namespace, "ip", "addr", "add", f"{VIP}/32", "dev", "lo")
    for conf in ("all", "lo"):
        sh(namespace, "sysctl", "-q", "-w", f"net.ipv4.conf.{conf}.arp_ignore=1",
           f"net.ipv4.conf.{conf}.arp_announce=2")
    assert agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="0").returncode == SUCCESS
    assert sync_daemons(namespace) == {"backup"}


def vip_on_nic(namespace: str) -> bool:
    return f"inet {VIP}/" in sh(namespace, "ip", "-4", "addr", "show", "dev", NIC)


def flush_vip(namespace: str) -> None:
    """What `ifdown; ifup` leaves: the NIC back up with the node's own address only."""
    sh(namespace, "ip", "addr", "del", f"{VIP}/24", "dev", NIC)


def test_the_director_takes_back_a_vip_that_ifdown_ifup_flushed(namespace: str) -> None:
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    flush_vip(namespace)
    # A probe reports what is; the director's recurring monitor takes the VIP back.
    assert agent(namespace, "monitor").returncode == NOT_RUNNING
    assert agent(namespace, "monitor", OCF_RESKEY_CRM_meta_interval="5000").returncode \
        == RUNNING_PROMOTED
    assert vip_on_nic(namespace)
    assert f"src {NODE_ADDRESS}" in sh(namespace, "ip", "route", "get", VIP)
    # Once demoted, the node is no director: a VIP gone then is not taken back.
    assert agent(namespace, "demote").returncode == SUCCESS
    assert agent(namespace, "reclaim").returncode == GENERIC
    assert not vip_on_nic(namespace)


def vip_on_lo(namespace: str) -> bool:
    return f"inet {VIP}/32" in sh(namespace, "ip", "-4", "addr", "show", "dev", "lo")


def test_a_flushed_vip_not_taken_back_serves_from_lo_until_it_may_be(namespace: str) -> None:
    """Without quorum, or with another node answering for the VIP, the director leaves the
    NIC alone and serves its own sessions from lo, forwarding the rest (the handover state),
    until pacemaker demotes it; it takes the VIP back once it may."""
    recurring = {"OCF_RESKEY_CRM_meta_interval": "5000"}
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    flush_vip(namespace)
    result = agent(namespace, "monitor", FAKE_QUORUM="0", **recurring)
    assert result.returncode == FAILED_PROMOTED and "not taken back" in result.stderr
    assert (vip_on_nic(namespace), vip_on_lo(namespace)) == (False, True)
    assert sync_daemons(namespace) == {"master"}  # not backup_only: it still forwards
    sh(namespace, "ip", "addr", "add", f"{VIP}/32", "dev", PEER)  # promoted meanwhile
    assert agent(namespace, "monitor", **recurring).returncode == FAILED_PROMOTED
    assert (vip_on_nic(namespace), vip_on_lo(namespace)) == (False, True)
    sh(namespace, "ip", "addr", "del", f"{VIP}/32", "dev", PEER)
    assert agent(namespace, "monitor", **recurring).returncode == RUNNING_PROMOTED
    assert (vip_on_nic(namespace), vip_on_lo(namespace)) == (True, False)


def test_a_demote_without_quorum_leaves_the_vip_nowhere(namespace: str) -> None:
    """A partition without quorum stops everything: the director's VIP must leave its NIC
    without landing on lo, where this node would answer (and reset) every session once
    ldirectord's table is gone."""
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    result = agent(namespace, "demote", FAKE_QUORUM="0")
    assert result.returncode == SUCCESS and "no quorum here" in result.stderr
    assert (vip_on_nic(namespace), vip_on_lo(namespace)) == (False, False)
    assert sync_daemons(namespace) == set()
    assert list(ipvs_state(namespace).glob("lvs-handover-*")) == []  # nothing to hand over
    assert agent(namespace, "stop").returncode == SUCCESS


def test_the_ifup_hook_gives_the_director_its_vip_back(namespace: str, tmp_path: Path) -> None:
    """The hook lvsha's deploy installs in /etc/network/if-up.d, run as ifup would."""
    lab = dataclasses.replace(environments.load("lab"), nic=NIC)
    rendered = render.reclaim_vip_hook(lab)
    lab_vip = f"OCF_RESKEY_vip={lab.vip.address} OCF_RESKEY_cidr_netmask={lab.vip.prefix} "
    assert lab_vip in rendered  # the spec's VIP; this namespace has the test's
    hook = tmp_path / "hook"
    hook.write_text(rendered.replace(lab_vip, f"OCF_RESKEY_vip={VIP} OCF_RESKEY_cidr_netmask=24 ")
                    .replace(footprint.LVS.agent.path, str(AGENT)))
    hook.chmod(0o755)
    assert agent(namespace, "start").returncode == SUCCESS
    assert agent(namespace, "promote").returncode == SUCCESS
    flush_vip(namespace)
    for iface in ("lo", NIC):
        sh(namespace, str(hook), env={**ipvs_env(namespace), "IFACE": iface, "MODE": "start"})
        assert vip_on_nic(namespace) == (iface == NIC)
