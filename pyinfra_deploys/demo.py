"""A demo real server per TCP service, for the lab: answers each connection with the host name."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import files, systemd
from pyinfra.operations.util import any_changed

from lvsha import render
from lvsha.spec import Protocol
from pyinfra_deploys import context


@deploy("Install the demo real servers")
def demo_service() -> None:
    spec = context.spec()
    if not spec.demo_service:
        return
    for service in spec.services:
        if service.protocol is not Protocol.TCP:
            continue
        unit = f"lvsha-demo-{service.port}"
        socket = files.put(name=f"Deploy {unit}.socket",
                           src=StringIO(render.render_template("demo/demo.socket.j2",
                                                               service=service)),
                           dest=f"/etc/systemd/system/{unit}.socket", mode="644")
        instance = files.put(name=f"Deploy {unit}@.service",
                             src=StringIO(render.render_template("demo/demo@.service.j2",
                                                                 service=service)),
                             dest=f"/etc/systemd/system/{unit}@.service", mode="644")
        systemd.daemon_reload(name=f"Reload systemd for {unit}",
                              _if=any_changed(socket, instance))
        systemd.service(name=f"Start and enable {unit}.socket", service=f"{unit}.socket",
                        running=True, enabled=True)
