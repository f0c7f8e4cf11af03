#!/usr/bin/env python3
"""VIP downtime per fault on the lab, over several runs (min, median, max): lvsha, and the
keepalived reference on the same VMs with the same probe, side by side.

Run from the repository root with the lab cluster up (`make lab`):
    .venv/bin/python bench/failover.py [--runs 3] [--lvsha-only] [FAULT ...]
Each run injects the fault while a client in the lab namespace probes VIP:port every 200 ms,
then repairs the cluster before the next run (a killed or NIC-less VM is power-cycled).
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster, faults, reference  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments, keepalived  # noqa: E402

LAYOUT = Layout(environments.load("lab"))


def runs(count: int, fault: str, director: Callable[[], str],
         measure: Callable[[str, str], faults.Outage],
         recover: Callable[[str, str], object]) -> list[faults.Outage]:
    outages = []
    for _ in range(count):
        node = faults.target(LAYOUT, fault, director())
        try:
            outages.append(measure(fault, node))
        finally:
            recover(fault, node)
        print(f"  {fault}: {outages[-1]}", file=sys.stderr, flush=True)
    return outages


def spread(outages: list[faults.Outage]) -> str:
    downtimes = [o.downtime_s for o in outages]
    return (f"{min(downtimes):.1f} / {statistics.median(downtimes):.1f} / {max(downtimes):.1f}"
            f" (disturbed <= {max(o.disturbed_s for o in outages):.1f})")


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
                         lambda f, n: faults.measure(LAYOUT, f, n),
                         lambda f, n: faults.recover(LAYOUT, f, n))
             for fault in args.faults}
    reference_runs: dict[str, list[faults.Outage]] = {}
    if not args.lvsha_only:
        reference.deploy(LAYOUT)
        try:
            reference_runs = {
                fault: runs(args.runs, fault, lambda: reference.wait_healthy(LAYOUT),
                            lambda f, n: reference.measure(LAYOUT, f, n),
                            lambda f, n: reference.recover(LAYOUT, f, n))
                for fault in args.faults if fault in reference.FAULTS}
        finally:
            subprocess.run(["make", "--no-print-directory", "lab-down"], cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
    print("downtime in s, min / median / max; disturbed = last failure after the fault")
    print("| fault | lvsha | keepalived | ratio of medians (lvsha / keepalived) |")
    print("|---|---|---|---|")
    for fault, outages in lvsha.items():
        if fault in reference_runs:
            theirs = reference_runs[fault]
            mine_median = statistics.median(o.downtime_s for o in outages)
            their_median = statistics.median(o.downtime_s for o in theirs)
            ratio = f"{mine_median / their_median:.2f}" if their_median else "n/a (0 s)"
            print(f"| {fault} (keepalived: {reference.FAULTS[fault][0]}) | {spread(outages)} "
                  f"| {spread(theirs)} | {ratio} |")
        else:
            print(f"| {fault} | {spread(outages)} | no counterpart | |")


if __name__ == "__main__":
    main()
