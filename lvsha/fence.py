"""What fence agents accept, from their own meta-data, so `check` refuses a fencing setup that
cannot work before a deploy changes anything.

The meta-data is read from lvsha/data/fence_agents.json (written from Debian 12's fence-agents
and pacemaker-fenced by scripts/fence_agents_metadata.py), not from agents run here: the check
is pure and answers the same on any machine.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "fence_agents.json"

# Pacemaker passes these on every fencing request itself: the action and the target's name.
SUPPLIED_BY_PACEMAKER = frozenset({"action", "port", "plug", "nodename"})
# Parameters that carry a secret itself, each with the form that reads it on the node instead:
# lvsha keeps secrets out of specs and the CIB.
PLAIN_SECRETS = {"password": "password_script", "passwd": "passwd_script",
                 "snmp_priv_passwd": "snmp_priv_passwd_script", "token": "token_file"}


@functools.cache
def _metadata() -> dict[str, Any]:
    return json.loads(DATA.read_text())  # type: ignore[no-any-return]


def agents() -> frozenset[str]:
    return frozenset(_metadata()["agents"])


def _parameters(agent: str) -> dict[str, dict[str, Any]]:
    return _metadata()["agents"][agent]  # type: ignore[no-any-return]


def _required(agent: str) -> dict[str, str | None]:
    """Required parameters an operator must give, each with the older name it replaces."""
    parameters = _parameters(agent)
    replaced = {entry.get("obsoletes") for entry in parameters.values()}
    return {name: entry.get("obsoletes") for name, entry in parameters.items()
            if entry["required"] and name not in replaced and name not in SUPPLIED_BY_PACEMAKER}


def problems(agent: str, given: Iterable[str]) -> list[tuple[str, str]]:
    """(parameter or '', message) for each reason ``agent`` with ``given`` cannot fence."""
    if agent not in agents():
        close = difflib.get_close_matches(agent, agents(), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return [("", f"{agent!r} is not an agent of fence-agents "
                     f"{_metadata()['fence_agents_version']} (the nodes' package){hint}")]
    parameters = _parameters(agent)
    names = list(given)
    found: list[tuple[str, str]] = []
    for name in names:
        if name in SUPPLIED_BY_PACEMAKER:
            found.append((name, f"pacemaker sets {name!r} on every request; leave it out"))
        elif name not in parameters and name not in _metadata()["pacemaker"]:
            close = difflib.get_close_matches(name, [*parameters, *_metadata()["pacemaker"]], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            found.append((name, f"{agent} has no parameter {name!r} (not in its meta-data, "
                                f"nor one of pacemaker's pcmk_*){hint}"))
        elif name in PLAIN_SECRETS:
            found.append((name, f"{name!r} would put a secret in the spec and the CIB in plain "
                                f"text; give {PLAIN_SECRETS[name]!r}, read on the nodes, "
                                "or a key file (identity_file) instead"))
    for name, older in _required(agent).items():
        if name not in names and older not in names:
            found.append((name, f"{agent} requires {name!r}"))
    return found
