"""Cloud-init seeds: a golden copy a human can review, and rejection of a malformed key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import toolchecks

from lvsha import environments
from lvsha.cloudinit import Seed, seed

GOLDEN = Path(__file__).resolve().parent / "golden" / "cloud-init-prod-node1"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly0000000000000000000 test@lvsha"
DOCUMENTS = {"user-data": "user_data", "meta-data": "meta_data",
             "network-config": "network_config"}


def prod_node1() -> Seed:
    prod = environments.load("prod")
    return seed(prod, prod.node("node1"), KEY)


@pytest.mark.parametrize("file_name", sorted(DOCUMENTS))
def test_seed_matches_golden_file(file_name: str) -> None:
    """Regenerate with LVSHA_UPDATE_GOLDEN=1 after an intended change, then review the diff."""
    rendered = getattr(prod_node1(), DOCUMENTS[file_name])
    golden = GOLDEN / file_name
    if os.environ.get("LVSHA_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.parametrize("key", ["", "ssh-ed25519 AAAA a\nssh-ed25519 BBBB b"])
def test_key_must_be_one_line(key: str) -> None:
    prod = environments.load("prod")
    with pytest.raises(ValueError, match="ssh.private_key"):
        seed(prod, prod.nodes[0], key)


@pytest.mark.parametrize("env", environments.NAMES)
def test_cloud_init_accepts_every_node_s_user_data(env: str, tmp_path: Path) -> None:
    """cloud-init's own schema check (Debian 12's cloud-init, what the nodes run)."""
    spec = environments.load(env)
    for node in spec.nodes:
        result = toolchecks.seed_schema(spec, node, tmp_path)
        assert (result.returncode, result.stderr) == (0, ""), result.stdout + result.stderr
        assert "Valid cloud-config" in result.stdout


def test_cloud_init_s_schema_check_refuses_a_wrong_type(tmp_path: Path) -> None:
    user_data = prod_node1().user_data
    broken = user_data.replace("lock_passwd: true", 'lock_passwd: "yes"')
    assert broken != user_data
    result = toolchecks.cloud_init_schema(broken, tmp_path)
    assert result.returncode == 1 and "users.0" in result.stdout + result.stderr, result
