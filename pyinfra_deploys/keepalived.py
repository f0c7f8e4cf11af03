"""The keepalived reference on the same nodes: what lvsha's failover is measured against.

It replaces the pacemaker cluster on those nodes (corosync and pacemaker are stopped), so run it
on a lab of its own: `pyinfra -y inventories/lab.py deploy_keepalived.py`.
"""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, server, systemd

from lvsha import footprint, keepalived
from lvsha.packages import REFERENCE_PACKAGES
from lvsha.paths import FILES
from pyinfra_deploys import context


@deploy("Run keepalived as the reference director")
def reference() -> None:
    spec, node = context.spec(), context.node()
    apt.packages(name="Install keepalived and nftables", packages=list(REFERENCE_PACKAGES),
                 no_recommends=True)
    stopped = [systemd.service(name=f"Stop and disable {service}: keepalived owns the VIP here",
                               service=service, running=False, enabled=False)
               for service in ("pacemaker", "corosync")]
    # ldirectord leaves its table when it stops (cleanstop=no); keepalived builds its own.
    server.shell(name="Clear the IPVS table pacemaker's ldirectord left",
                 commands=["ipvsadm --clear"], _if=stopped[0].did_change)
    # corosync's stop stopped sbd (PartOf), and its unit refuses a manual stop.
    systemd.service(name="Disable sbd", service=footprint.SBD_UNIT, running=None, enabled=False)
    files.put(name=f"Install {footprint.KEEPALIVED_ROLE_SCRIPT}",
              src=str(FILES / "bin" / "lvsha-keepalived-role"),
              dest=footprint.KEEPALIVED_ROLE_SCRIPT, user="root", group="root", mode="755")
    rules = files.put(name=f"Deploy {footprint.NFTABLES_CONF}",
                      src=StringIO(keepalived.nftables_conf(spec)),
                      dest=footprint.NFTABLES_CONF, user="root", group="root", mode="755")
    systemd.service(name="Load the VIP marking rules", service="nftables", running=True,
                    enabled=True)
    systemd.service(name="Reload the VIP marking rules", service="nftables", restarted=True,
                    _if=rules.did_change)
    conf = files.put(name=f"Deploy {footprint.KEEPALIVED_CONF}",
                     src=StringIO(keepalived.keepalived_conf(spec, node)),
                     dest=footprint.KEEPALIVED_CONF, user="root", group="root", mode="640")
    systemd.service(name="Start and enable keepalived", service="keepalived", running=True,
                    enabled=True)
    systemd.service(name="Restart keepalived for the new config", service="keepalived",
                    restarted=True, _if=conf.did_change)
