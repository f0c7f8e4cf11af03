#!/usr/bin/env python3
"""VIP downtime per fault on the lab cluster, over several runs: min, median, max.

Run from the repository root with the lab cluster up (`make lab`):
    .venv/bin/python bench/failover.py [--runs 3] [FAULT ...]
Each run injects the fault while a client in the lab namespace probes VIP:port every 200 ms,
then repairs the cluster before the next run (a killed or NIC-less VM is rebuilt: minutes).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster, faults  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("faults", nargs="*", default=list(faults.FAULTS))
    args = parser.parse_args()
    layout = Layout(environments.load("lab"))
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"kernel {platform.release()}, lab VMs under qemu TCG; corosync token "
          f"{layout.spec.corosync.token_ms} ms; probe every {faults.PROBE_INTERVAL_S} s")
    print(f"{'fault':<20} {'runs':>4} {'downtime min/median/max (s)':>30} "
          f"{'disturbed max (s)':>18} {'budgets (s)':>12}")
    for fault in args.faults:
        downtimes, disturbed = [], []
        for _ in range(args.runs):
            node = faults.target(layout, fault, cluster.wait_healthy(layout).promoted[0])
            try:
                outage = faults.measure(layout, fault, node)
            finally:
                faults.recover(layout, fault, node)
            downtimes.append(outage.downtime_s)
            disturbed.append(outage.disturbed_s)
        spread = (f"{min(downtimes):.1f} / {statistics.median(downtimes):.1f} / "
                  f"{max(downtimes):.1f}")
        budget = faults.budget(layout, fault)
        print(f"{fault:<20} {args.runs:>4} {spread:>30} {max(disturbed):>18.1f} "
              f"{budget.downtime_s:>5.1f} / {budget.disturbed_s:<5.1f}", flush=True)


if __name__ == "__main__":
    main()
