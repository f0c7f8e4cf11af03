"""The lvs OCF agent in a network namespace of the test's own: ocf-tester, and a monitor that
reports what the system really is (VIP placement, link, ARP sysctls), not what it remembers."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parent.parent / "files" / "ocf" / "lvs"
VIP = "10.99.0.100"
NODE_ADDRESS = "10.99.0.5"
NIC = "veth0"
# OCF exit codes (resource-agents' ocf-returncodes)
SUCCESS, GENERIC, NOT_RUNNING, RUNNING_PROMOTED, FAILED_PROMOTED = 0, 1, 7, 8, 9


@pytest.fixture
def namespace() -> Iterator[str]:
    if shutil.which("ocf-tester") is None:
        pytest.skip("ocf-tester (resource-agents) is not installed")
    name = f"lvsha-agent-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (["link", "add", NIC, "type", "veth", "peer", "name", "veth1"],
                        ["link", "set", NIC, "up"], ["link", "set", "veth1", "up"],
                        ["addr", "add", f"{NODE_ADDRESS}/24", "dev", NIC],
                        ["link", "set", "lo", "up"]):
            subprocess.run(["ip", "-n", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


def agent(namespace: str, action: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "lvs",
           "OCF_RESKEY_vip": VIP, "OCF_RESKEY_nic": NIC, "OCF_RESKEY_cidr_netmask": "24",
           "__OCF_ACTION": action}
    return subprocess.run(["ip", "netns", "exec", namespace, str(AGENT), action], env=env,
                          capture_output=True, text=True, timeout=30)


def sh(namespace: str, *command: str) -> str:
    return subprocess.run(["ip", "netns", "exec", namespace, *command], check=True,
                          capture_output=True, text=True).stdout


def test_ocf_tester_passes(namespace: str) -> None:
    result = subprocess.run(["ip", "netns", "exec", namespace, "ocf-tester", "-n", "lvs",
                             "-o", f"vip={VIP}", "-o", f"nic={NIC}", str(AGENT)],
                            capture_output=True, text=True, timeout=120)
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
