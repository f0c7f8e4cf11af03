"""What a deploy would change, read from pyinfra's own dry run of it (`pyinfra --dry --diff
--json`): its JSON plan (each operation and the hosts it would change) and its log (a
unified diff of every file it would modify). `ops/drift.py` runs the dry run; this only reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from lvsha import footprint

# Files whose contents are secret: a change is named, never shown.
SECRET_FILES = frozenset({footprint.COROSYNC_AUTHKEY})
# corosync.conf's operation, named by the deploy for what the change needs: a restart, unless
# only its token or its node list changes (`render.corosync_reload_suffices`; then a reload).
RESTARTED_OPERATION = "Deploy corosync.conf"
RELOADED_OPERATION = "Deploy corosync.conf (taken at a reload)"
# Operations whose change restarts the cluster stack; the deploy does it one node at a time.
ROLLING = {RESTARTED_OPERATION: "corosync.conf", "Install the corosync authkey": "authkey",
           f"Deploy {footprint.SBD_CONFIG}": "sbd's config",
           "Start ldirectord in one perl process (PERLIO for pacemaker's agents)":
               "pacemaker's drop-in"}

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_UNREACHABLE = re.compile(r"^\[(?P<node>[^\]\s]+)\]\s+Could not connect")
_FILE = re.compile(r"^\[(?P<node>[^\]]+)\]\s+Will (?P<verb>create|modify) (?P<path>\S+)\s*$")


@dataclass
class NodeDrift:
    # Not the operations that run only if an earlier one changed something (a reload, a
    # restart): a dry run lists every one of them, whether it would run or not.
    operations: list[str] = field(default_factory=list)
    # path -> "created" or the diff's lines ("@@ ...", "- old", "+ new", "  same")
    files: dict[str, list[str]] = field(default_factory=dict)


def read(plan_json: str, log: str, secret_files: frozenset[str] = SECRET_FILES
         ) -> dict[str, NodeDrift]:
    """Per node, the operations that would change it and the file diffs among them."""
    drift: dict[str, NodeDrift] = {}
    plan = json.loads(plan_json)["plan"]
    for operation in plan:
        for node in operation["hosts_with_change"]:
            drift.setdefault(node, NodeDrift()).operations.append(operation["name"])
    # pyinfra logs "[node] Will modify|create PATH", then the diff two spaces further in.
    current: list[str] | None = None
    indent = ""
    for raw in log.splitlines():
        line = _ANSI.sub("", raw).rstrip()
        found = _FILE.match(line.strip())
        if found:
            node, path = found["node"].strip(), found["path"]
            current = drift.setdefault(node, NodeDrift()).files.setdefault(path, [])
            indent = line[:len(line) - len(line.lstrip())] + "  "
            if path in secret_files:
                current.append("(secret: changed, contents not shown)")
                current = None
        elif current is not None and line.startswith(indent) and line.strip():
            current.append(line[len(indent):])
        else:
            current = None
    return drift


def unreachable(log: str) -> list[str]:
    """The nodes pyinfra's log says it could not connect to."""
    lines = (_ANSI.sub("", raw).strip() for raw in log.splitlines())
    return sorted({found["node"] for line in lines if (found := _UNREACHABLE.match(line))})


def reloads_corosync(changes: NodeDrift) -> bool:
    """The node's corosync.conf changes only in what corosync takes at a reload."""
    return any(op.rpartition(" | ")[2] == RELOADED_OPERATION for op in changes.operations)


def rolling(drift: dict[str, NodeDrift]) -> list[str]:
    """The changes that restart corosync and pacemaker (one node at a time)."""
    names = {op.rpartition(" | ")[2] for node in drift.values() for op in node.operations}
    return sorted(ROLLING[name] for name in names if name in ROLLING)


def text(env: str, drift: dict[str, NodeDrift]) -> str:
    if not drift:
        return f"{env}: a deploy would change nothing"
    lines = [f"{env}: a deploy would change {len(drift)} node(s)"]
    restart = rolling(drift)
    if restart:
        lines.append(f"  {', '.join(restart)} changes: the deploy restarts corosync and "
                     "pacemaker one node at a time, waiting for each to rejoin")
    elif any(reloads_corosync(changes) for changes in drift.values()):
        lines.append("  corosync.conf's token or node list changes: the deploy reloads corosync "
                     "on every node (corosync-cfgtool -R), nothing restarts")
    for node, changes in sorted(drift.items()):
        lines.append(f"{node}:")
        lines += [f"  {operation}" for operation in changes.operations]
        for path, diff in sorted(changes.files.items()):
            lines.append(f"  --- {path} (on {node})\n  +++ {path} (rendered)")
            lines += [f"  {line}" for line in diff]
    return "\n".join(lines)
