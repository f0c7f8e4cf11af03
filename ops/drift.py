"""`python -m lvsha diff ENV`: pyinfra's dry run of the same deploy (`--dry`: facts are read,
no operation runs), read by `lvsha.drift`. Run where the nodes are reachable: for the lab,
inside its namespace."""

from __future__ import annotations

import subprocess
import sys

from lvsha import drift
from lvsha.paths import REPO
from lvsha.spec import ClusterSpec

# A dry run gathers the same facts as a deploy: ~40-140 s on the emulated lab.
TIMEOUT_S = 900


class DryRunFailed(Exception):
    """pyinfra's dry run did not finish: a node unreachable, a fact that could not be read."""


def plan(spec: ClusterSpec) -> dict[str, drift.NodeDrift]:
    """What a deploy of ``spec`` would change, per node; DryRunFailed if pyinfra failed."""
    result = subprocess.run(
        # Not -y: with it pyinfra skips the change detection a dry run reports.
        [str(REPO / ".venv" / "bin" / "pyinfra"), "--dry", "--diff", "--json",
         f"inventories/{spec.name}.py", "deploy.py"],
        cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S)
    if result.returncode != 0:
        # pyinfra's own words, less any file contents it may have printed
        errors = [line for line in result.stderr.splitlines()
                  if "rror" in line or "failed" in line.lower()]
        sys.stderr.write("\n".join(errors[-20:]) + "\n")
        lost = drift.unreachable(result.stderr)
        raise DryRunFailed(f"the dry run of {spec.name}'s deploy failed (pyinfra exit "
                           f"{result.returncode})"
                           + (f"; unreachable: {', '.join(lost)}" if lost else ""))
    return drift.read(result.stdout, result.stderr)
