"""The demo real server of each service that asks for it (`RealServer.DEMO`, the lab's):
answers each TCP connection with the host name."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd

from lvsha import footprint, render
from lvsha.packages import DEMO_PACKAGES
from lvsha.spec import RealServer
from pyinfra_deploys import context


@deploy("Install the demo real servers")
def demo_service() -> None:
    demos = [s for s in context.spec().services if s.real_server is RealServer.DEMO]
    if not demos:
        return
    apt.packages(name="Install the demo server's packages", packages=list(DEMO_PACKAGES),
                 no_recommends=True)
    for service in demos:
        unit = footprint.demo_unit(service.port)
        unit_file = files.put(name=f"Deploy {unit}",
                              src=StringIO(render.demo_unit_file(service)),
                              dest=footprint.unit_file(unit), mode="644")
        systemd.daemon_reload(name=f"Reload systemd for {unit}", _if=unit_file.did_change)
        systemd.service(name=f"Start and enable {unit}", service=unit, running=True,
                        enabled=True)
        systemd.service(name=f"Restart {unit} for the new unit", service=unit, restarted=True,
                        _if=unit_file.did_change)
