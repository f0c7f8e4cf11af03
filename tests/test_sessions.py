"""Established SSH sessions survive a director change: the director syncs its connections to
every other node (IPVS sync daemons), so the new director forwards each to the real server it
was on."""

from __future__ import annotations

import json
import time

import pytest

import labtools
from lab import cluster, faults
from labtools import LAYOUT, ssh
from lvsha import footprint

pytestmark = pytest.mark.lab
SPEC = LAYOUT.spec
# Two held sessions per node: least-connection spreads held sessions evenly.
SESSIONS = 2 * len(SPEC.nodes)
# Sessions run through the move (a demote and a promote, each a pacemaker transition) and a
# while after it, so a session the new director does not know is reset within the run.
SESSION_S = 60.0


def test_sessions_on_every_node_survive_a_director_move(
        cluster_deploys: labtools.Deploys) -> None:
    director = cluster.wait_healthy(LAYOUT).promoted[0]
    client, header = cluster.held_sessions(LAYOUT, SESSIONS, SESSION_S)
    ban = f"--resource {footprint.LVS_CLONE} --node {director} --promoted"
    try:
        time.sleep(faults.SESSIONS_SYNC_S)  # synced to every node (on their 3rd packet)
        ssh(director, f"sudo crm_resource --ban {ban} --quiet")
        output, _ = client.communicate(timeout=SESSION_S + 60)
    finally:
        client.kill()
        ssh(director, f"sudo crm_resource --clear {ban} --quiet")
    results = [json.loads(line) for line in output.splitlines()]
    moved_to = cluster.wait_healthy(LAYOUT).promoted[0]
    assert header["opened"] == SESSIONS, header
    assert {r["answer"] for r in results} == {n.name for n in SPEC.nodes}, results
    assert moved_to != director, f"the director stayed on {director}"
    dead = [r for r in results if not r["alive"]]
    assert dead == [], f"{len(dead)} of {len(results)} sessions died: {results}"
