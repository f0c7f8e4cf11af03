"""Pure renderers: spec in, file text out, through the jinja2 templates in files/templates."""

from __future__ import annotations

from urllib.parse import urlparse

from lvsha import footprint
from lvsha.spec import (
    ClusterSpec,
    ConnectCheck,
    ExternalCheck,
    FenceAgent,
    FenceVirsh,
    HttpCheck,
    NoFencing,
    Service,
    WatchdogSbd,
)
from lvsha.templates import render, render_xml


def _ldirectord_check(service: Service) -> dict[str, str]:
    """The ldirectord directives (checktype, service, ...) for a service's health check."""
    check = service.check
    if isinstance(check, ConnectCheck):
        return {"checktype": "connect", "service": "none"}
    if isinstance(check, HttpCheck):
        return {
            "checktype": "negotiate",
            "service": "https" if check.https else "http",
            "request": f'"{check.path}"',
            "receive": f'"{check.pattern}"',
        }
    assert isinstance(check, ExternalCheck)
    return {"checktype": "external", "checkcommand": f'"{check.command}"'}


def demo_unit_file(service: Service) -> str:
    """The unit of the lab's demo real server for ``service`` (named `footprint.demo_unit`)."""
    return render("demo/demo.service.j2", service=service)


def real_server_unit(spec: ClusterSpec) -> str:
    """The boot unit that makes a node a real server (VIP on lo) before its services start."""
    return render("lvsha-real-server.service.j2", vip=spec.vip.address, nic=spec.nic,
                  guard=footprint.BOOT_GUARD_NFT)


def boot_guard_nft(spec: ClusterSpec, lasts_s: int = footprint.BOOT_GUARD_S) -> str:
    """The boot unit's nftables guard: no TCP reset from the VIP for ``lasts_s`` seconds."""
    return render("lvsha-boot-guard.nft.j2", vip=spec.vip.address,
                  table=footprint.BOOT_GUARD_TABLE, lasts_s=lasts_s)


def reclaim_vip_hook(spec: ClusterSpec) -> str:
    """ifupdown's if-up.d hook: the director takes back a VIP that `ifdown; ifup` flushed."""
    return render("lvsha-reclaim-vip.j2", nic=spec.nic, params=lvs_params(spec),
                  agent=footprint.LVS.agent.path)


def corosync_lost_unit() -> str:
    """The unit that resets a node whose corosync died under a running pacemaker."""
    return render("lvsha-corosync-lost.service.j2", corosync_unit=footprint.COROSYNC_UNIT,
                  pacemaker_unit=footprint.PACEMAKER_UNIT)


def corosync_lost_drop_in() -> str:
    """corosync.service's drop-in that starts `corosync_lost_unit` when corosync fails."""
    return render("corosync-lost.conf.j2", corosync_unit=footprint.COROSYNC_UNIT,
                  reset_unit=footprint.COROSYNC_LOST_UNIT)


def ldirectord_cf(spec: ClusterSpec) -> str:
    return render("ldirectord.cf.j2", path=footprint.LDIRECTORD_CF, spec=spec,
                  checks={s.name: _ldirectord_check(s) for s in spec.services})


def etc_hosts(spec: ClusterSpec) -> str:
    """/etc/hosts: every node resolves every other without DNS (written at first boot, and
    by the deploy when nodes come and go)."""
    return render("hosts.j2", spec=spec)


def corosync_conf(spec: ClusterSpec) -> str:
    return render("corosync.conf.j2", path=footprint.COROSYNC_CONF, spec=spec)


# The corosync.conf keys lvsha renders that a running cluster takes from `corosync-cfgtool -R`
# (corosync reads its totem timing again at a reload: on the lab the runtime token and
# consensus followed a token changed in every node's file).
RELOADED_KEYS = ("token",)


def reloaded_key(line: str) -> str | None:
    """The corosync.conf line's key when it is one of RELOADED_KEYS."""
    key = line.strip().partition(":")[0]
    return key if key in RELOADED_KEYS else None


def _corosync_parts(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """A corosync.conf's stripped lines outside its nodelist's node blocks, and each node's
    block by its name."""
    rest: list[str] = []
    nodes: dict[str, list[str]] = {}
    block: list[str] | None = None
    for line in (raw.strip() for raw in lines):
        if not line:
            continue
        if block is None and line == "node {":
            block = []
        elif block is not None and line == "}":
            name = next((entry.partition(":")[2].strip() for entry in block
                         if entry.startswith("name:")), "")
            nodes[name] = block
            block = None
        elif block is not None:
            block.append(line)
        else:
            rest.append(line)
    return rest, nodes


def corosync_reload_suffices(current: list[str] | None, wanted: str) -> bool:
    """Whether a node holding ``current`` (its corosync.conf's lines; None: no file) takes
    ``wanted`` with a reload, every node at once, instead of a restart node by node: the two
    differ only in RELOADED_KEYS' lines and in nodes added or removed, every node in both
    unchanged (corosync 3 takes a nodelist change at `corosync-cfgtool -R`, as `pcs cluster
    node add` relies on; votequorum counts the new list's votes)."""
    if current is None:
        return False
    old, old_nodes = _corosync_parts(current)
    new, new_nodes = _corosync_parts(wanted.splitlines())
    if len(old) != len(new):
        return False
    kept = old_nodes.keys() & new_nodes.keys()
    return bool(kept) and all(old_nodes[name] == new_nodes[name] for name in kept) and all(
        a == b or reloaded_key(a) is not None and reloaded_key(a) == reloaded_key(b)
        for a, b in zip(old, new, strict=True))


def departed_nodes(current: list[str] | None, spec: ClusterSpec) -> list[str]:
    """The nodes a node's corosync.conf (``current``, its lines) lists that ``spec`` no longer
    has: those the deploy takes out of the cluster. None from another cluster's file (the
    package's own, before the first deploy)."""
    if current is None:
        return []
    rest, nodes = _corosync_parts(current)
    if f"cluster_name: {spec.name}" not in rest:
        return []
    wanted = {node.name for node in spec.nodes}
    return [name for name in nodes if name not in wanted]


def ipvs_sysctls(spec: ClusterSpec) -> dict[str, str]:
    """The IPVS sysctls of every node (any node may direct, every node runs ldirectord)."""
    return {
        # ldirectord quiesces a failed real server (weight 0), but a client reusing a source
        # port whose entry still points there (DR directors see only FIN_WAIT of a closed
        # connection) was sent there again, refused 42-65 s after the service stopped
        # (measured). This reschedules such a connection's SYN.
        "net.ipv4.vs.expire_nodest_conn": "1",
        # Every node holds ldirectord's table; while a node runs the backup sync daemon (the
        # lvs agent's Unpromoted role) this keeps that table from scheduling anything.
        "net.ipv4.vs.backup_only": "1",
        # Sync a connection when it is established, then again whenever it carries traffic
        # and refresh_s has passed, not every 50th packet (the kernel's default "3 50").
        "net.ipv4.vs.sync_threshold": "3 0",
        "net.ipv4.vs.sync_refresh_period": str(spec.sync.refresh_s),
    }


def lvs_params(spec: ClusterSpec) -> dict[str, str]:
    """The lvs agent's instance attributes (its meta-data names them)."""
    sync = spec.sync
    return {"vip": str(spec.vip.address), "cidr_netmask": str(spec.vip.prefix), "nic": spec.nic,
            "sync_id": str(sync.sync_id), "tcp_timeout": str(sync.tcp_timeout_s),
            "tcpfin_timeout": str(sync.tcp_fin_timeout_s),
            "udp_timeout": str(sync.udp_timeout_s)}


# Cluster properties lvsha sets for some specs only, and so deletes where a spec has none.
OPTIONAL_PROPERTIES = frozenset({"stonith-watchdog-timeout", "fence-reaction"})


def cluster_properties(spec: ClusterSpec) -> dict[str, str]:
    """Pacemaker cluster properties; STONITH is off only when the spec says so in words.

    With fencing, a node told it was fenced while it still runs reboots at once
    (`fence-reaction=panic`, not pacemaker's default `stop`, which leaves its resources
    running): with watchdog fencing the others count a node fenced once the watchdog timeout
    has passed, and a director whose pacemaker was killed and restarted meanwhile (sbd found
    it healthy again) heard of its own fencing, stopped pacemaker and kept the VIP beside the
    new director until sbd reset it ~11 s later (measured in the lab).
    """
    fenced = not isinstance(spec.fencing, NoFencing)
    properties = {
        "stonith-enabled": "true" if fenced else "false",
        "no-quorum-policy": spec.no_quorum_policy,
    }
    if fenced:
        properties["fence-reaction"] = "panic"
    if isinstance(spec.fencing, WatchdogSbd):
        properties["stonith-watchdog-timeout"] = str(spec.fencing.stonith_watchdog_timeout_s)
    return properties


def sbd_config(fencing: WatchdogSbd) -> str:
    """/etc/default/sbd for diskless sbd (no SBD_DEVICE: the watchdog alone fences)."""
    return render("sbd.j2", path=footprint.SBD_CONFIG, fencing=fencing)


def resource_defaults(spec: ClusterSpec) -> dict[str, str]:
    return {"resource-stickiness": str(spec.resource_stickiness)}


def fence_virsh_host(spec: ClusterSpec, fencing: FenceVirsh) -> str:
    """How the nodes reach the libvirt host: as the spec says, else the libvirt URI's host,
    else (a local URI) the network's gateway, where libvirt's NAT network puts the host."""
    return fencing.host or urlparse(spec.libvirt.uri).hostname or str(spec.network.gateway)


def fence_device(spec: ClusterSpec) -> FenceAgent | None:
    """The STONITH device the spec asks for, as an agent and its parameters (None if none)."""
    fencing = spec.fencing
    if isinstance(fencing, FenceVirsh):
        params = [("ip", fence_virsh_host(spec, fencing)), ("username", fencing.user),
                  ("identity_file", footprint.FENCE_VIRSH_KEY),
                  ("pcmk_host_map", ";".join(f"{node.name}:{spec.vm_name(node)}"
                                             for node in spec.nodes))]
        if fencing.user != "root":
            params.append(("use_sudo", "1"))
        if not fencing.power_on:
            params.append(("pcmk_reboot_action", "off"))
        return FenceAgent("fence_virsh", tuple(params))
    return fencing if isinstance(fencing, FenceAgent) else None


def cib_configuration(spec: ClusterSpec) -> str:
    """The CIB sections lvsha owns outright (resources, constraints, alerts) as XML."""
    fence = {"id": footprint.FENCE_DEVICE_ID, "operations": (footprint.FENCE_DEVICE_MONITOR,)}
    score_refresh = {"id": footprint.SCORE_REFRESH_ALERT, "path": footprint.SCORE_REFRESH_SCRIPT,
                     "timeout_s": footprint.SCORE_REFRESH_TIMEOUT_S,
                     "params": {"lvsha_score_attribute": footprint.LVS_PROMOTION_SCORE,
                                "lvsha_watch_s": footprint.SCORE_REFRESH_WATCH_S}}
    return render_xml("cib.xml.j2", spec=spec, lvs=footprint.LVS, lvs_params=lvs_params(spec),
                      lvs_clone=footprint.LVS_CLONE, ldirectord=footprint.LDIRECTORD,
                      ldirectord_clone=footprint.LDIRECTORD_CLONE,
                      ldirectord_clone_meta=footprint.LDIRECTORD_CLONE_META,
                      ldirectord_cf=footprint.LDIRECTORD_CF, fence=fence,
                      fence_device=fence_device(spec), score_refresh=score_refresh)
