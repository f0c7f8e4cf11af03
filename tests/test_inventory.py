"""The pyinfra inventories, loaded by pyinfra itself, match their specs (no connection made)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from lvsha import environments

REPO = Path(__file__).resolve().parent.parent
PYINFRA = REPO / ".venv" / "bin" / "pyinfra"


@pytest.mark.parametrize("env", environments.NAMES)
def test_inventory_hosts_follow_the_spec(env: str) -> None:
    result = subprocess.run([str(PYINFRA), f"inventories/{env}.py", "debug-inventory"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    spec = environments.load(env)
    hosts = dict(re.findall(r"^\[(\S+)\] \n--> Groups: [^\n]*\n--> Data:\n(\{.*?^\})",
                            result.stdout + result.stderr, re.M | re.S))
    assert list(hosts) == [n.name for n in spec.nodes]
    for node in spec.nodes:
        data = json.loads(hosts[node.name])
        assert data["ssh_hostname"] == str(node.address)
        assert data["ssh_user"] == spec.ssh.user
        assert data["lvsha_env"] == spec.name
        assert Path(data["ssh_key"]).is_absolute()
