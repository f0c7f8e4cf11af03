"""Deploy key pairs: generated once per environment, private key mode 0600, never logged."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lvsha import environments, hostcert, paths
from lvsha.spec import ClusterSpec, FenceVirsh, Platform
from lvsha.validate import Problem, SpecError


def read_public_key(spec: ClusterSpec) -> str:
    """The deploy user's public key, or a field-named error telling how to make one."""
    path = paths.public_key(spec)
    try:
        return path.read_text()
    except FileNotFoundError:
        raise SpecError([Problem("ssh.private_key", f"no public key at {path}; create the pair "
                                 f"with: ssh-keygen -t ed25519 -N '' -f {path.with_suffix('')}")]
                        ) from None


def _ensure_pair(key: Path, comment: str, what: str) -> Path:
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                        "-f", str(key)], check=True)
        print(f"generated {what} {key}")
    os.chmod(key, 0o600)
    return key


def ensure_key(spec: ClusterSpec) -> Path:
    """Generate the environment's key pair if it is missing; return the private key's path."""
    return _ensure_pair(paths.private_key(spec), f"lvsha-{spec.name}",
                        f"the {spec.name} deploy key")


def ensure_fence_key(spec: ClusterSpec) -> Path | None:
    """Generate fence_virsh's key pair if the spec fences so and it is missing."""
    if not isinstance(spec.fencing, FenceVirsh):
        return None
    where = ("the lab's virsh host trusts its .pub" if spec.platform is Platform.LAB else
             f"authorize its .pub for {spec.fencing.user} on the libvirt host")
    return _ensure_pair(paths.fence_key(spec), f"lvsha-{spec.name}-fence",
                        f"the {spec.name} fence_virsh key ({where})")


def ensure_host_ca(spec: ClusterSpec) -> Path | None:
    """Generate the SSH farm's host CA if the spec has an SSH farm and it is missing; write
    the known_hosts line its users need."""
    if not hostcert.farm_services(spec):
        return None
    ca = _ensure_pair(paths.ssh_host_ca(spec), f"lvsha-{spec.name}-host-ca",
                      f"the {spec.name} SSH farm's host CA")
    line = hostcert.known_hosts_line(spec, ca.with_suffix(".pub").read_text())
    known_hosts = paths.farm_known_hosts(spec)
    if not known_hosts.exists() or known_hosts.read_text() != line:
        known_hosts.write_text(line)
    return ca


if __name__ == "__main__":
    for name in environments.NAMES:
        ensure_key(environments.load(name))
        ensure_fence_key(environments.load(name))
        ensure_host_ca(environments.load(name))
