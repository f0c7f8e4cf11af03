#!/usr/bin/env python3
"""The seed's problem 3 before and after: `ifdown; ifup` on the director, with the seed's
original lvs agent (a monitor that reads a state file) and then with lvsha's.

Run from the repository root with the lab cluster up (`make lab`):
    .venv/bin/python bench/seed_agent.py
It installs bench/seed/lvs in place of lvsha's agent on every node and lets pacemaker probe
again, bounces the director's NIC while probing the VIP (the fault tests' nic-bounced), then
redeploys lvsha (its agent comes back) and does the same. The lab ends with lvsha's agent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster, faults, vm  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments, footprint  # noqa: E402

LAYOUT = Layout(environments.load("lab"))
SEED_AGENT = REPO / "bench" / "seed" / "lvs"
FAULT = "nic-bounced"


def install_seed_agent() -> None:
    agent = footprint.LVS.agent.path
    for node in LAYOUT.spec.nodes:
        subprocess.run(vm.ssh_command(LAYOUT, node, f"sudo tee {agent} >/dev/null"),
                       input=SEED_AGENT.read_text(), text=True, check=True, timeout=60)


def reprobe() -> str:
    """Forget every operation's history so pacemaker probes with the agent now installed."""
    cluster.cleanup(LAYOUT)
    return cluster.wait_healthy(LAYOUT).promoted[0]


def bounce(agent: str, director: str) -> None:
    outage = faults.measure(LAYOUT, FAULT, director)
    promoted = cluster.state(LAYOUT, director).promoted
    print(f"| {agent} | {director} | {outage.downtime_s} s | {outage.failed} | "
          f"{'yes' if outage.recovered else 'no'} | {', '.join(promoted) or 'none'} | "
          f"{', '.join(cluster.vip_holders(LAYOUT)) or 'none'} |", flush=True)


def main() -> None:
    budget = faults.budget(LAYOUT, FAULT)
    print(f"ifdown; ifup on the director, VIP probed every {faults.PROBE_INTERVAL_S} s for "
          f"{faults.BASELINE_S + budget.disturbed_s + faults.SETTLE_S:.0f} s")
    print("| agent | director | longest gap | failed probes | VIP answers at the end | "
          "promoted (pacemaker) | VIP on the NIC of |")
    print("|---|---|---|---|---|---|---|")
    install_seed_agent()
    bounce("seed (state file)", reprobe())
    cluster.deploy(LAYOUT)  # lvsha's agent back; the seed's left the VIP nowhere
    bounce("lvsha", reprobe())
    reprobe()  # clears the failed monitor that moved lvsha's VIP back


if __name__ == "__main__":
    main()
