"""`python -m lvsha`: exit 0 on a good spec, 2 on a bad one, with no network at all."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lvsha import environments, footprint

REPO = Path(__file__).resolve().parent.parent
BAD_SPEC = """
import dataclasses
from lvsha.environments.lab import SPEC as LAB
from lvsha.spec import Service
SPEC = dataclasses.replace(LAB, services=(LAB.services[0], Service(name="rdp", port=70000)))
"""


def run(*args: str, isolate_network: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lvsha", *args]
    if isolate_network:
        # A fresh network namespace has only a down loopback: any network use would fail.
        command = ["unshare", "--net", *command]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env", environments.NAMES)
def test_check_good_environment(env: str) -> None:
    result = run("check", env)
    assert result.returncode == 0, result.stderr
    assert f"{env}: ok" in result.stdout


def test_check_bad_spec_exits_2_without_network(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    spec_file = tmp_path / "bad.py"
    spec_file.write_text(BAD_SPEC)
    result = run("check", str(spec_file), isolate_network=True)
    assert result.returncode == 2, result.stderr
    assert "services[1].port: 70000 is not a port (1-65535)" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_environment_exits_2() -> None:
    result = run("check", "staging")
    assert result.returncode == 2
    assert "unknown environment 'staging'" in result.stderr


def test_render_prints_the_file() -> None:
    result = run("render", "lab", "ldirectord.cf")
    assert result.returncode == 0
    assert result.stdout.startswith(f"# {footprint.LDIRECTORD_CF} for cluster lab")


LAB_IMPORTS = ("import dataclasses\nfrom ipaddress import IPv4Address\n"
               "from lvsha.environments.lab import SPEC as LAB\n"
               "from lvsha.spec import Protocol, Service, Vip\n")


@pytest.mark.parametrize("body, words", [
    ('SPEC = dataclasses.replace(LAB, services=(Service(name="ssh", prot=22),))',
     ":5: `SPEC = dataclasses.replace(LAB, services=(Service(name=\"ssh\", prot=22),))`: "
     "building SPEC failed: TypeError: Service.__init__() got an unexpected keyword "
     "argument 'prot'"),
    ('SPEC = dataclasses.replace(LAB, vip=Vip(IPv4Address("10.77.0.1000")))',
     ":5: `SPEC = dataclasses.replace(LAB, vip=Vip(IPv4Address(\"10.77.0.1000\")))`: "
     "building SPEC failed: AddressValueError: At most 3 characters permitted in '1000'"),
    ('SPEC = dataclasses.replace(\n    LAB, services=(Service("ssh", 22, Protocol.TPC),))',
     ":6: `LAB, services=(Service(\"ssh\", 22, Protocol.TPC),))`: building SPEC failed: "
     "Protocol has no member TPC; use one of Protocol.TCP, Protocol.UDP"),
    ("SPEC = (", ":5: not valid Python: '(' was never closed"),
    ("X = 1", " defines no SPEC = ClusterSpec(...)"),
], ids=["unknown keyword", "bad address", "misspelt enum member", "syntax error", "no SPEC"])
def test_a_spec_file_that_fails_to_build_is_named_with_its_line(
        tmp_path: Path, body: str, words: str) -> None:
    spec_file = tmp_path / "spec.py"
    spec_file.write_text(LAB_IMPORTS + body + "\n")
    result = run("check", str(spec_file))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"lvsha: {spec_file}{words}"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_spec_file_exits_2(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "absent.py"))
    assert (result.returncode, result.stderr) == (2, f"lvsha: {tmp_path}/absent.py: no such "
                                                     "spec file\n")
