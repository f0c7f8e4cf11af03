"""`python -m lvsha diff`'s reading of pyinfra's own dry run (`--dry --diff --json`), run here
against this machine (`@local`) on files in a temporary directory: a dry run changes nothing,
and what it would change is read per node, operation and file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lvsha import drift, environments
from lvsha.paths import REPO

DEPLOY = '''
from io import StringIO
from pyinfra.operations import files
files.put(name="Deploy the config", src=StringIO("kept\\nwanted\\n"), dest="{config}")
files.put(name="Deploy the key", src=StringIO("new secret\\n"), dest="{key}")
'''


def dry_run(tmp_path: Path) -> tuple[str, str]:
    deploy = tmp_path / "deploy.py"
    deploy.write_text(DEPLOY.format(config=tmp_path / "config", key=tmp_path / "key"))
    result = subprocess.run([str(REPO / ".venv" / "bin" / "pyinfra"), "--dry", "--diff",
                             "--json", "@local", str(deploy)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


def test_a_drifted_file_is_read_with_its_diff_and_a_secret_is_not_shown(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("kept\nedited by hand\n")
    (tmp_path / "key").write_text("old secret\n")
    plan, log = dry_run(tmp_path)
    found = drift.read(plan, log, secret_files=frozenset({str(tmp_path / "key")}))
    assert list(found) == ["@local"]
    assert found["@local"].operations == ["Deploy the config", "Deploy the key"]
    assert found["@local"].files == {
        str(tmp_path / "config"): ["@@ -1,2 +1,2 @@", "  kept", "- edited by hand", "+ wanted"],
        str(tmp_path / "key"): ["(secret: changed, contents not shown)"],
    }
    shown = drift.text("test", found)
    assert "- edited by hand" in shown and "secret" not in shown.replace(
        "(secret: changed, contents not shown)", "")
    assert (tmp_path / "config").read_text() == "kept\nedited by hand\n"  # dry: untouched


def test_nothing_to_change_reads_as_no_node(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("kept\nwanted\n")
    (tmp_path / "key").write_text("new secret\n")
    assert drift.read(*dry_run(tmp_path)) == {}
    assert drift.text("test", {}) == "test: a deploy would change nothing"


def test_a_corosync_change_says_the_restart_is_rolling() -> None:
    changes = {"lab1": drift.NodeDrift(
        operations=["Configure corosync and pacemaker | Deploy corosync.conf"])}
    assert drift.rolling(changes) == ["corosync.conf"]
    assert "one node at a time" in drift.text("lab", changes)


def test_a_change_corosync_reloads_says_so_and_restarts_nothing() -> None:
    """The deploy names corosync.conf's operation for what the change needs (a token or node
    list change: a reload); any node needing a restart makes the whole change a restart."""
    step = "Configure corosync and pacemaker | "
    changes = {node: drift.NodeDrift(operations=[step + drift.RELOADED_OPERATION])
               for node in ("lab1", "lab2")}
    assert drift.rolling(changes) == []
    assert "reloads corosync on every node" in drift.text("lab", changes)
    changes["lab2"] = drift.NodeDrift(operations=[step + drift.RESTARTED_OPERATION])
    assert drift.rolling(changes) == ["corosync.conf"]
    assert "reloads" not in drift.text("lab", changes)


def test_diff_without_a_network_exits_2_naming_every_node() -> None:
    """Every node unreachable (a namespace with no route anywhere): the dry run fails, exit 2
    (not 1, which says something would change), each node named."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    spec = environments.load("lab")
    result = subprocess.run(["unshare", "--net", sys.executable, "-m", "lvsha", "diff", "lab"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    names = ", ".join(sorted(n.name for n in spec.nodes))
    assert f"failed (pyinfra exit 1); unreachable: {names}" in result.stderr, result.stderr
