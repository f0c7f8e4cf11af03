#!/usr/bin/env python3
"""VIP downtime per fault on the lab, over several runs (min, median, max): lvsha, and the
keepalived reference on the same VMs with the same probe, side by side.

Run from the repository root with the lab cluster up (`make lab`):
    .venv/bin/python bench/failover.py [--runs 3] [--lvsha-only] [FAULT ...]
Each run injects the fault while a client in the lab namespace probes VIP:port every 200 ms
(and, for a director fault, holds SSH sessions on every node through it), then repairs the cluster
before the next run (a killed or NIC-less VM is power-cycled).
For the reference, keepalived then replaces pacemaker on the same VMs (deploy_keepalived.py);
at the end the lab is removed (`make lab-down`), since it no longer runs lvsha.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster, faults, reference  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments, keepalived  # noqa: E402

LAYOUT = Layout(environments.load("lab"))


Run = tuple[faults.Outage, faults.HeldSessions | None]


def runs(count: int, fault: str, director: Callable[[], str],
         measure: Callable[[str, str], Run], recover: Callable[[str, str], object]) -> list[Run]:
    results = []
    for _ in range(count):
        node = faults.target(LAYOUT, fault, director())
        try:
            results.append(measure(fault, node))
        finally:
            recover(fault, node)
        outage, held = results[-1]
        print(f"  {fault}: {outage}; {held or 'no sessions held'}", file=sys.stderr, flush=True)
    return results


def lvsha_run(fault: str, node: str) -> Run:
    measure = partial(faults.measure, LAYOUT, fault, node)
    if fault not in faults.SESSION_FAULTS:
        return measure(), None
    return faults.held_through(LAYOUT, node, measure, faults.watch_seconds(LAYOUT, fault),
                               faults.boot_id(LAYOUT, node))


def reference_run(fault: str, node: str) -> Run:
    measure = partial(reference.measure, LAYOUT, fault, node)
    if fault not in faults.SESSION_FAULTS:
        return measure(), None
    return faults.held_through(LAYOUT, node, measure, reference.WATCH_S,
                               faults.boot_id(LAYOUT, node))


def spread(results: list[Run]) -> str:
    downtimes = [outage.downtime_s for outage, _ in results]
    return (f"{min(downtimes):.1f} / {statistics.median(downtimes):.1f} / {max(downtimes):.1f}"
            f" (disturbed <= {max(outage.disturbed_s for outage, _ in results):.1f})")


def held(results: list[Run]) -> str:
    """Sessions survived / eligible per run, and the longest stall min / median / max."""
    sessions = [h for _, h in results if h is not None]
    if not sessions:
        return "no sessions held"
    stalls = [h.longest_stall_s for h in sessions]
    return (", ".join(f"{h.survived}/{h.eligible}" for h in sessions)
            + f"; stall {min(stalls):.1f} / {statistics.median(stalls):.1f} / "
              f"{max(stalls):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lvsha-only", action="store_true")
    parser.add_argument("faults", nargs="*", default=list(faults.FAULTS))
    args = parser.parse_args()
    spec = LAYOUT.spec
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"kernel {platform.release()}, lab VMs under qemu TCG; corosync token "
          f"{spec.corosync.token_ms} ms; VRRP advert {keepalived.ADVERT_INT_S} s; "
          f"probe every {faults.PROBE_INTERVAL_S} s; {args.runs} runs per fault")
    lvsha = {fault: runs(args.runs, fault, lambda: cluster.wait_healthy(LAYOUT).promoted[0],
                         lvsha_run, lambda f, n: faults.recover(LAYOUT, f, n))
             for fault in args.faults}
    reference_runs: dict[str, list[Run]] = {}
    if not args.lvsha_only:
        reference.deploy(LAYOUT)
        try:
            reference_runs = {
                fault: runs(args.runs, fault, lambda: reference.wait_healthy(LAYOUT),
                            reference_run, lambda f, n: reference.recover(LAYOUT, f, n))
                for fault in args.faults if fault in reference.FAULTS}
        finally:
            subprocess.run(["make", "--no-print-directory", "lab-down"], cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
    print("downtime in s, min / median / max; disturbed = last failure after the fault")
    print("| fault | lvsha | keepalived | ratio of medians (lvsha / keepalived) |")
    print("|---|---|---|---|")
    for fault, results in lvsha.items():
        if fault in reference_runs:
            theirs = reference_runs[fault]
            mine_median = statistics.median(outage.downtime_s for outage, _ in results)
            their_median = statistics.median(outage.downtime_s for outage, _ in theirs)
            ratio = f"{mine_median / their_median:.2f}" if their_median else "n/a (0 s)"
            print(f"| {fault} (keepalived: {reference.FAULTS[fault][0]}) | {spread(results)} "
                  f"| {spread(theirs)} | {ratio} |")
        else:
            print(f"| {fault} | {spread(results)} | no counterpart | |")
    print(f"\nheld SSH sessions ({faults.SESSIONS_PER_NODE} per node, each printing every 200 ms): "
          "survived / eligible per run (sessions on a node the fault takes down are not "
          "eligible); longest stall of an eligible session, min / median / max")
    print("| fault | lvsha | keepalived |")
    print("|---|---|---|")
    for fault in faults.SESSION_FAULTS:
        if fault in lvsha:
            reference_held = held(reference_runs[fault]) if fault in reference_runs else "none"
            print(f"| {fault} | {held(lvsha[fault])} | {reference_held} |")


if __name__ == "__main__":
    main()
