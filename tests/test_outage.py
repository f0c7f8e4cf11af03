"""The fault harness's arithmetic: what a client's probe results say about an outage, and the
budgets a fault gets from the spec's timing and fencing."""

from dataclasses import replace
from functools import partial

import pytest

from lab import cluster, faults, probe
from lab.faults import outage
from lab.layout import Layout
from lvsha import environments
from lvsha.spec import Fencing, NoFencing, WatchdogSbd


def result(t: float, answer: str | None, error: str | None = None) -> dict[str, object]:
    return {"t": t, "answer": answer, "error": error, "ms": 5}


def test_downtime_is_the_longest_gap_and_disturbance_ends_at_the_last_failure() -> None:
    results = [result(0.0, "a"), result(1.0, None, "connect timeout"),
               result(1.2, None, "connect timeout"), result(1.4, "b"),
               result(3.0, None, "connect: Connection refused")] + [
        result(3.2 + i * 0.2, "c") for i in range(5)]
    seen = outage(results, fault_at_s=0.5)
    assert seen.downtime_s == 0.4
    assert seen.disturbed_s == 2.7
    assert seen.failed == 3 and seen.recovered
    assert seen.failures[0] == (0.5, "connect timeout")
    assert "+2.5s connect: Connection refused" in str(seen)


def test_disturbance_is_never_shorter_than_the_downtime() -> None:
    """A probe that waited out its 1 s connect timeout: the gap ends at the next answer."""
    results = [result(0.0, "a"), result(0.6, None, "connect timeout"), result(1.8, "a")] + [
        result(2.0 + i * 0.2, "a") for i in range(5)]
    seen = outage(results, fault_at_s=0.5)
    assert seen.downtime_s == 1.2 and seen.disturbed_s == 1.3


def test_failures_at_the_end_mean_not_recovered() -> None:
    results = [result(0.0, "a"), result(1.0, "a")] + [
        result(1.2 + i * 0.2, None, "connect timeout") for i in range(3)]
    seen = outage(results, fault_at_s=0.5)
    assert not seen.recovered
    assert seen.downtime_s == 0.6  # three probes, 0.2 s apart
    assert "NOT recovered" in str(seen)


def test_failures_before_the_fault_do_not_count() -> None:
    results = [result(0.0, None, "connect timeout")] + [
        result(1.0 + i * 0.2, "a") for i in range(6)]
    assert outage(results, fault_at_s=0.5).failed == 0


def test_a_failure_says_where_ipvs_sent_its_connection_and_a_late_one_is_shown() -> None:
    lcn = cluster.ipvs_connections(
        "IPVS connection entries\n"
        "pro expire state       source             virtual            destination\n"
        "TCP 00:57  SYN_RECV    10.77.0.1:41234    10.77.0.100:80     10.77.0.11:80\n"
        "TCP 14:56  ESTABLISHED 10.77.0.1:40686    10.77.0.100:22     10.77.0.12:22\n")
    assert lcn == [("SYN_RECV", "10.77.0.1:41234", "10.77.0.100:80", "10.77.0.11:80"),
                   ("ESTABLISHED", "10.77.0.1:40686", "10.77.0.100:22", "10.77.0.12:22")]
    results = [result(0.0, "a")] + [
        {**result(1.0 + i, None, "connect timeout"), "source_port": 41000 + i}
        for i in range(16)] + [result(20.0 + i * 0.2, "a") for i in range(5)]
    results[-6]["vip_mac"] = LAB.spec.node("lab2").mac
    seen = outage(results, fault_at_s=0.5, explain=partial(
        faults.where_sent, LAB, {41015: "lab2: SYN_RECV to lab1"}))
    assert seen.failures[-1] == (
        15.5, "connect timeout (VIP at lab2; lab2: SYN_RECV to lab1)")
    assert "(+4 more); +12.5s connect timeout (VIP at no MAC; no IPVS entry left)" in str(seen)
    assert str(seen).endswith("+15.5s connect timeout (VIP at lab2; lab2: SYN_RECV to lab1)")


LAB = Layout(environments.load("lab"))


def lab_with(fencing: Fencing) -> Layout:
    return Layout(replace(environments.load("lab"), fencing=fencing))


@pytest.mark.parametrize("fault", ["kill-vm", "nic-down", "kill-corosync", "hung-director",
                                   "director-cut-off"])
def test_losing_the_director_is_budgeted_its_fencing_wait(fault: str) -> None:
    """Survivors recover a lost node's resources only once it counts as fenced: with watchdog
    sbd, after stonith-watchdog-timeout."""
    sbd = WatchdogSbd(watchdog_timeout_s=10)
    fenced = faults.budget(lab_with(sbd), fault)
    unfenced = faults.budget(lab_with(NoFencing(reason="test")), fault)
    assert fenced.downtime_s == pytest.approx(unfenced.downtime_s + 20)
    assert fenced.disturbed_s >= fenced.downtime_s + faults.TAIL_S


def test_every_fault_has_a_budget_and_a_hang_is_watched_past_its_resume() -> None:
    layout = lab_with(WatchdogSbd(watchdog_timeout_s=10))
    for fault in faults.FAULTS:
        assert faults.watch_seconds(layout, fault) > faults.budget(layout, fault).disturbed_s
    for fault in ("hung-director", "hung-real-server"):
        assert faults.watch_seconds(layout, fault) >= faults.HANG_S + faults.AFTER_RESUME_S


def test_only_a_resumed_nodes_replies_to_its_queue_are_not_split_brain() -> None:
    seen = replace(outage([result(0.0, "a")], fault_at_s=0.0), two_holders=(
        (faults.HANG_S - 0.5, ("lab1", "lab2")), (faults.HANG_S + 4.0, ("lab1", "lab2"))))
    assert faults.split_brain("hung-director", seen) == ((faults.HANG_S + 4.0, ("lab1", "lab2")),)
    assert faults.split_brain("director-cut-off", seen) == seen.two_holders


def test_a_connected_probe_says_whether_its_answer_came_late_or_not_at_all() -> None:
    late = {**result(1.0, None, probe.NO_ANSWER_IN_TIME), "late_ms": 4300, "watched_ms": 4300}
    never = {**result(1.2, None, probe.NO_ANSWER_IN_TIME), "late_ms": None,
             "watched_ms": 10000}
    results = [result(0.0, "a"), late, never] + [result(2.0 + i * 0.2, "a") for i in range(5)]
    seen = outage(results, fault_at_s=0.5)
    assert [why for _, why in seen.failures] == [
        "connected, no answer in time, answered after 4.3 s",
        "connected, no answer in time, none in 10.0 s"]
    assert seen.failed == 2 and seen.lost == 1


def test_a_connection_answered_slowly_is_no_failure_but_is_reported() -> None:
    """Accepted and answered 1.2 s after the attempt (CI31): the director's path worked."""
    slowly = {**result(1.0, None, probe.NO_ANSWER_IN_TIME), "late_ms": 1200, "watched_ms": 1200}
    retried_syn = {**result(3.0, None, probe.CONNECT_TIMEOUT), "late_ms": 1100,
                   "watched_ms": 1100}
    results = [result(0.0, "a"), slowly] + [result(1.2 + i * 0.2, "a") for i in range(9)] + [
        retried_syn] + [result(3.2 + i * 0.2, "a") for i in range(5)]
    seen = outage(results, fault_at_s=0.5)
    assert seen.slow == (0.5,)
    assert seen.failed == 1 and seen.failures == (
        (2.5, "connect timeout, answered after 1.1 s"),)
    assert seen.downtime_s == 0.2 and seen.disturbed_s == 2.7
    assert str(seen).endswith("; answered slowly at +0.5s")
    late_at_the_end = results[:-1] + [slowly | {"t": 4.2}]
    assert outage(late_at_the_end, fault_at_s=0.5).recovered
