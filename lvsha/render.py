"""Pure renderers: spec in, file text out, through the jinja2 templates in files/templates."""

from __future__ import annotations


import jinja2

from lvsha.spec import ClusterSpec, ConnectCheck, ExternalCheck, HttpCheck, NoFencing, Service
from lvsha.paths import TEMPLATES

LDIRECTORD_CF = "/etc/ha.d/ldirectord.cf"
# "pid cgroup" of every ldirectord daemon on a node: those started with `start`, not the
# `status` and `stop` runs the agent makes (one is alive during most monitors under emulation).
# Pacemaker's daemon runs in pacemaker.service's cgroup (v2); the packaged unit's, in its own.
LDIRECTORD_DAEMONS = (
    "for pid in $(pgrep -x ldirectord); do "
    "case \"$(tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null)\" in *' start '|*' restart ') "
    "echo \"$pid $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)\";; esac; done")
# The Promoted monitor finds a VIP that left the NIC (ifdown; ifup): the shorter, the sooner
# pacemaker puts it back. Distinct intervals per role, as pacemaker requires.
LVS_PROMOTED_MONITOR_S = 5
LVS_UNPROMOTED_MONITOR_S = 11
# ldirectord is a perl daemon, and the stock agent runs it once per monitor (status), twice
# per stop (status, stop) and three times per start (status, start, status). Under the lab's
# emulation on the 3-node lab one run took 18-33 s before PERLIO was set for pacemaker's
# agents (files/systemd/pacemaker-ldirectord.conf), 10-15 s after: starts and stops then
# timed out at 60 s right after a first deploy, and a failed stop blocks the resource.
# Timeouts leave at least twice the longest measured run per call; tests/test_faults.py reports
# pacemaker's own exec-time of each operation after every fault to check them against.
LDIRECTORD_MONITOR_S = 20
LDIRECTORD_MONITOR_TIMEOUT_S = 60
LDIRECTORD_START_TIMEOUT_S = 120
OCF_PROVIDER = "lvsha"
OCF_AGENT_DIR = f"/usr/lib/ocf/resource.d/{OCF_PROVIDER}"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)
_xml_env = _env.overlay(autoescape=True)


def render_template(name: str, **context: object) -> str:
    return _env.get_template(name).render(**context)


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
            "receive": f'"{check.expect}"',
        }
    assert isinstance(check, ExternalCheck)
    return {"checktype": "external", "checkcommand": f'"{check.command}"'}


def demo_unit(service: Service) -> str:
    """The systemd unit of the lab's demo real server for ``service``."""
    return f"lvsha-demo-{service.port}.service"


REAL_SERVER_UNIT = "lvsha-real-server.service"


def real_server_unit(spec: ClusterSpec) -> str:
    """The boot unit that makes a node a real server (VIP on lo) before its services start."""
    return render_template("lvsha-real-server.service.j2", vip=spec.vip.address, nic=spec.nic)


def ldirectord_cf(spec: ClusterSpec) -> str:
    return render_template(
        "ldirectord.cf.j2", spec=spec, checks={s.name: _ldirectord_check(s) for s in spec.services}
    )


def corosync_conf(spec: ClusterSpec) -> str:
    return render_template("corosync.conf.j2", spec=spec)


def cluster_properties(spec: ClusterSpec) -> dict[str, str]:
    """Pacemaker cluster properties; STONITH is off only when the spec says so in words."""
    return {
        "stonith-enabled": "false" if isinstance(spec.fencing, NoFencing) else "true",
        "no-quorum-policy": spec.no_quorum_policy,
    }


def resource_defaults(spec: ClusterSpec) -> dict[str, str]:
    return {"resource-stickiness": str(spec.resource_stickiness)}


def cib_configuration(spec: ClusterSpec) -> str:
    """The CIB sections lvsha owns outright (resources, constraints) as XML."""
    return _xml_env.get_template("cib.xml.j2").render(
        spec=spec, provider=OCF_PROVIDER, ldirectord_cf=LDIRECTORD_CF,
        lvs_promoted_monitor_s=LVS_PROMOTED_MONITOR_S,
        lvs_unpromoted_monitor_s=LVS_UNPROMOTED_MONITOR_S,
        ldirectord_monitor_s=LDIRECTORD_MONITOR_S,
        ldirectord_monitor_timeout_s=LDIRECTORD_MONITOR_TIMEOUT_S,
        ldirectord_start_timeout_s=LDIRECTORD_START_TIMEOUT_S,
    )
