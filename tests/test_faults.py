"""The fault matrix: each fault on the lab cluster, the VIP downtime a client sees, a budget
derived from the spec's timing, and a healthy cluster afterwards."""

from __future__ import annotations

import pytest

import labtools
from lab import cluster, faults
from labtools import LAYOUT

pytestmark = [pytest.mark.lab, pytest.mark.fault]


# Without fencing, a node whose corosync dies keeps its VIP (pacemaker there dies too, so
# nothing stops it) until pacemaker restarts and the cluster resolves the double Promoted:
# measured 51 s of sporadic failures. Only fencing (e.g. sbd with a watchdog) fixes that.
NEEDS_FENCING = pytest.mark.xfail(
    strict=True, reason="no fencing: the VIP stays on the node whose corosync was killed")


@pytest.mark.parametrize("fault", [
    pytest.param(fault, marks=NEEDS_FENCING) if fault == "kill-corosync" else fault
    for fault in faults.FAULTS
])
def test_vip_survives(cluster_deploys: labtools.Deploys, fault: str) -> None:
    node = faults.target(LAYOUT, fault, cluster.wait_healthy(LAYOUT).promoted[0])
    try:
        outage = faults.measure(LAYOUT, fault, node)
        budget = faults.budget(LAYOUT, fault)
        assert outage.recovered, f"{fault}: the VIP did not answer again ({outage})"
        assert outage.downtime_s <= budget.downtime_s, f"{fault}: {outage} over {budget}"
        assert outage.disturbed_s <= budget.disturbed_s, f"{fault}: {outage} over {budget}"
    finally:
        faults.recover(LAYOUT, fault, node)
