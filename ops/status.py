"""`python -m lvsha status ENV`: read every node over the SSH access the deploy uses (the
spec's user and key, the environment's known_hosts), at once, and judge them
(`lvsha.status`). Run where the nodes are reachable: for the lab, inside its namespace."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from lvsha import paths, status
from lvsha.spec import ClusterSpec, Node

# A node answers within seconds even under emulation; one that does not is reported.
TIMEOUT_S = 60
Runner = Callable[[Node, str], subprocess.CompletedProcess[str]]


def over_ssh(spec: ClusterSpec) -> Runner:
    """A runner for ``spec``'s nodes with the deploy's own SSH settings (pyinfra's inventory,
    `lvsha.inventory`)."""
    def run(node: Node, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ssh", "-i", str(paths.private_key(spec)), "-o", "BatchMode=yes",
             "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=accept-new",
             "-o", f"UserKnownHostsFile={paths.known_hosts(spec)}", "-o", "LogLevel=ERROR",
             f"{spec.ssh.user}@{node.address}", command],
            capture_output=True, text=True, timeout=TIMEOUT_S)
    return run


def read(spec: ClusterSpec, node: Node, run: Runner) -> status.NodeReading:
    try:
        result = run(node, status.probe_command(spec))
    except subprocess.TimeoutExpired:
        return status.NodeReading(node.name, error=f"no answer in {TIMEOUT_S} s")
    if result.returncode == 255:  # ssh's own failure: the node was never asked
        return status.NodeReading(node.name, error=result.stderr.strip() or "ssh failed")
    return status.NodeReading(node.name, parts=status.split_reading(result.stdout))


def report(spec: ClusterSpec, run: Runner | None = None) -> status.Report:
    """Every node read at once (a command on an emulated node takes seconds), judged."""
    runner = run or over_ssh(spec)
    with ThreadPoolExecutor(len(spec.nodes)) as pool:
        readings = list(pool.map(lambda node: read(spec, node, runner), spec.nodes))
    return status.judge(spec, readings)
