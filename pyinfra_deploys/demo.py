"""The demo real server of each service that asks for it (`RealServer.DEMO`, the lab's):
answers each TCP connection with the host name."""

from __future__ import annotations

from io import StringIO
from pathlib import PurePosixPath

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.files import FindFiles
from pyinfra.operations import apt, files, systemd

from lvsha import footprint, render
from lvsha.packages import DEMO_PACKAGES
from lvsha.spec import RealServer
from pyinfra_deploys import context


@deploy("Install the demo real servers")
def demo_service() -> None:
    demos = [s for s in context.spec().services if s.real_server is RealServer.DEMO]
    wanted = {footprint.demo_unit(service.port) for service in demos}
    installed = host.get_fact(FindFiles, path=footprint.SYSTEMD_DIR, maxdepth=1,
                              fname=footprint.DEMO_UNITS, _sudo=True)
    for unit in sorted({PurePosixPath(path).name for path in installed} - wanted):
        systemd.service(name=f"Stop {unit} (its service left the spec)", service=unit,
                        running=False, enabled=False)
        removed = files.file(name=f"Remove {unit}", path=footprint.unit_file(unit),
                             present=False)
        systemd.daemon_reload(name=f"Reload systemd without {unit}", _if=removed.did_change)
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
        systemd.service(name=f"Enable {unit}", service=unit, running=None, enabled=True)
        started = systemd.service(name=f"Start {unit}", service=unit, running=True)
        # A server already running the old unit; one just started runs the new one.
        systemd.service(name=f"Restart {unit} for the new unit", service=unit, restarted=True,
                        _if=[unit_file.did_change, started.did_not_change])
