#!/usr/bin/env python3
"""Deploy figures on the lab: the first pyinfra run on fresh VMs, and the no-op re-run.

Run from the repository root after `make setup`: `.venv/bin/python bench/deploy.py`.
It recreates the lab (`bin/cdktf destroy lab` + `deploy lab`) so the first run is a real one,
and leaves the lab with the cluster up.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cluster  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments  # noqa: E402

CDKTF = str(REPO / "bin" / "cdktf")
LAYOUT = Layout(environments.load("lab"))


def main() -> None:
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"kernel {platform.release()}, lab VMs under qemu TCG")
    for command in ("destroy", "deploy"):
        subprocess.run([CDKTF, command, "lab", "--auto-approve"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = []
    for label in ("first run (fresh VMs)", "re-run (no change)"):
        start = time.monotonic()
        report = cluster.deploy(LAYOUT)
        elapsed = time.monotonic() - start
        runs.append(elapsed)
        print(f"deploy, {label}: {elapsed:6.1f} s, "
              f"{len(cluster.changed_operations(report))} operation(s) changed")
    print(f"re-run / first run: {runs[1] / runs[0]:.2f}")


if __name__ == "__main__":
    main()
