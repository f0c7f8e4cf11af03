"""The keepalived reference (bench/failover.py compares lvsha with it) on the lab's VMs: one
director, traffic through the VIP balanced over all three nodes as real servers."""

from __future__ import annotations

import pytest

import labtools
from lab import cluster, faults, reference
from labtools import LAYOUT, ssh

pytestmark = [pytest.mark.lab, pytest.mark.reference]
SPEC = LAYOUT.spec
PORT = faults.probed_service(LAYOUT).port


def test_keepalived_reference_balances_over_every_node(cluster_deploys: labtools.Deploys) -> None:
    reference.deploy(LAYOUT)
    director = reference.wait_healthy(LAYOUT)
    assert cluster.vip_holders(LAYOUT) == [director]
    for node in SPEC.nodes:
        assert "active" in ssh(node.name, "systemctl is-active keepalived")
        assert ssh(node.name, "systemctl is-active pacemaker || true").strip() == "inactive"
    assert set(cluster.tally(LAYOUT, PORT, 30)) == {n.name for n in SPEC.nodes}
