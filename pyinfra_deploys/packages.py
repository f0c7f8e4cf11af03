"""The cluster packages, without recommends; apt is only asked when one is missing."""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.deb import DebPackages
from pyinfra.operations import apt

from lvsha.packages import CLUSTER_PACKAGES


@deploy("Install cluster packages")
def install() -> None:
    installed = host.get_fact(DebPackages)
    missing = [package for package in CLUSTER_PACKAGES if package not in installed]
    apt.packages(
        name="Install corosync, pacemaker, pcs, resource-agents, ldirectord, ipvsadm",
        packages=list(CLUSTER_PACKAGES),
        no_recommends=True,
        update=bool(missing),
    )
