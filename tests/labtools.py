"""Helpers for lab tests: drive the lab through `bin/cdktf`, reach nodes from its namespace."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import cluster, network, vm
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


def ssh(node_name: str, command: str, timeout_s: int = 120) -> str:
    node = LAYOUT.spec.node(node_name)
    result = subprocess.run(vm.ssh_command(LAYOUT, node, command), capture_output=True,
                            text=True, timeout=timeout_s)
    assert result.returncode == 0, f"{node_name}: {command!r} failed: {result.stderr}"
    return result.stdout


def leftovers() -> list[str]:
    """Anything of the lab still on the host: qemu processes, namespace, disks, pidfiles."""
    found = [f"process {pid}" for pid in vm.lab_processes(LAYOUT)]
    if network.namespace_exists(LAYOUT):
        found.append(f"namespace {LAYOUT.namespace}")
    found += [str(p) for p in LAYOUT.state_dir.glob("*/*") if p.name != "console.log"]
    return found


class ProcessListRecorder(threading.Thread):
    """Every command line on the host and on each node, sampled while the deploy runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[str] = []
        self.stop = threading.Event()
        # One long-lived ssh per node: sampling there costs no new connection per sample.
        script = "while :; do ps -eo args; echo ---; sleep 1; done"
        self.nodes = [subprocess.Popen(vm.ssh_command(LAYOUT, node, script),
                                       stdout=subprocess.PIPE, text=True)
                      for node in LAYOUT.spec.nodes]

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.samples.append(subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                               text=True).stdout)

    def finish(self) -> str:
        self.stop.set()
        self.join()
        for process in self.nodes:
            process.terminate()
        node_output = [process.communicate(timeout=30)[0] for process in self.nodes]
        return "\n".join(self.samples + node_output)


@dataclass
class Deploys:
    first: dict[str, Any]
    second: dict[str, Any]
    process_lists: str


def deploy_twice() -> Deploys:
    """The first deploy (recording every process list meanwhile) and an immediate re-run."""
    recorder = ProcessListRecorder()
    recorder.start()
    first = cluster.deploy(LAYOUT)
    process_lists = recorder.finish()
    return Deploys(first, cluster.deploy(LAYOUT), process_lists)
