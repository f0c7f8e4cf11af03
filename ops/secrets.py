"""Cluster secrets, generated once per environment on the operator's machine.

Kept in the spec's secrets_dir (git-ignored) with mode 0600; nothing here prints a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import subprocess
from pathlib import Path

from lvsha import paths
from lvsha.spec import ClusterSpec

AUTHKEY_BYTES = 256
_CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _ensure(path: Path, make: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(make)
    os.chmod(path, 0o600)
    return path


def corosync_authkey(spec: ClusterSpec) -> Path:
    """The shared corosync authkey file (256 random bytes)."""
    return _ensure(paths.corosync_authkey(spec), secrets.token_bytes(AUTHKEY_BYTES))


def hacluster_password_hash(spec: ClusterSpec, node_name: str) -> str:
    """SHA-512 crypt hash of the generated hacluster password, for /etc/shadow.

    The salt derives from the password and the node, so the hash is stable across runs and
    pyinfra's user operation reports no change once it is set.
    """
    path = _ensure(paths.hacluster_password(spec),
                   secrets.token_urlsafe(24).encode())
    password = path.read_bytes().strip()
    mac = hmac.new(password, node_name.encode(), hashlib.sha256).digest()
    salt = "".join(_CRYPT_ALPHABET[b % 64] for b in mac[:16])
    # The password goes to openssl on stdin, never on a command line.
    return subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                          input=password, capture_output=True, check=True).stdout.decode().strip()
