"""An SSH farm behind the VIP: every node's sshd presents a host certificate from the
environment's CA, so users trust the farm with one known_hosts line (lvsha/hostcert.py)."""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.files import FileContents
from pyinfra.operations import files, systemd
from pyinfra.operations.util import any_changed

from lvsha import footprint, hostcert
from ops import hostcert as signing
from ops.keys import ensure_host_ca
from pyinfra_deploys import context


@deploy("SSH farm host certificate")
def host_certificate() -> None:
    spec = context.spec()
    if not hostcert.farm_services(spec):
        return
    ensure_host_ca(spec)
    node = context.node()
    lines = host.get_fact(FileContents, footprint.SSH_HOST_KEY, _sudo=True)
    if not lines:
        raise RuntimeError(f"{node.name}: no {footprint.SSH_HOST_KEY}; the SSH farm needs "
                           "sshd's ed25519 host key (openssh-server makes it)")
    key = "\n".join(lines) + "\n"
    current = host.get_fact(FileContents, footprint.SSH_HOST_CERTIFICATE, _sudo=True)
    signed = []
    if current is None or not signing.certifies(spec, node, key, "\n".join(current) + "\n"):
        signed.append(files.put(name="Sign the node's host key for the VIP, its name and "
                                "address",
                                src=StringIO(signing.sign(spec, node, key)),
                                dest=footprint.SSH_HOST_CERTIFICATE, user="root",
                                group="root", mode="644"))
    drop_in = files.put(name=f"Present the certificate ({footprint.SSHD_DROP_IN})",
                        src=StringIO(f"HostCertificate {footprint.SSH_HOST_CERTIFICATE}\n"),
                        dest=footprint.SSHD_DROP_IN, user="root", group="root", mode="644")
    systemd.service(name="Reload sshd for its certificate", service=footprint.SSH_UNIT,
                    reloaded=True, _if=any_changed(drop_in, *signed))
