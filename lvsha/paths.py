"""Where the repository's own files are, and where an environment's keys and secrets live in
the checkout: the one place that knows the checkout's layout."""

from __future__ import annotations

from pathlib import Path

from lvsha.spec import ClusterSpec, FenceVirsh

REPO = Path(__file__).resolve().parent.parent
FILES = REPO / "files"
TEMPLATES = FILES / "templates"


def secrets_dir(spec: ClusterSpec) -> Path:
    return REPO / spec.secrets_dir


def private_key(spec: ClusterSpec) -> Path:
    """The deploy user's SSH key (the spec's path is relative to the checkout)."""
    return REPO / Path(spec.ssh.private_key).expanduser()


def public_key(spec: ClusterSpec) -> Path:
    return REPO / Path(spec.ssh.public_key).expanduser()


def fence_key(spec: ClusterSpec) -> Path:
    """fence_virsh's SSH key to the libvirt host (FenceVirsh.identity_file), in the checkout."""
    assert isinstance(spec.fencing, FenceVirsh)
    return REPO / Path(spec.fencing.identity_file).expanduser()


def known_hosts(spec: ClusterSpec) -> Path:
    """The nodes' SSH host keys, as the deploy and the lab first saw them."""
    return secrets_dir(spec) / "known_hosts"


def ssh_host_ca(spec: ClusterSpec) -> Path:
    """The SSH farm's host CA (its private key; .pub beside it), see lvsha/hostcert.py."""
    return secrets_dir(spec) / "ssh-host-ca"


def farm_known_hosts(spec: ClusterSpec) -> Path:
    """The known_hosts line the SSH farm's users add (public: the CA's public key)."""
    return secrets_dir(spec) / "farm_known_hosts"


def corosync_authkey(spec: ClusterSpec) -> Path:
    return secrets_dir(spec) / "corosync-authkey"


def hacluster_password(spec: ClusterSpec) -> Path:
    return secrets_dir(spec) / "hacluster-password"
