"""The deploy's progress lines (`lab.deploy_progress`), read from a real `pyinfra -y -v --json`
run against this machine (`@local`) on files in a temporary directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lab import cluster, network
from lab.deploy_progress import EVERY_S, DeployProgress
from lab.layout import Layout
from lvsha import environments
from lvsha.paths import REPO

SECRET = "s3cr3t-hash-in-a-command"
DEPLOY = '''
from io import StringIO
from pyinfra.operations import files, server
files.put(name="Deploy the config (rendered)", src=StringIO("wanted\\n"), dest="{config}")
server.shell(name="Set a password (hashed)", commands=["true {secret}"])
files.put(name="Deploy it again", src=StringIO("wanted\\n"), dest="{config}")
'''


def deploy_log(tmp_path: Path) -> list[str]:
    deploy = tmp_path / "deploy.py"
    deploy.write_text(DEPLOY.format(config=tmp_path / "config", secret=SECRET))
    result = subprocess.run([str(REPO / ".venv" / "bin" / "pyinfra"), "-y", "-v", "--json",
                             "@local", str(deploy)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()


def test_each_operation_is_said_with_what_it_did_and_no_argument(tmp_path: Path) -> None:
    log = deploy_log(tmp_path)
    progress = DeployProgress(started=0.0)
    said = [line for n, raw in enumerate(log) for line in progress.read(raw, now=n * 0.1)]
    operations = [line.rsplit(" (", 1)[0] for line in said if line.startswith("deploy: [")]
    assert operations == ["deploy: [1] Deploy the config (rendered): @local changed",
                          "deploy: [2] Set a password (hashed): @local changed",
                          "deploy: [3] Deploy it again: @local unchanged"], said
    assert "deploy: beginning operation run" in said, said
    assert not any(SECRET in line for line in said), said


def test_a_quiet_phase_says_how_far_it_has_come() -> None:
    progress = DeployProgress(started=0.0)
    assert progress.read("--> Preparing operation files...", now=1.0) == \
        ["deploy: preparing operation files"]
    assert progress.read("    [lab1] Loaded fact files.File (path=/etc/x)", now=2.0) == []
    progress.read("    [lab2] Loaded fact files.File (path=/etc/x)", now=3.0)
    assert progress.tick(now=1.0 + EVERY_S) == \
        ["deploy: preparing operation files: facts read: lab1 1, lab2 1"]
    progress.read("--> Starting operation: Wait for quorum (at most 240 s) (commands=['x'])",
                  now=20.0)
    assert progress.tick(now=20.0 + EVERY_S + 1) == \
        ["deploy: still at Wait for quorum (at most 240 s) (16 s)"]


def test_the_lab_deploy_says_each_operation_as_it_goes_and_returns_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lab.cluster.deploy`'s plumbing (pyinfra's log read as it comes, its JSON report
    returned), with this machine standing in for the lab's nodes and namespace, and a sudo
    that runs its command (the repo's pyinfra config asks for sudo; this runs as root)."""
    deploy = tmp_path / "deploy.py"
    deploy.write_text(DEPLOY.format(config=tmp_path / "config", secret=SECRET))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text('#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\n'
                                  'exec "$@"\n')
    (bin_dir / "sudo").chmod(0o755)
    monkeypatch.setattr(network, "in_namespace", lambda layout, *command: [
        "env", f"PATH={bin_dir}:{os.environ['PATH']}",
        *("@local" if part.startswith("inventories/") else part for part in command)])
    report = cluster.deploy(Layout(environments.load("lab")), str(deploy))
    assert cluster.changed_operations(report) == ["Deploy the config (rendered)",
                                                  "Set a password (hashed)"]
    said = capsys.readouterr().err
    assert "deploy: [3] Deploy it again: @local unchanged" in said, said
    assert SECRET not in said
