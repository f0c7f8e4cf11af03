"""The fault matrix: each fault on the lab cluster, the VIP downtime a client sees, a budget
derived from the spec's timing, sessions held through every director fault (those whose real
server lives on must live on), and afterwards a healthy cluster whose every node answers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

import labtools
from lab import cluster, faults
from labtools import LAYOUT

pytestmark = [pytest.mark.lab, pytest.mark.fault]


@pytest.mark.parametrize("fault", list(faults.FAULTS))
def test_vip_survives(cluster_deploys: labtools.Deploys, fault: str,
                      report_outage: Callable[[str], None]) -> None:
    # Failures recorded after the previous fault are reported, and not held against this one.
    director = cluster.wait_healthy(LAYOUT, clear_failures=lambda failed: report_outage(
        f"  before {fault}: cleaned up {failed}")).promoted[0]
    node = faults.target(LAYOUT, fault, director)
    measure = partial(faults.measure, LAYOUT, fault, node)
    try:
        # Through a director fault, sessions held on every node (issue 13).
        outage, held = (faults.held_through(LAYOUT, fault, node, measure,
                                            faults.watch_seconds(LAYOUT, fault))
                        if fault in faults.DIRECTOR_FAULTS else (measure(), None))
        budget = faults.budget(LAYOUT, fault)
        report_outage(f"{fault} on {node}: {outage} (budget {budget.downtime_s} / "
                      f"{budget.disturbed_s} s)" + (f"; {held}" if held else ""))
        assert outage.recovered, f"{fault}: the VIP did not answer again ({outage})"
        if held:
            assert held.unopened == 0 and held.eligible >= 1, f"{fault}: {held}"
            assert held.survived == held.eligible, f"{fault}: {held}"
        # No split brain: only the node pacemaker promoted answers ARP for the VIP.
        witness = next(n.name for n in LAYOUT.spec.nodes if n.name != node)
        promoted = list(cluster.state(LAYOUT, witness).promoted)
        holders = cluster.vip_holders(LAYOUT)
        assert holders == promoted, f"{fault}: the VIP is on {holders}, promoted: {promoted}"
        assert outage.downtime_s <= budget.downtime_s, f"{fault}: {outage} over {budget}"
        assert outage.disturbed_s <= budget.disturbed_s, f"{fault}: {outage} over {budget}"
    finally:
        faults.recover(LAYOUT, fault, node, report_outage)
    times = cluster.operation_times(LAYOUT)
    report_outage(f"  {fault}: operation times after recovery (ms, longest over the nodes): "
                  + ", ".join(f"{op} {ms}" for op, ms in sorted(times.items())))
    # Recovered means balanced: every node answers sessions again, and only pacemaker's
    # ldirectord runs (a rebooted node must not bring up the packaged one).
    assert cluster.unbalanced(LAYOUT) == [], f"{fault}: not balanced after recovery"
    assert cluster.ldirectord_problems(LAYOUT) == [], fault
