"""Checks that stop the deploy before any change, each naming the node it is about."""

from __future__ import annotations

from pyinfra import host, inventory
from pyinfra.api import deploy
from pyinfra.api.exceptions import DeployError
from pyinfra.facts.server import LinuxDistribution

from pyinfra_deploys import context

DEBIAN_MAJOR = 12


def check_inventory_matches_spec() -> None:
    """The inventory must hold exactly the spec's nodes, at the spec's addresses."""
    spec = context.spec()
    names = sorted(h.name for h in inventory)
    wanted = sorted(n.name for n in spec.nodes)
    if names != wanted:
        raise DeployError(f"inventory hosts {names} do not match the {spec.name} spec's nodes "
                          f"{wanted}; build the inventory with lvsha.inventory.hosts(spec)")
    address = str(context.node().address)
    if host.data.get("ssh_hostname") != address:
        raise DeployError(f"{host.name}: inventory address {host.data.get('ssh_hostname')} is "
                          f"not the spec's {address}")


@deploy("Preflight: Debian 12 on every node")
def check_release() -> None:
    distro = host.get_fact(LinuxDistribution)
    if distro["name"] != "Debian" or distro["major"] != DEBIAN_MAJOR:
        raise DeployError(f"{host.name}: runs {distro['name']} {distro['major']}, lvsha "
                          f"deploys Debian {DEBIAN_MAJOR} only")
