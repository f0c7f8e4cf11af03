"""The lab's VM image: Debian 12 built once with debootstrap, cached by a hash of its inputs.

Built rather than downloaded because the cloud image needs the internet at first boot for the
cluster packages; this one ships them, boots its kernel directly (no bootloader) and still
goes through cloud-init with a NoCloud seed, as production does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab.progress import step
from lvsha import footprint
from lvsha.packages import CLUSTER_PACKAGES, DEMO_PACKAGES, REFERENCE_PACKAGES

CACHE = Path(os.environ.get("LVSHA_IMAGE_CACHE", "/var/cache/lvsha/images"))
SUITE = "bookworm"
# The generic kernel, not the cloud one: the lab fences with qemu's emulated i6300esb watchdog,
# whose driver Debian 12's cloud kernel lacks (CONFIG_I6300ESB_WDT is not set in 6.1 cloud-amd64).
BASE_PACKAGES = (
    "linux-image-amd64", "systemd-sysv", "udev", "kmod", "dbus", "openssh-server",
    "iproute2", "python3",
)
# Installed with apt in the chroot: debootstrap's resolver cannot follow virtual packages
# (cloud-init -> python3-cryptography -> python3-cffi-backend-api-*).
FIRST_BOOT_PACKAGES = ("cloud-init", "ifupdown", "sudo", "procps")
# Lab VMs have no internet: everything the deploy installs is in the image already.
APT_PACKAGES = FIRST_BOOT_PACKAGES + CLUSTER_PACKAGES + DEMO_PACKAGES + REFERENCE_PACKAGES
HOST_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
IMAGE_SIZE = "3G"
# Data-source probing is slow under emulation; the lab always seeds NoCloud.
CLOUD_CFG = "datasource_list: [NoCloud, None]\n"
FSTAB = "/dev/vda / ext4 defaults,noatime 0 1\n"
# Speeds boot under TCG and keeps pcsd (which lvsha does not use) from burning ~18 s of CPU.
# ldirectord.service: the package enables it, and at a slow first boot its start timed out and
# KillMode=none left an ldirectord nobody managed beside pacemaker's (measured on 5 VMs).
MASKED_UNITS = ("pcsd.service", "pcsd-ruby.service", "apt-daily.timer",
                "apt-daily-upgrade.timer", "e2scrub_reap.service", "man-db.timer",
                footprint.PACKAGED_LDIRECTORD_UNIT)


@dataclass(frozen=True)
class Image:
    root: Path
    kernel: Path
    initrd: Path


def _sources() -> tuple[Path, str]:
    for path in HOST_SOURCES:
        if path.exists() and path.read_text().strip():
            return path, path.read_text()
    raise SystemExit("lab: no apt sources on this host (/etc/apt/sources.list[.d]); the image "
                     "is built from the host's Debian mirror")


def _mirror(sources: str) -> str:
    """The first Debian archive URI in the host's apt sources (deb822 or one-line form)."""
    for line in sources.splitlines():
        words = line.split()
        if words[:1] == ["URIs:"] and "security" not in words[1]:
            return words[1]
        if words[:1] == ["deb"] and "security" not in line:
            return next(w for w in words[1:] if "://" in w)
    raise SystemExit("lab: found no Debian mirror in the host's apt sources")


def inputs_hash() -> str:
    _, sources = _sources()
    recipe = Path(__file__).read_bytes()
    digest = hashlib.sha256(recipe + sources.encode())
    digest.update(" ".join(BASE_PACKAGES + APT_PACKAGES).encode())
    return digest.hexdigest()[:16]


def cached() -> Image:
    directory = CACHE / inputs_hash()
    return Image(directory / "root.raw", directory / "vmlinuz", directory / "initrd.img")


def _run(*command: str, **kwargs: object) -> None:
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def build() -> Image:
    """Return the cached image, building it first if its inputs changed."""
    image = cached()
    if image.root.exists():
        step(f"image {image.root.parent.name} cached")
        return image
    for tool in ("debootstrap", "mkfs.ext4"):
        if shutil.which(tool) is None:
            raise SystemExit(f"lab: {tool} is missing; run `make setup` (scripts/setup.sh)")
    sources_path, sources = _sources()
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="build-") as work:
        rootfs = Path(work) / "rootfs"
        step(f"image: debootstrap {SUITE} from {_mirror(sources)}")
        _run("debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
             SUITE, str(rootfs), _mirror(sources), stdout=subprocess.DEVNULL)
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
        shutil.copy(sources_path, rootfs / "etc/apt/sources.list.d" / sources_path.name
                    if sources_path.suffix == ".sources" else rootfs / "etc/apt/sources.list")
        policy = rootfs / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")  # no daemon starts inside the chroot
        policy.chmod(0o755)
        step(f"image: installing {' '.join(APT_PACKAGES)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run("chroot", str(rootfs), "apt-get", "update", "-qq", env=env)
        _run("chroot", str(rootfs), "apt-get", "install", "-y", "-qq",
             "--no-install-recommends", *APT_PACKAGES, env=env,
             stdout=subprocess.DEVNULL)
        _run("chroot", str(rootfs), "apt-get", "clean")
        _run("chroot", str(rootfs), "systemctl", "mask", *MASKED_UNITS,
             stderr=subprocess.DEVNULL)
        policy.unlink()
        (rootfs / "etc/cloud/cloud.cfg.d/90-lvsha-lab.cfg").write_text(CLOUD_CFG)
        (rootfs / "etc/fstab").write_text(FSTAB)
        (rootfs / "etc/hostname").write_text("unconfigured\n")
        (rootfs / "etc/machine-id").write_text("")  # systemd makes a new one per VM
        for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
            key.unlink()  # each VM makes its own host keys on first boot
        keygen = rootfs / "etc/systemd/system/ssh.service.d/host-keys.conf"
        keygen.parent.mkdir(parents=True)
        keygen.write_text("[Service]\nExecStartPre=/usr/bin/ssh-keygen -A\n")
        staging = Path(work) / "image"
        staging.mkdir()
        shutil.copy(max((rootfs / "boot").glob("vmlinuz-*")), staging / "vmlinuz")
        shutil.copy(max((rootfs / "boot").glob("initrd.img-*")), staging / "initrd.img")
        step("image: mkfs.ext4 -d (sparse raw file)")
        _run("mkfs.ext4", "-q", "-L", "root", "-d", str(rootfs), str(staging / "root.raw"),
             IMAGE_SIZE)
        os.replace(staging, image.root.parent)
    step(f"image {image.root.parent.name} built")
    return image
