"""The fault matrix: each fault on the lab cluster, the VIP downtime a client sees, a budget
derived from the spec's timing, sessions held through every director fault (those whose real
server lives on must live on), and afterwards a healthy cluster whose every node answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import pytest

import labtools
from lab import cluster, faults, virsh_host
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
    booted = faults.boot_id(LAYOUT, node)
    started = time.time()
    try:
        # Through a director fault, sessions held on every node (issue 13).
        outage, held = (faults.held_through(LAYOUT, node, measure,
                                            faults.watch_seconds(LAYOUT, fault), booted)
                        if fault in faults.SESSION_FAULTS else (measure(), None))
        budget = faults.budget(LAYOUT, fault)
        report_outage(f"{fault} on {node}: {outage} (budget {budget.downtime_s} / "
                      f"{budget.disturbed_s} s)" + (f"; {held}" if held else ""))
        assert outage.recovered, f"{fault}: the VIP did not answer again ({outage})"
        if held:
            assert held.unopened == 0 and held.eligible >= 1, f"{fault}: {held}"
            assert held.survived == held.eligible, f"{fault}: {held}"
        # No split brain: never two nodes answering the client's ARP for the VIP (but for a
        # resumed node's replies to what was queued during its freeze).
        assert faults.split_brain(fault, outage) == (), f"{fault}: {outage}"
        # At the watch's end only the node pacemaker promoted holds the VIP (but for a fault
        # that may reset the node, faults.MAY_RESET: it may still be on its way down).
        if fault not in faults.MAY_RESET:
            holders, promoted = faults.vip_and_promoted(LAYOUT, node)
            assert holders == promoted, \
                f"{fault}: the VIP is on {holders}, promoted: {promoted}"
        assert outage.downtime_s <= budget.downtime_s, f"{fault}: {outage} over {budget}"
        assert outage.disturbed_s <= budget.disturbed_s, f"{fault}: {outage} over {budget}"
        if fault == "kill-vm":  # the node is still gone: the operator's status names it
            code, report = labtools.status_cli()
            assert (code, report["verdict"]) == (1, "degraded"), report
            assert f"{node} is not an online member" in report["reasons"], report
            # and diff cannot say what a deploy would do (a deploy would stop before changing
            # anything)
            code, said = labtools.diff_cli()
            assert code == 2 and f"unreachable: {node}" in said, said
    finally:
        healthy = faults.recover(LAYOUT, fault, node, report_outage)
    # And once the cluster is healthy again, for every fault: after kill-pacemaker pacemaker
    # may not know the director's role for 2 minutes (faults.MAY_RESET) while it serves on.
    holders = cluster.vip_holders(LAYOUT)
    assert holders == list(healthy.promoted), \
        f"{fault}: the VIP is on {holders}, promoted: {healthy.promoted}"
    # Reset when the fault must reset it (or power-cycled), and never otherwise.
    reset = faults.boot_id(LAYOUT, node) != booted
    if fault in faults.MAY_RESET:
        report_outage(f"  {fault}: {node} was {'' if reset else 'not '}reset")
    else:
        assert reset == (fault in faults.RESET | faults.POWER_CYCLE), \
            f"{fault}: {node} was {'' if reset else 'not '}reset"
    if faults.fenced_by_device(LAYOUT):
        # Fenced means powered off by the fence device (a killed VM is off already), and only
        # the broken node; recover() powered it on again.
        fenced = virsh_host.fenced(LAYOUT, since=started)
        assert {name for _, name in fenced} <= {node}, f"{fault}: fenced {fenced}"
        if fault not in faults.MAY_RESET and fault != "kill-vm":
            assert (("destroy", node) in fenced) == (fault in faults.RESET | faults.POWER_CYCLE), \
                f"{fault}: the fence device did {fenced or 'nothing'}"
    times = cluster.operation_times(LAYOUT)
    report_outage(f"  {fault}: operation times after recovery (ms, longest over the nodes): "
                  + ", ".join(f"{op} {ms}" for op, ms in sorted(times.items())))
    # Recovered means balanced: every node answers sessions again, and only pacemaker's
    # ldirectord runs (a rebooted node must not bring up the packaged one). Healthy already
    # means every node in every service's table; sessions of the services with no SSH farm
    # show it (no fault touches sshd, and nine logins cost ~15 s of CI per fault).
    assert cluster.unbalanced(LAYOUT, logins=False) == [], \
        f"{fault}: not balanced after recovery"
    assert cluster.ldirectord_problems(LAYOUT) == [], fault
