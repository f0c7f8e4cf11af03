"""The load balancer itself: the lvs OCF agent, ldirectord.cf, and the CIB lvsha owns."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import files, server, systemd

from lvsha import cib, footprint, render
from lvsha.paths import FILES
from pyinfra_deploys import context
from pyinfra_deploys.facts import CibSection, UnmanagedLdirectord

# SIGTERM lets ldirectord remove its IPVS services (a stray on a real server made some);
# SIGKILL only if it has not gone after a minute.
STOP_EVERY_LDIRECTORD = (
    "pkill -TERM -x ldirectord; for _ in $(seq 60); do pgrep -x ldirectord >/dev/null || break; "
    f"sleep 1; done; pkill -KILL -x ldirectord; rm -f {footprint.LDIRECTORD_PIDFILE}")
LDIRECTORD = footprint.LDIRECTORD.id
REAL_SERVER_UNIT = footprint.REAL_SERVER_UNIT


@deploy("Install the lvs OCF agent and its score alert")
def agent() -> None:
    files.put(name=f"Install {footprint.LVS.agent.path}", src=str(FILES / "ocf" / "lvs"),
              dest=footprint.LVS.agent.path, user="root", group="root", mode="755")
    files.put(name=f"Install {footprint.SCORE_REFRESH_SCRIPT}",
              src=str(FILES / "bin" / "lvsha-score-refresh"),
              dest=footprint.SCORE_REFRESH_SCRIPT, user="root", group="root", mode="755")


@deploy("Configure ldirectord")
def ldirectord() -> None:
    spec = context.spec()
    files.put(name=f"Deploy {footprint.LDIRECTORD_CF}",
              src=StringIO(render.ldirectord_cf(spec)), dest=footprint.LDIRECTORD_CF,
              user="root", group="root", mode="644")


@deploy("Keep every ldirectord but pacemaker's off")
def packaged_ldirectord_off() -> None:
    """Pacemaker runs one ldirectord on every node (a clone). Debian's unit, enabled by the
    package, would start a second one against the same ldirectord.cf and pid file; at a slow first
    boot its start timed out and, with the unit's KillMode=none, its daemon ran on unmanaged
    (measured on a 5-node lab), so disabling or stopping the unit is not enough. Masked before
    the package is installed, no boot, upgrade or `systemctl start` can bring it up."""
    masked = files.link(name="Mask the packaged ldirectord unit",
                        path=footprint.unit_file(footprint.PACKAGED_LDIRECTORD_UNIT),
                        target="/dev/null")
    systemd.daemon_reload(name="Reload systemd for the masked unit", _if=masked.did_change)
    strays = host.get_fact(UnmanagedLdirectord, _sudo=True)
    if strays:
        # A stray and pacemaker's ldirectord share one pid file, so pacemaker may have taken
        # the stray for its own, or lose track of its own once the stray's exit removes the
        # file: stop every ldirectord here, then let pacemaker probe and start its own anew.
        server.shell(name=f"Stop the ldirectord pacemaker did not start (pid {strays})",
                     commands=[STOP_EVERY_LDIRECTORD,
                               f"if cibadmin --query --xpath \"//primitive[@id='{LDIRECTORD}']\" "
                               f">/dev/null 2>&1; then crm_resource --refresh --resource "
                               f"{LDIRECTORD} --quiet; fi"])


@deploy("Make the node a real server at boot")
def real_server_at_boot() -> None:
    # Enabled, never started here: at run time the lvs agent owns the VIP, and on the
    # director this unit would put it on lo beside the NIC.
    files.put(name=f"Deploy {footprint.BOOT_GUARD_NFT}",
              src=StringIO(render.boot_guard_nft(context.spec())),
              dest=footprint.BOOT_GUARD_NFT, user="root", group="root", mode="644")
    unit = files.put(name=f"Deploy {REAL_SERVER_UNIT}",
                     src=StringIO(render.real_server_unit(context.spec())),
                     dest=footprint.unit_file(REAL_SERVER_UNIT), mode="644")
    systemd.daemon_reload(name=f"Reload systemd for {REAL_SERVER_UNIT}", _if=unit.did_change)
    systemd.service(name=f"Enable {REAL_SERVER_UNIT} (not started)",
                    service=REAL_SERVER_UNIT, running=None, enabled=True)


@deploy("Take a flushed VIP back after ifdown; ifup")
def reclaim_vip_after_ifup() -> None:
    files.put(name=f"Deploy {footprint.RECLAIM_VIP_HOOK}",
              src=StringIO(render.reclaim_vip_hook(context.spec())),
              dest=footprint.RECLAIM_VIP_HOOK, user="root", group="root", mode="755")


@deploy("Configure IPVS")
def ipvs_settings() -> None:
    files.put(name="Load ip_vs at boot, before sysctl.d is applied",
              src=StringIO("ip_vs\n"), dest=footprint.IPVS_MODULES_LOAD, user="root", group="root",
              mode="644")
    server.modprobe(name="Load ip_vs", module="ip_vs")
    for key, value in render.ipvs_sysctls(context.spec()).items():
        server.sysctl(name=f"Set {key}", key=key, value=value, persist=True,
                      persist_file=footprint.IPVS_SYSCTL_CONF)


@deploy("Apply cluster properties and resources")
def cluster_configuration() -> None:
    if not context.is_first_node():
        return
    spec = context.spec()
    for scope, wanted in (("crm_config", render.cluster_properties(spec)),
                          ("rsc_defaults", render.resource_defaults(spec))):
        current = host.get_fact(CibSection, scope, _sudo=True)
        for name, value in cib.nvpairs_to_set(current, wanted).items():
            server.shell(name=f"Set {scope} {name}={value}",
                         commands=[f"crm_attribute --type {scope} --name {name} "
                                   f"--update {value}"])
        for name in cib.nvpairs_to_delete(current, render.OPTIONAL_PROPERTIES, wanted):
            server.shell(name=f"Delete {scope} {name} (this spec sets none)",
                         commands=[f"crm_attribute --type {scope} --name {name} --delete"])
    rendered = render.cib_configuration(spec)
    # Resources before constraints: a constraint may only name resources that exist.
    for scope in ("resources", "constraints", "alerts"):
        wanted_xml = cib.section(rendered, scope)
        live = host.get_fact(CibSection, scope, _sudo=True)
        if scope == "constraints":
            wanted_xml = cib.with_operator_constraints(live, wanted_xml,
                                                       cib.section(rendered, "resources"))
        if cib.canonical(live) != cib.canonical(wanted_xml):
            # A new CIB has no <alerts>, and cibadmin replaces only a section that exists.
            # Which of the two is decided when the command runs: on a stopped cluster the
            # fact was read before this deploy started pacemaker, and reads as empty.
            server.shell(name=f"Replace the CIB {scope} with lvsha's", commands=[
                f"if cibadmin --query --scope {scope} >/dev/null 2>&1; "
                f"then cibadmin --replace --scope {scope} --xml-text '{wanted_xml}'; "
                f"else cibadmin --create --scope configuration --xml-text '{wanted_xml}'; fi"])
