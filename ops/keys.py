"""Deploy key pairs: generated once per environment, private key mode 0600, never logged."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lvsha import environments, paths
from lvsha.spec import ClusterSpec
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


def ensure_key(spec: ClusterSpec) -> Path:
    """Generate the environment's key pair if it is missing; return the private key's path."""
    key = paths.private_key(spec)
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                        f"lvsha-{spec.name}", "-f", str(key)], check=True)
        print(f"generated the {spec.name} deploy key {key}")
    os.chmod(key, 0o600)
    return key


if __name__ == "__main__":
    for name in environments.NAMES:
        ensure_key(environments.load(name))
