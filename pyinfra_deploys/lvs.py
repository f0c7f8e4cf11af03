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
