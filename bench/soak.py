#!/usr/bin/env python3
"""The idle lab cluster over a long stretch: does anything happen when nothing is wrong?

Run from the repository root with the lab cluster up (`make lab`):
    .venv/bin/python bench/soak.py [--minutes 30]
While a client in the lab namespace probes VIP:port once a second, every 10 s it reads
pacemaker's view (who is Promoted, failed actions). At the end it reads each node's journal
for the stretch: corosync's membership changes and token warnings, the DC's scheduled actions
(any promote, start, stop or recovery), and fencing; and which nodes were reset meanwhile (a
new boot id: sbd resets a node without any journal line surviving). An idle cluster at the
chosen timing should show none of them; under emulation a token that is too short shows up
here first.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster, faults, network, probe  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments  # noqa: E402

LAYOUT = Layout(environments.load("lab"))
POLL_S = 10.0
# journalctl patterns (grep -E) and what each counts.
JOURNAL_EVENTS = {
    "corosync membership changes": r"corosync.*A new membership",
    "corosync token warnings": r"corosync.*Token has not been received",
    "pacemaker actions scheduled": r"pacemaker-schedulerd.*Actions: ",
    "fencing requests": r"pacemaker-fenced.*(Client .* wants to fence|requests? .*fenc)",
}


def journal_counts(node: str, since: str) -> dict[str, int]:
    """How often each of JOURNAL_EVENTS appears in ``node``'s journal since ``since``: the
    stretch is read once (every pattern at once), then counted here."""
    anything = "|".join(f"({pattern})" for pattern in JOURNAL_EVENTS.values())
    lines = faults.run_on(LAYOUT, node, f"sudo journalctl --no-pager -q --since '{since}' "
                          f"| grep -E '{anything}' || true").splitlines()
    return {what: sum(1 for line in lines if re.search(pattern, line))
            for what, pattern in JOURNAL_EVENTS.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    spec, seconds = LAYOUT.spec, args.minutes * 60
    director = cluster.wait_healthy(LAYOUT).promoted[0]
    booted = cluster.each_node(LAYOUT, faults.boot_id)
    since = faults.run_on(LAYOUT, director, "date -u '+%Y-%m-%d %H:%M:%S UTC'").strip()
    prober = subprocess.Popen(network.in_namespace(LAYOUT, *probe.command(
        str(spec.vip.address), faults.probed_service(LAYOUT).port, int(seconds), 1.0,
        max_seconds=seconds)), cwd=REPO, stdout=subprocess.PIPE, text=True)
    directors, failed_actions, unreadable = [director], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        try:
            state = cluster.state(LAYOUT, cluster.any_reachable(LAYOUT))
        except (subprocess.SubprocessError, RuntimeError):
            unreadable += 1
            continue
        failed_actions = max(failed_actions, len(state.failed_actions))
        now = ",".join(state.promoted) or "none"
        if now != directors[-1]:
            directors.append(now)
    output, _ = prober.communicate(timeout=seconds + 60)
    answers = probe.read_results(output)
    per_node = {node.name: journal_counts(node.name, since) for node in spec.nodes}
    reset = [node for node, boot in cluster.each_node(LAYOUT, faults.boot_id).items()
             if boot != booted[node]]
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, lab VMs under qemu TCG; "
          f"corosync token {spec.corosync.token_ms} ms; idle for {args.minutes:g} min "
          f"from {since}")
    print("| figure | value |")
    print("|---|---|")
    print(f"| role changes (director moves) | {len(directors) - 1} ({' -> '.join(directors)}) |")
    for what in JOURNAL_EVENTS:
        logged = ", ".join(f"{node} {counts[what]}" for node, counts in per_node.items())
        print(f"| {what} (each node's journal) | {logged} |")
    print(f"| nodes reset (a new boot id) | {len(reset)} {reset or ''} |")
    print(f"| failed actions seen by pacemaker | {failed_actions} |")
    print(f"| probes unanswered | {sum(1 for a in answers if a['answer'] is None)} of "
          f"{len(answers)} |")
    print(f"| polls where no node answered | {unreadable} |")


if __name__ == "__main__":
    main()
