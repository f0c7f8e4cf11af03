"""Signing the SSH farm's host certificates on the operator's machine, with ssh-keygen (the CA
never leaves it). Signing twice gives different bytes, so the deploy signs only where a node's
certificate is missing or no longer says what it should: a re-deploy changes nothing."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from lvsha import hostcert, paths
from lvsha.spec import ClusterSpec, Node


def fingerprint(public_key: str) -> str:
    with tempfile.TemporaryDirectory() as work:
        key = Path(work) / "key.pub"
        key.write_text(public_key)
        return subprocess.run(["ssh-keygen", "-l", "-f", str(key)], capture_output=True,
                              text=True, check=True).stdout.split()[1]


def sign(spec: ClusterSpec, node: Node, host_public_key: str) -> str:
    """The node's host certificate: its own key, signed by the CA for its principals."""
    with tempfile.TemporaryDirectory() as work:
        key = Path(work) / "host.pub"
        key.write_text(host_public_key)
        subprocess.run(["ssh-keygen", "-q", "-s", str(paths.ssh_host_ca(spec)), "-h",
                        "-I", hostcert.key_id(spec, node),
                        "-n", ",".join(hostcert.principals(spec, node)), str(key)],
                       check=True, capture_output=True)
        return (Path(work) / "host-cert.pub").read_text()


def certifies(spec: ClusterSpec, node: Node, host_public_key: str, certificate: str) -> bool:
    """Whether ``certificate`` is the CA's host certificate of this key for the node's
    principals (what `sign` would give, but for the signature's own bytes)."""
    with tempfile.TemporaryDirectory() as work:
        cert = Path(work) / "host-cert.pub"
        cert.write_text(certificate)
        shown = subprocess.run(["ssh-keygen", "-L", "-f", str(cert)], capture_output=True,
                               text=True)
    if shown.returncode != 0:
        return False
    text = shown.stdout
    listed = re.search(r"Principals:\s*\n((?:\s{9,}\S+\n)+)", text)
    ca_public_key = paths.ssh_host_ca(spec).with_suffix(".pub").read_text()
    return ("host certificate" in text
            and f"Public key: ED25519-CERT {fingerprint(host_public_key)}" in text
            and f"Signing CA: ED25519 {fingerprint(ca_public_key)}" in text
            and listed is not None
            and tuple(listed.group(1).split()) == hostcert.principals(spec, node))
