#!/usr/bin/env python3
"""Node add (3 -> 4) and remove (4 -> 3) on the running lab, as an operator does it, with a
client probing the VIP every 200 ms and SSH sessions held through it.

Run from the repository root on a lab `make lab` brought up:
`.venv/bin/python bench/nodes.py [add] [remove]` (both by default; remove alone expects lab4).
Add: the lab environment gets a fourth node (an edit appended to its file), then
`cdktf deploy lab` starts its VM and the deploy makes it a member. Remove: the edit is taken
back, the deploy moves everything off the node and drops it from corosync, then `cdktf deploy
lab` removes its VM. The environment file is restored even when a step fails; the lab is
left with its 3 nodes.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster, faults  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments  # noqa: E402
from lvsha.spec import ClusterSpec  # noqa: E402

CDKTF = str(REPO / "bin" / "cdktf")
ENVIRONMENT = environments.source("lab")
# The operator's edit: one more node, numbered and addressed as the others are.
EDIT = '''
# A fourth node (bench/nodes.py).
from dataclasses import replace as _replace
SPEC = _replace(SPEC, nodes=(*SPEC.nodes, Node(name="lab4", address=NETWORK[14],
                                               mac="52:54:00:4c:41:04")))
'''
# Long enough for a VM's first boot and a deploy on every node, one after the other.
WATCH_S = 1500.0


def load(path: Path) -> ClusterSpec:
    """The lab spec as the environment file now says (the edit applied or not)."""
    loader = importlib.util.spec_from_file_location("lab_environment", path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    spec: ClusterSpec = module.SPEC
    return spec


def cdktf_deploy() -> None:
    env = {**os.environ, "PATH": f"{REPO / 'bin'}:{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"}
    subprocess.run([CDKTF, "deploy", "lab", "--auto-approve"], cwd=REPO, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(steps: list[tuple[str, Callable[[], object]]], took: dict[str, float]
          ) -> Callable[[], None]:
    """One call running ``steps`` in order, each one's seconds put in ``took``."""
    def run() -> None:
        for label, action in steps:
            start = time.monotonic()
            action()
            took[label] = time.monotonic() - start
    return run


def in_service(layout: Layout, node: str, present: bool) -> Callable[[], bool]:
    """The director's table for the probed service has ``node`` with a weight (or, not
    ``present``, has it no more)."""
    address = str(layout.spec.node(node).address) if present else None

    def holds() -> bool:
        director = cluster.vip_holders(layout)
        if len(director) != 1:
            return False
        port = faults.probed_service(layout).port
        table = cluster.ipvs_table(layout, director[0]).get(f"{layout.spec.vip.address}:{port}",
                                                            {})
        if present:
            return any(server.startswith(f"{address}:") and table[server].weight > 0
                       for server in table)
        return len(table) == len(layout.spec.nodes)
    return holds


def measured(label: str, layout: Layout, steps: list[tuple[str, Callable[[], object]]],
             repaired: Callable[[], bool], leaving: str | None = None) -> None:
    """Run ``steps`` under probes and held sessions; those on ``leaving`` die with it."""
    node = leaving or cluster.wait_healthy(layout).promoted[0]
    took: dict[str, float] = {}
    outage, held = faults.held_through(
        layout, node,
        lambda: faults.watch(layout, timed(steps, took), label, WATCH_S, repaired),
        WATCH_S, faults.boot_id(layout, node))
    print(f"{label}: " + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in took.items()))
    print(f"{label}: probes every {faults.PROBE_INTERVAL_S} s: {outage}")
    print(f"{label}: {held}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No choices=: argparse checks an empty nargs="*" list against them and refuses it.
    parser.add_argument("phases", nargs="*", metavar="add|remove",
                        help="both by default, add first")
    phases = parser.parse_args().phases or ["add", "remove"]
    if not set(phases) <= {"add", "remove"}:
        parser.error(f"phases are add and remove, not {' '.join(phases)}")
    original = ENVIRONMENT.read_text()
    if subprocess.run(["git", "diff", "--quiet", "--", str(ENVIRONMENT)], cwd=REPO).returncode:
        raise SystemExit(f"{ENVIRONMENT} has changes of its own; commit or drop them first")
    three = Layout(load(ENVIRONMENT))
    port = faults.probed_service(three).port
    try:
        ENVIRONMENT.write_text(original + EDIT)
        four = Layout(load(ENVIRONMENT))
        if "add" in phases:
            measured("add lab4", three, [("cdktf deploy", cdktf_deploy),
                                         ("deploy", lambda: cluster.deploy(four))],
                     in_service(four, "lab4", present=True))
        # A 4-node lab on 2 cores records failures (ldirectord monitor timeouts) while it
        # waits; they are cleaned up and said, and would otherwise stop the remove.
        state = cluster.wait_healthy(four, clear_failures=lambda failed: print(
            f"4 nodes: cleaned up {failed}"))
        print(f"4 nodes: online {', '.join(state.online)}; director {state.promoted[0]}; "
              f"30 sessions to port {port}: {dict(sorted(cluster.tally(four, port).items()))}")
    finally:
        ENVIRONMENT.write_text(original)
    if "remove" in phases:
        measured("remove lab4", four, [("deploy", lambda: cluster.deploy(three)),
                                       ("cdktf deploy", cdktf_deploy)],
                 in_service(three, "lab4", present=False), leaving="lab4")
        state = cluster.wait_healthy(three)
        print(f"3 nodes: online {', '.join(state.online)}; director {state.promoted[0]}; "
              f"30 sessions to port {port}: {dict(sorted(cluster.tally(three, port).items()))}")


if __name__ == "__main__":
    main()
