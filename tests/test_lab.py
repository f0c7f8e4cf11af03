"""`cdktf deploy lab` brings up three VMs that answer SSH as the spec says; destroy removes all."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from labtools import LAYOUT, PYTHON, REPO, cdktf, leftovers, reset, ssh

pytestmark = pytest.mark.lab
SPEC = LAYOUT.spec


@pytest.fixture(scope="module")
def deployed() -> Iterator[None]:
    reset()
    try:
        cdktf("deploy", "lab")
        yield
    finally:
        cdktf("destroy", "lab")
        assert leftovers() == []


@pytest.mark.parametrize("node", SPEC.nodes, ids=lambda n: n.name)
def test_node_is_what_the_spec_says(deployed: None, node: object) -> None:
    name = node.name  # type: ignore[attr-defined]
    facts = ssh(name, "whoami; hostname; ip -4 -o addr show dev " + SPEC.nic
                + "; cloud-init status; sudo modprobe ip_vs && grep -c '^ip_vs ' /proc/modules")
    lines = facts.splitlines()
    assert lines[0] == SPEC.ssh.user
    assert lines[1] == name
    assert f"inet {SPEC.node(name).address}/{SPEC.network.cidr.prefixlen}" in lines[2]
    assert lines[3] == "status: done"
    assert lines[4] == "1"


def test_nodes_reach_each_other(deployed: None) -> None:
    for node in SPEC.nodes:
        for other in SPEC.nodes:
            if other != node:
                # By name: /etc/hosts from cloud-init; TCP to the other's sshd.
                ssh(node.name, f"timeout 5 bash -c 'echo > /dev/tcp/{other.name}/22'")


def test_second_deploy_changes_nothing(deployed: None) -> None:
    result = cdktf("deploy", "lab")
    assert "No changes" in result.stdout or "0 added, 0 changed, 0 destroyed" in result.stdout


def test_a_dead_vm_is_reported_with_its_fix(deployed: None) -> None:
    """Runs last in this module: it kills lab3's qemu, which the teardown then cleans up."""
    pid = int(LAYOUT.pidfile(SPEC.nodes[2]).read_text())
    subprocess.run(["kill", "-9", str(pid)], check=True)
    result = subprocess.run([str(PYTHON), "-m", "lab", "lab", "status"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{SPEC.nodes[2].name}: its qemu died" in result.stdout
    assert "make lab-down" in result.stdout
