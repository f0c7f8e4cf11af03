"""Helpers for lab tests: drive the lab through `bin/cdktf`, reach nodes from its namespace."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lab import network, vm
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
    found = []
    state = str(LAYOUT.state_dir).encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if state in (proc / "cmdline").read_bytes():
                    found.append(f"process {proc.name}")
            except (FileNotFoundError, ProcessLookupError):
                continue
    if network.namespace_exists(LAYOUT):
        found.append(f"namespace {LAYOUT.namespace}")
    found += [str(p) for p in LAYOUT.state_dir.glob("*/*") if p.name != "console.log"]
    return found
