"""The load balancer itself: the lvs OCF agent, ldirectord.cf, and the CIB lvsha owns."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import files, server, systemd

from lvsha import cib, render
from pyinfra_deploys import context
from pyinfra_deploys.facts import CibSection
from lvsha.paths import FILES


IPVS_MODULES_LOAD = "/etc/modules-load.d/lvsha-ipvs.conf"
IPVS_SYSCTL_CONF = "/etc/sysctl.d/60-lvsha-ipvs.conf"


@deploy("Install the lvs OCF agent")
def agent() -> None:
    files.put(name=f"Install {render.OCF_AGENT_DIR}/lvs", src=str(FILES / "ocf" / "lvs"),
              dest=f"{render.OCF_AGENT_DIR}/lvs", user="root", group="root", mode="755")


@deploy("Configure ldirectord")
def ldirectord() -> None:
    spec = context.spec()
    files.put(name=f"Deploy {render.LDIRECTORD_CF}", src=StringIO(render.ldirectord_cf(spec)),
              dest=render.LDIRECTORD_CF, user="root", group="root", mode="644")
    # Pacemaker runs ldirectord (ocf:heartbeat:ldirectord) on the Promoted node only;
    # Debian's own unit would start it everywhere.
    systemd.service(name="Stop and disable the packaged ldirectord unit", service="ldirectord",
                    running=False, enabled=False)


@deploy("Keep new connections off quiesced real servers")
def ipvs_reschedule() -> None:
    # ldirectord quiesces a failed real server (weight 0), but a client that reuses a source
    # port whose IPVS entry still points there is sent there again: in DR mode the director's
    # last view of a closed connection is FIN_WAIT, which IPVS does not reschedule by default.
    # Measured: "connection refused" 42-65 s after a real service stopped, long after
    # ldirectord had quiesced it. expire_nodest_conn=1 reschedules such a connection's SYN.
    files.put(name="Load ip_vs at boot, before sysctl.d is applied",
              src=StringIO("ip_vs\n"), dest=IPVS_MODULES_LOAD, user="root", group="root",
              mode="644")
    server.modprobe(name="Load ip_vs", module="ip_vs")
    server.sysctl(name="Reschedule new connections away from quiesced real servers",
                  key="net.ipv4.vs.expire_nodest_conn", value=1, persist=True,
                  persist_file=IPVS_SYSCTL_CONF)


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
    rendered = render.cib_configuration(spec)
    # Resources before constraints: a constraint may only name resources that exist.
    for scope in ("resources", "constraints"):
        wanted_xml = cib.section(rendered, scope)
        if cib.canonical(host.get_fact(CibSection, scope, _sudo=True)) != cib.canonical(wanted_xml):
            server.shell(name=f"Replace the CIB {scope} with lvsha's",
                         commands=[f"cibadmin --replace --scope {scope} --xml-text "
                                   f"'{wanted_xml}'"])
