"""`python -m lvsha status`'s judgement, from readings recorded on the healthy 3-node lab
(tests/fixtures/status/, `crm_mon`'s XML, `ipvsadm` and the NIC's addresses as the nodes
printed them), and from those readings with one thing broken the way a fault breaks it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lvsha import environments, status
from lvsha.status import NodeReading, Verdict

SPEC = environments.load("lab")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "status"
REPO = Path(__file__).resolve().parent.parent
# The director when the readings were recorded.
DIRECTOR = (FIXTURES / "director").read_text().strip()


def healthy() -> list[NodeReading]:
    return [NodeReading(node.name, parts=status.split_reading(
        (FIXTURES / f"{node.name}.out").read_text())) for node in SPEC.nodes]


def with_part(readings: list[NodeReading], name: str, part: str, text: str) -> list[NodeReading]:
    return [NodeReading(r.name, r.error, {**r.parts, part: text}) if r.name == name else r
            for r in readings]


def without_node_in_crm_mon(readings: list[NodeReading], lost: str) -> list[NodeReading]:
    """The survivors' view once ``lost`` left the membership (offline, its resources gone)."""
    def edit(xml: str) -> str:
        xml = re.sub(rf'(<node name="{lost}"[^>]*?)online="true"', r'\1online="false"', xml)
        return re.sub(rf'<resource [^>]*>\s*<node name="{lost}"[^>]*/>\s*</resource>', "", xml)
    return [NodeReading(r.name, parts={**r.parts, "crm_mon": edit(r.parts["crm_mon"])})
            for r in readings if r.name != lost] + [
                NodeReading(lost, error="ssh: connect to host: No route to host")]


def test_the_recorded_lab_is_healthy() -> None:
    report = status.judge(SPEC, healthy())
    assert (report.verdict, report.reasons) == (Verdict.HEALTHY, ())
    assert report.director == DIRECTOR and report.vip_on == (DIRECTOR,)
    assert report.membership is not None and report.membership.quorate
    assert report.membership.online == tuple(n.name for n in SPEC.nodes)
    assert set(report.services) == {s.name for s in SPEC.services}
    for servers in report.services.values():
        assert set(servers) == {n.name for n in SPEC.nodes}
        assert all(server["weight"] == 1 for server in servers.values())
    assert report.sync == {n.name: ["master"] if n.name == DIRECTOR else ["backup"]
                           for n in SPEC.nodes}


def test_a_lost_real_server_degrades() -> None:
    lost = next(n.name for n in SPEC.nodes if n.name != DIRECTOR)
    report = status.judge(SPEC, without_node_in_crm_mon(healthy(), lost))
    assert report.verdict == Verdict.DEGRADED, report.reasons
    assert f"{lost} is not an online member" in report.reasons
    assert any(reason.startswith(f"{lost} does not answer") for reason in report.reasons)


def test_a_quiesced_real_server_degrades() -> None:
    real = next(n for n in SPEC.nodes if n.name != DIRECTOR)
    director = next(r for r in healthy() if r.name == DIRECTOR)
    table = re.sub(rf"(-> {real.address}:80 +Route +)1", r"\g<1>0", director.parts["ipvs"])
    report = status.judge(SPEC, with_part(healthy(), DIRECTOR, "ipvs", table))
    assert report.verdict == Verdict.DEGRADED
    assert report.reasons == (f"{DIRECTOR}'s IPVS table lacks {real.name} in "
                              f"{SPEC.vip.address}:80",)
    assert report.services["http"][real.name]["weight"] == 0


def test_a_sync_daemon_in_the_wrong_role_degrades() -> None:
    real = next(n.name for n in SPEC.nodes if n.name != DIRECTOR)
    report = status.judge(SPEC, with_part(healthy(), real, "sync", ""))
    assert report.verdict == Verdict.DEGRADED
    assert report.reasons == (f"{real}: sync daemons [], not ['backup']",)


def test_the_vip_on_no_nic_is_down() -> None:
    report = status.judge(SPEC, with_part(healthy(), DIRECTOR, "nic", ""))
    assert report.verdict == Verdict.DOWN
    assert report.reasons[0] == f"the VIP is on the NIC of no node, the director is {DIRECTOR}"


def test_the_vip_on_two_nics_degrades() -> None:
    real = next(n.name for n in SPEC.nodes if n.name != DIRECTOR)
    nic = next(r for r in healthy() if r.name == DIRECTOR).parts["nic"]
    report = status.judge(SPEC, with_part(healthy(), real, "nic", nic))
    assert report.verdict == Verdict.DEGRADED
    assert "the VIP is on the NIC of" in report.reasons[0] and real in report.reasons[0]


def test_without_quorum_it_is_down() -> None:
    readings = [NodeReading(r.name, parts={**r.parts, "crm_mon": r.parts["crm_mon"].replace(
        'with_quorum="true"', 'with_quorum="false"')}) for r in healthy()]
    report = status.judge(SPEC, readings)
    assert report.verdict == Verdict.DOWN and report.reasons[0] == "no node has quorum"


def test_a_failed_action_degrades() -> None:
    failure = ('<failures><failure op_key="ldirectord_monitor_20000" node="lab2" exitstatus='
               '"error" exitreason="" exitcode="1" call="9" status="complete" task="monitor" '
               'interval="20000"/></failures>')
    readings = [NodeReading(r.name, parts={**r.parts, "crm_mon": r.parts["crm_mon"].replace(
        "</resources>", "</resources>" + failure, 1)}) for r in healthy()]
    report = status.judge(SPEC, readings)
    assert report.verdict == Verdict.DEGRADED
    assert report.reasons == ("failed action: ldirectord_monitor_20000 on lab2: complete "
                              "(error)",)


@pytest.mark.parametrize("outcome", ["failed", "pending", "success"])
def test_fencing_that_did_not_succeed_degrades(outcome: str) -> None:
    """Events as pacemaker's fence-event-2.15.rng has them (crm_mon --fence-history=3)."""
    event = (f'<fence_history><fence_event status="{outcome}" action="reboot" target="lab3" '
             f'client="pacemaker-controld.812" origin="lab1" completed="2026-11-28 21:03:07Z" '
             f'exit-reason="Fencing did not complete within a total timeout"/>'
             f'</fence_history>')
    readings = [NodeReading(r.name, parts={**r.parts, "crm_mon": r.parts["crm_mon"].replace(
        "</resources>", "</resources>" + event, 1)}) for r in healthy()]
    report = status.judge(SPEC, readings)
    line = f"reboot of lab3: {outcome} at 2026-11-28 21:03:07Z"
    if outcome == "success":
        assert (report.verdict, report.fencing["fenced"]) == (Verdict.HEALTHY, [line])
    else:  # why, and who asked, to tell one failure from another
        line += " (exit-reason Fencing did not complete within a total timeout, origin lab1)"
        assert (report.verdict, report.reasons) == (Verdict.DEGRADED, (f"fencing: {line}",))


def test_a_reading_is_split_by_part_and_a_failed_part_is_dropped() -> None:
    output = (f"<xml/>\n{status.MARKER} crm_mon 0\nsudo: a password is required\n"
              f"{status.MARKER} ipvs 1\n{status.MARKER} sync 0\ninet x\n{status.MARKER} nic 0\n")
    assert status.split_reading(output) == {"crm_mon": "<xml/>", "sync": "", "nic": "inet x"}


def test_status_without_a_network_says_down_and_exits_2() -> None:
    """Every node unreachable (a namespace with no route anywhere): exit 2, each one named."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    result = subprocess.run(["unshare", "--net", sys.executable, "-m", "lvsha", "status", "lab",
                             "--json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "down" and report["reasons"][0] == "no node answers"
    assert set(report["unreachable"]) == {n.name for n in SPEC.nodes}
    assert all("unreachable" in error for error in report["unreachable"].values()), report
