"""A bad inventory or an unreachable node stops the deploy before any change, naming it."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYINFRA = REPO / ".venv" / "bin" / "pyinfra"


def deploy(inventory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PYINFRA), "-y", str(inventory), "deploy.py"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_inventory_that_does_not_match_the_spec(tmp_path: Path) -> None:
    """This machine (@local) is not a node of the lab spec: refused before any operation."""
    inventory = tmp_path / "wrong.py"
    inventory.write_text('nodes = [("@local", {"lvsha_env": "lab"})]\n')
    result = deploy(inventory)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "inventory hosts ['@local'] do not match the lab spec's nodes" in output
    assert "Starting operation" not in output


def test_unreachable_node_stops_everything(tmp_path: Path) -> None:
    """The lab's nodes pointed at a closed loopback port: the deploy stops, naming them.

    (config.py's FAIL_PERCENT = 0 makes one unreachable node enough; here all three are.)
    """
    inventory = tmp_path / "unreachable.py"
    inventory.write_text(
        "from lvsha import environments, inventory\n"
        "nodes = inventory.hosts(environments.load('lab'))\n"
        "for name, data in nodes:\n"
        "    data.update(ssh_hostname='127.0.0.1', ssh_port=1, ssh_connect_retries=0)\n")
    result = deploy(inventory)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "lab2" in output and "Could not connect" in output
    assert "Starting operation" not in output
