"""The fault matrix: each fault on the lab cluster, the VIP downtime a client sees, a budget
derived from the spec's timing, and afterwards a healthy cluster whose every node answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import labtools
from lab import cluster, faults
from labtools import LAYOUT

pytestmark = [pytest.mark.lab, pytest.mark.fault]


@pytest.mark.parametrize("fault", list(faults.FAULTS))
def test_vip_survives(cluster_deploys: labtools.Deploys, fault: str,
                      report_outage: Callable[[str], None]) -> None:
    node = faults.target(LAYOUT, fault, cluster.wait_healthy(LAYOUT).promoted[0])
    try:
        outage = faults.measure(LAYOUT, fault, node)
        budget = faults.budget(LAYOUT, fault)
        report_outage(f"{fault} on {node}: {outage} (budget {budget.downtime_s} / "
                      f"{budget.disturbed_s} s)")
        assert outage.recovered, f"{fault}: the VIP did not answer again ({outage})"
        # No split brain: only the node pacemaker promoted answers ARP for the VIP.
        witness = next(n.name for n in LAYOUT.spec.nodes if n.name != node)
        promoted = list(cluster.state(LAYOUT, witness).promoted)
        holders = cluster.vip_holders(LAYOUT)
        assert holders == promoted, f"{fault}: the VIP is on {holders}, promoted: {promoted}"
        assert outage.downtime_s <= budget.downtime_s, f"{fault}: {outage} over {budget}"
        assert outage.disturbed_s <= budget.disturbed_s, f"{fault}: {outage} over {budget}"
    finally:
        faults.recover(LAYOUT, fault, node)
    times = cluster.operation_times(LAYOUT)
    report_outage(f"  {fault}: operation times after recovery (ms, longest over the nodes): "
                  + ", ".join(f"{op} {ms}" for op, ms in sorted(times.items())))
    # Recovered means balanced: every node answers sessions again, and only pacemaker's
    # ldirectord runs (a rebooted node must not bring up the packaged one).
    assert cluster.unbalanced(LAYOUT) == [], f"{fault}: not balanced after recovery"
    assert cluster.ldirectord_problems(LAYOUT) == [], fault
