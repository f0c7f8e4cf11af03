"""`cdktf deploy lab` brings up three VMs that answer SSH as the spec says; destroy removes all."""

from __future__ import annotations

import json
import subprocess

import pytest

from labtools import LAYOUT, PYTHON, REPO, cdktf, ssh
from lvsha.spec import Node

pytestmark = pytest.mark.lab
SPEC = LAYOUT.spec


@pytest.mark.parametrize("node", SPEC.nodes, ids=lambda n: n.name)
def test_node_is_what_the_spec_says(lab: None, node: Node) -> None:
    assert ssh(node.name, "whoami").strip() == SPEC.ssh.user
    assert ssh(node.name, "hostname").strip() == node.name
    addresses = ssh(node.name, f"ip -4 -o addr show dev {SPEC.nic}")
    assert f"inet {node.address}/{SPEC.network.cidr.prefixlen}" in addresses
    # cloud-init's first boot finished without errors, and it is off for later boots (lab.vm).
    first_boot = json.loads(ssh(node.name, "sudo cat /var/lib/cloud/data/result.json"))
    assert first_boot["v1"]["errors"] == []
    assert ssh(node.name, "cloud-init status").strip() == "status: disabled"
    assert ssh(node.name, "sudo modprobe ip_vs && grep -c '^ip_vs ' /proc/modules").strip() \
        == "1"


def test_nodes_reach_each_other(lab: None) -> None:
    for node in SPEC.nodes:
        for other in SPEC.nodes:
            if other != node:
                # By name: /etc/hosts from cloud-init; TCP to the other's sshd.
                ssh(node.name, f"timeout 5 bash -c 'echo > /dev/tcp/{other.name}/22'")


def test_second_cdktf_deploy_changes_nothing(lab: None) -> None:
    result = cdktf("deploy", "lab")
    assert "No changes" in result.stdout or "0 added, 0 changed, 0 destroyed" in result.stdout


@pytest.mark.destructive
def test_a_dead_vm_is_reported_with_its_fix(lab: None) -> None:
    """Runs after every other test: it kills lab3's qemu, which the teardown cleans up."""
    pid = int(LAYOUT.pidfile(SPEC.nodes[2]).read_text())
    subprocess.run(["kill", "-9", str(pid)], check=True)
    result = subprocess.run([str(PYTHON), "-m", "lab", "lab", "status"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{SPEC.nodes[2].name}: its qemu died" in result.stdout
    assert "make lab-down" in result.stdout


@pytest.mark.destructive
def test_a_lab_gone_behind_terraforms_back_is_reported(lab: None) -> None:
    """As after a host reboot or a cut-off run: Terraform's state still records the VMs, so
    `cdktf deploy` alone would change nothing; status names the fix `make lab` runs first."""
    subprocess.run([str(PYTHON), "-m", "lab", "lab", "down"], cwd=REPO, check=True,
                   capture_output=True, timeout=300)
    result = subprocess.run([str(PYTHON), "-m", "lab", "lab", "status"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 1
    for node in SPEC.nodes:
        assert f"{node.name}: Terraform's state" in result.stdout
    assert "make lab-down" in result.stdout
