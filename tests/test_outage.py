"""The fault harness's arithmetic: what a client's probe results say about an outage."""

from lab.faults import outage


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
