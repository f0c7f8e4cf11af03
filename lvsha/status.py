"""How a running environment is, judged against its spec: pure parsing of what the nodes
report (`crm_mon`'s XML, `ipvsadm`, the NIC's addresses) and a verdict. `ops/status.py`
gathers the readings over SSH; the lab's checks read the same way.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any

from lvsha import footprint
from lvsha.spec import ClusterSpec, NoFencing


class Verdict(IntEnum):
    """The command's exit code."""

    HEALTHY = 0
    DEGRADED = 1
    DOWN = 2


# One SSH command per node reads everything; each part ends with a marker and its exit code.
PARTS = ("crm_mon", "ipvs", "sync", "nic")
MARKER = "== lvsha-status"


def nic_addresses(spec: ClusterSpec) -> str:
    """The command whose output `holds_vip` reads."""
    return f"ip -4 -o addr show dev {spec.nic}"


def probe_command(spec: ClusterSpec) -> str:
    """The shell command a node runs for its reading (as the deploy user, with sudo)."""
    commands = {
        "crm_mon": "sudo -n crm_mon -1 --output-as=xml --fence-history=3",
        "ipvs": "sudo -n ipvsadm -Ln",
        "sync": "sudo -n ipvsadm -L --daemon",
        "nic": nic_addresses(spec),
    }
    return "; ".join(f"{commands[part]} 2>&1; echo \"{MARKER} {part} $?\"" for part in PARTS)


def split_reading(output: str) -> dict[str, str]:
    """`probe_command`'s output by part; a part that failed or never ran is absent."""
    parts: dict[str, str] = {}
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith(MARKER):
            _, _, part, code = line.split()
            if code == "0":
                parts[part] = "\n".join(lines)
            lines = []
        else:
            lines.append(line)
    return parts


@dataclass(frozen=True)
class Membership:
    """What pacemaker on one node reports."""

    quorate: bool
    online: tuple[str, ...]
    promoted: tuple[str, ...]
    unpromoted: tuple[str, ...]
    ldirectord: tuple[str, ...]
    stonith_enabled: bool
    failed_actions: tuple[str, ...]
    # Fencing that failed or is still pending, and fencing that succeeded, newest first.
    fencing_problems: tuple[str, ...]
    fenced: tuple[str, ...]


def membership(crm_mon_xml: str) -> Membership:
    """`crm_mon -1 --output-as=xml`, read."""
    root = ET.fromstring(crm_mon_xml)
    dc = root.find("summary/current_dc")
    options = root.find("summary/cluster_options")
    lvs = [r for r in root.iter("resource") if r.get("resource_agent") == footprint.LVS.agent.name]
    # Clone instances are "ldirectord" or "ldirectord:N", depending on pacemaker's version.
    ldirectord = [r for r in root.iter("resource")
                  if r.get("id", "").split(":")[0] == footprint.LDIRECTORD.id]

    def hosts(resources: list[ET.Element], role: str) -> tuple[str, ...]:
        return tuple(sorted(n.get("name", "") for r in resources
                            if r.get("role") == role and r.get("active") == "true"
                            for n in r.iter("node")))

    events = list(root.iter("fence_event"))
    return Membership(
        quorate=dc is not None and dc.get("with_quorum") == "true",
        online=tuple(sorted(n.get("name", "") for n in root.iter("node")
                            if n.get("online") == "true" and n.get("type") == "member")),
        promoted=hosts(lvs, "Promoted"),
        unpromoted=hosts(lvs, "Unpromoted"),
        ldirectord=hosts(ldirectord, "Started"),
        stonith_enabled=options is not None and options.get("stonith-enabled") == "true",
        failed_actions=tuple(f"{f.get('op_key')} on {f.get('node')}: {f.get('status')} "
                             f"({f.get('exitreason') or f.get('exitstatus')})"
                             for f in root.iter("failure")),
        fencing_problems=tuple(_fence_event(e) for e in events if e.get("status") != "success"),
        fenced=tuple(_fence_event(e) for e in events if e.get("status") == "success"),
    )


def _fence_event(event: ET.Element) -> str:
    """What, whom, how it ended and when; for one that did not succeed, also why and who
    asked and who executed it (pacemaker's fence-event attributes), to tell a failure apart."""
    when = event.get("completed", "")
    why = [f"{key} {event.get(key)}" for key in ("extended-status", "exit-reason", "origin",
                                                 "delegate") if event.get(key)]
    return (f"{event.get('action')} of {event.get('target')}: {event.get('status')}"
            + (f" at {when}" if when else "")
            + (f" ({', '.join(why)})" if why and event.get("status") != "success" else ""))


@dataclass(frozen=True)
class RealServer:
    weight: int
    active: int
    inactive: int


def ipvs_table(ipvsadm_ln: str) -> dict[str, dict[str, RealServer]]:
    """`ipvsadm -Ln`: "VIP:port" -> {"address:port": RealServer}."""
    table: dict[str, dict[str, RealServer]] = {}
    service: dict[str, RealServer] = {}
    for line in ipvsadm_ln.splitlines():
        words = line.split()
        if words[:1] in (["TCP"], ["UDP"]):
            service = table.setdefault(words[1], {})
        elif words[:1] == ["->"] and words[1] != "RemoteAddress:Port":
            service[words[1]] = RealServer(*(int(w) for w in words[3:6]))
    return table


def sync_daemons(ipvsadm_daemon: str) -> list[str]:
    """`ipvsadm -L --daemon`: the sync daemons running ("master", "backup")."""
    return [line.split()[0] for line in ipvsadm_daemon.splitlines() if " sync daemon " in line]


def holds_vip(spec: ClusterSpec, nic_addresses: str) -> bool:
    """Whether `ip -4 -o addr show dev NIC` lists the VIP: the node answers ARP for it."""
    return f"inet {spec.vip.address}/" in nic_addresses


def missing_from_table(spec: ClusterSpec, table: dict[str, dict[str, RealServer]]) -> list[str]:
    """Every virtual service or in-service real server (weight > 0) the spec wants and the
    table lacks; the fallback (127.0.0.1) does not count."""
    missing = []
    for service in spec.services:
        virtual = f"{spec.vip.address}:{service.port}"
        if virtual not in table:
            missing.append(f"virtual service {virtual}")
            continue
        missing += [f"{node.name} in {virtual}" for node in spec.nodes
                    if table[virtual].get(f"{node.address}:{service.port}",
                                          RealServer(0, 0, 0)).weight <= 0]
    return missing


@dataclass
class NodeReading:
    """What one node answered; ``error`` when it did not (nothing else is then known)."""

    name: str
    error: str = ""
    parts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    reasons: tuple[str, ...]
    # Pacemaker's view from a node with quorum (None: no node has it).
    membership: Membership | None
    director: str | None
    vip_on: tuple[str, ...]
    fencing: dict[str, Any]
    services: dict[str, dict[str, dict[str, int]]]
    sync: dict[str, list[str]]
    unreachable: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict.name.lower()}


def judge(spec: ClusterSpec, readings: list[NodeReading]) -> Report:
    """The environment's state and verdict: down when no quorate partition serves the VIP
    from one director, degraded when anything a healthy cluster has is missing (a node, a
    resource, a table entry on any node, a sync daemon in the wrong role, a failure)."""
    down: list[str] = []
    degraded: list[str] = []
    unreachable = {r.name: r.error for r in readings if r.error}
    degraded += [f"{name} does not answer: {error}" for name, error in unreachable.items()]
    views = {r.name: membership(r.parts["crm_mon"]) for r in readings if "crm_mon" in r.parts}
    degraded += [f"{r.name}: pacemaker does not answer" for r in readings
                 if not r.error and r.name not in views]
    quorate = [view for view in views.values() if view.quorate]
    view = quorate[0] if quorate else None
    vip_on = tuple(r.name for r in readings if holds_vip(spec, r.parts.get("nic", "")))
    tables = {r.name: ipvs_table(r.parts["ipvs"]) for r in readings if "ipvs" in r.parts}
    sync = {r.name: sync_daemons(r.parts["sync"]) for r in readings if "sync" in r.parts}
    names = tuple(sorted(node.name for node in spec.nodes))
    director = None
    if not readings or len(unreachable) == len(readings):
        down.append("no node answers")
    elif view is None:
        down.append("no node has quorum")
    else:
        if len(view.promoted) != 1:
            down.append(f"{len(view.promoted)} directors (lvs Promoted on "
                        f"{', '.join(view.promoted) or 'no node'})")
        else:
            director = view.promoted[0]
        degraded += [f"{name} is not an online member" for name in names
                     if name not in view.online]
        degraded += [f"ldirectord is not running on {name}" for name in names
                     if name not in view.ldirectord]
        degraded += [f"failed action: {action}" for action in view.failed_actions]
        degraded += [f"fencing: {event}" for event in view.fencing_problems]
        if view.stonith_enabled == isinstance(spec.fencing, NoFencing):
            degraded.append(f"stonith-enabled is {str(view.stonith_enabled).lower()}, the spec "
                            f"says {type(spec.fencing).__name__}")
    if director is not None:
        if vip_on != (director,):
            (down if not vip_on else degraded).append(
                f"the VIP is on the NIC of {', '.join(vip_on) or 'no node'}, "
                f"the director is {director}")
        if director in tables:
            down += [f"nothing serves {spec.vip.address}:{s.port} ({s.name})"
                     for s in spec.services if not any(
                         rs.weight > 0 for rs in tables[director].get(
                             f"{spec.vip.address}:{s.port}", {}).values())]
        for name, table in sorted(tables.items()):
            degraded += [f"{name}'s IPVS table lacks {entry}"
                         for entry in missing_from_table(spec, table)]
        for name, roles in sorted(sync.items()):
            wanted = ["master"] if name == director else ["backup"]
            if roles != wanted:
                degraded.append(f"{name}: sync daemons {roles}, not {wanted}")
    services = {
        s.name: {node.name: asdict(table[f"{node.address}:{s.port}"])
                 for node in spec.nodes if f"{node.address}:{s.port}" in table}
        for s in spec.services
        for table in [tables.get(director or "", {}).get(f"{spec.vip.address}:{s.port}", {})]}
    return Report(
        verdict=Verdict.DOWN if down else Verdict.DEGRADED if degraded else Verdict.HEALTHY,
        reasons=tuple(down + degraded),
        membership=view,
        director=director,
        vip_on=vip_on,
        fencing={"spec": type(spec.fencing).__name__,
                 "stonith_enabled": view.stonith_enabled if view else None,
                 "problems": list(view.fencing_problems) if view else [],
                 "fenced": list(view.fenced) if view else []},
        services=services,
        sync=sync,
        unreachable=unreachable,
    )


def text(spec: ClusterSpec, report: Report) -> str:
    """The report for a terminal: the verdict line first."""
    verdict, view = report.verdict.name.lower(), report.membership
    lines = [f"{spec.name}: {verdict}" + (f": {report.reasons[0]}" if report.reasons else ""),
             *(f"  {reason}" for reason in report.reasons[1:]),
             f"quorum: {'yes' if view else 'no'}; members: "
             f"{', '.join(view.online) if view else 'none'}; "
             f"director: {report.director or 'none'}; "
             f"VIP on the NIC of: {', '.join(report.vip_on) or 'none'}",
             f"fencing: {report.fencing['spec']}, stonith-enabled "
             f"{report.fencing['stonith_enabled']}"
             + "".join(f"; {event}" for event in report.fencing["fenced"][:3])]
    for service in spec.services:
        lines.append(f"{service.name} {spec.vip.address}:{service.port} "
                     f"({service.scheduler}) on {report.director or 'no director'}:")
        servers = report.services.get(service.name, {})
        lines += [f"  {node.name:<12} weight {rs['weight']}  active {rs['active']}  "
                  f"inactive {rs['inactive']}" if (rs := servers.get(node.name))
                  else f"  {node.name:<12} not in the table" for node in spec.nodes]
    lines.append("sync daemons: " + ", ".join(
        f"{name} {'+'.join(roles) or 'none'}" for name, roles in sorted(report.sync.items())))
    return "\n".join(lines)
