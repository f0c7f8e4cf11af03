"""The score alert (files/bin/lvsha-score-refresh) against stand-ins for pacemaker's tools:
it asks attrd to write its attributes again exactly when the CIB lost a score attrd holds."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lvsha import environments, footprint, render
from lvsha.paths import FILES

SCRIPT = FILES / "bin" / "lvsha-score-refresh"
SCORE = footprint.LVS_PROMOTION_SCORE


def fake_tools(directory: Path, held: str, written: str) -> Path:
    """crm_node, attrd_updater and crm_attribute as a node with ``held`` in attrd and
    ``written`` in the CIB would answer; every attrd_updater call is logged."""
    (directory / "crm_node").write_text("#!/bin/sh\necho lab2\n")
    attrd = f'name="{SCORE}" host="lab2" value="{held}"' if held else ""
    (directory / "attrd_updater").write_text(
        f"#!/bin/sh\necho \"$*\" >> {directory}/calls\n"
        f"case \"$1\" in -Q) [ -n '{attrd}' ] && echo '{attrd}' ;; esac\nexit 0\n")
    (directory / "crm_attribute").write_text(
        f"#!/bin/sh\n[ -n '{written}' ] && echo '{written}'\nexit 0\n")
    for tool in ("crm_node", "attrd_updater", "crm_attribute"):
        (directory / tool).chmod(0o755)
    return directory / "calls"


def run_alert(directory: Path, kind: str = "node", desc: str = "lost") -> None:
    env = {**os.environ, "PATH": f"{directory}:{os.environ['PATH']}",
           "CRM_alert_kind": kind, "CRM_alert_desc": desc, "CRM_alert_node": "lab1",
           "lvsha_score_attribute": SCORE, "lvsha_watch_s": "1"}
    subprocess.run([str(SCRIPT)], env=env, check=True, timeout=30)


def refreshed(calls: Path) -> bool:
    return calls.exists() and "--refresh" in calls.read_text().split()


@pytest.mark.parametrize(("held", "written", "refresh"), [
    ("5", "", True),     # the DC change dropped it: write it again
    ("5", "1", False),   # an older value: attrd writes changes itself
    ("5", "5", False),   # the CIB is right
    ("", "", False),     # the agent withdrew the score: nothing to write
], ids=["lost", "stale", "present", "withdrawn"])
def test_a_score_lost_from_the_cib_is_written_again(tmp_path: Path, held: str, written: str,
                                                    refresh: bool) -> None:
    calls = fake_tools(tmp_path, held, written)
    run_alert(tmp_path)
    assert refreshed(calls) is refresh


@pytest.mark.parametrize(("kind", "desc"), [("node", "member"), ("resource", "lost")])
def test_only_a_lost_node_wakes_it(tmp_path: Path, kind: str, desc: str) -> None:
    calls = fake_tools(tmp_path, "5", "")
    run_alert(tmp_path, kind, desc)
    assert not calls.exists()


def test_the_cib_runs_it_on_node_events_with_the_lvs_score() -> None:
    configuration = ET.fromstring(render.cib_configuration(environments.load("lab")))
    [alert] = configuration.findall("./alerts/alert")
    assert alert.get("path") == footprint.SCORE_REFRESH_SCRIPT
    assert [e.tag for e in alert.iterfind("./select/*")] == ["select_nodes"]
    params = {n.get("name"): n.get("value") for n in alert.iterfind("./instance_attributes/nvpair")}
    assert params == {"lvsha_score_attribute": SCORE,
                      "lvsha_watch_s": str(footprint.SCORE_REFRESH_WATCH_S)}
    [timeout] = [n.get("value", "") for n in alert.iterfind("./meta_attributes/nvpair")
                 if n.get("name") == "timeout"]
    assert int(timeout.removesuffix("s")) > footprint.SCORE_REFRESH_WATCH_S
