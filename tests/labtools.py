"""Helpers for lab tests: drive the lab through `bin/cdktf`, reach nodes from its namespace."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import cli, cluster, network, record, vm
from lab.layout import Layout
from lvsha import environments

REPO = Path(__file__).resolve().parent.parent
CDKTF = REPO / "bin" / "cdktf"
PYTHON = REPO / ".venv" / "bin" / "python"
LAYOUT = Layout(environments.load("lab"))


def cdktf(*args: str, timeout_s: int = 1200) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(CDKTF), *args, "--auto-approve"], cwd=REPO, text=True,
                            capture_output=True, timeout=timeout_s)
    assert result.returncode == 0, f"cdktf {' '.join(args)} failed:\n{result.stdout[-4000:]}" \
        f"\n{result.stderr[-4000:]}"
    return result


def reset() -> None:
    """Remove whatever an earlier run left: Terraform's view first, then the lab's own."""
    subprocess.run([str(CDKTF), "destroy", "lab", "--auto-approve"], cwd=REPO,
                   capture_output=True, timeout=600)
    subprocess.run([str(PYTHON), "-m", "lab", "lab", "down"], cwd=REPO, check=True,
                   capture_output=True, timeout=300)


def take_over_proven_lab() -> bool:
    """Whether `make lab` has proven this lab since its last deploy (used up here), and it is
    still whole: every VM up and the cluster healthy. Otherwise the caller builds a fresh one."""
    nodes = LAYOUT.spec.nodes
    if cli.status(LAYOUT) or not all(vm.running_pid(LAYOUT, node) for node in nodes) \
            or len(cli.recorded_nodes(LAYOUT)) != len(nodes) or not record.take_proven(LAYOUT):
        return False
    state = cluster.state(LAYOUT)
    return (len(state.online) == len(nodes) and len(state.promoted) == 1
            and not state.failed_actions)


def ssh(node_name: str, command: str, timeout_s: int = 120) -> str:
    node = LAYOUT.spec.node(node_name)
    result = subprocess.run(vm.ssh_command(LAYOUT, node, command), capture_output=True,
                            text=True, timeout=timeout_s)
    assert result.returncode == 0, f"{node_name}: {command!r} failed: {result.stderr}"
    return result.stdout


def status_cli() -> tuple[int, dict[str, Any]]:
    """`python -m lvsha status lab --json` as an operator runs it (in the lab's namespace):
    its exit code and report."""
    result = subprocess.run(network.in_namespace(LAYOUT, str(PYTHON), "-m", "lvsha", "status",
                                                 LAYOUT.spec.name, "--json"),
                            cwd=REPO, capture_output=True, text=True, timeout=180)
    report: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, report


def diff_cli() -> tuple[int, str]:
    """`python -m lvsha diff lab` as an operator runs it (in the lab's namespace): its exit
    code and what it printed."""
    result = subprocess.run(network.in_namespace(LAYOUT, str(PYTHON), "-m", "lvsha", "diff",
                                                 LAYOUT.spec.name),
                            cwd=REPO, capture_output=True, text=True, timeout=1200)
    return result.returncode, result.stdout + result.stderr


def leftovers() -> list[str]:
    """Anything of the lab still on the host: qemu processes, namespace, disks, pidfiles."""
    found = [f"process {pid}" for pid in vm.lab_processes(LAYOUT)]
    if network.namespace_exists(LAYOUT):
        found.append(f"namespace {LAYOUT.namespace}")
    found += [str(p) for p in LAYOUT.state_dir.glob("*/*") if p.name != "console.log"]
    return found


@dataclass
class Deploys:
    first: dict[str, Any]
    process_lists: str
    # `python -m lvsha diff lab` right after: exit code and output
    diff_code: int
    diff: str


def deploy_and_diff() -> Deploys:
    """The lab's first deploy (with every process list seen meanwhile), recorded by `make lab`
    on a lab the tests took over, or run now, and `diff` at once: what a re-run would change.
    (A real re-run is the drift test's deploy, which must change the drifted node alone.)"""
    first = record.first_deploy(LAYOUT)
    if first is None:
        record.deploy(LAYOUT)
        first = record.first_deploy(LAYOUT)
        assert first is not None
    return Deploys(first.report, first.process_lists, *diff_cli())
