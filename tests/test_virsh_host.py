"""The lab's virsh host answers Debian's own fence_virsh, run as pacemaker runs it, on loopback:
the agent lists, checks, powers off and on the VMs, and a key not authorized gets nothing."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import pytest

from lab import virsh_host

FENCE_VIRSH = Path("/usr/sbin/fence_virsh")


@dataclass
class FakeDomains:
    """VMs in memory: the shell and the SSH server are what is under test here."""

    powered: dict[str, bool] = field(default_factory=lambda: {"lab-lab1": True,
                                                             "lab-lab2": True})
    actions: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> list[str]:
        return list(self.powered)

    def running(self, name: str) -> bool:
        return self.powered[name]

    def destroy(self, name: str) -> None:
        self.powered[name] = False
        self.actions.append(("destroy", name))

    def start(self, name: str) -> None:
        self.powered[name] = True
        self.actions.append(("start", name))


def _keypair(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


@dataclass
class Host:
    port: int
    key: Path
    known_hosts: Path
    domains: FakeDomains


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    client_key, host_key = _keypair(tmp_path / "fence"), _keypair(tmp_path / "host")
    listener = socket.create_server(("127.0.0.1", 0))
    domains = FakeDomains()
    threading.Thread(target=virsh_host.serve, daemon=True, args=(
        listener, paramiko.Ed25519Key.from_private_key_file(str(host_key)), "root",
        client_key.with_suffix(".pub").read_text(), domains)).start()
    yield Host(listener.getsockname()[1], client_key, tmp_path / "known_hosts", domains)
    listener.close()


def fence_virsh(host: Host, action: str, plug: str = "lab-lab2",
                key: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The agent with the CIB's parameters (ip, username, identity_file), its own ssh options
    but for a known_hosts file of the test's own."""
    options = (f"-o UserKnownHostsFile={host.known_hosts} -t '/bin/bash -c \""
               r"PS1=\\[EXPECT\\]# /bin/bash --noprofile --norc" "\"'")
    return subprocess.run(
        [str(FENCE_VIRSH), "--ip", "127.0.0.1", "--ipport", str(host.port), "--username", "root",
         "--ssh", "--identity-file", str(key or host.key), f"--ssh-options={options}",
         "--plug", plug, "--action", action, "--login-timeout", "10"],
        capture_output=True, text=True, timeout=60)


pytestmark = pytest.mark.skipif(not FENCE_VIRSH.exists(), reason="fence-agents not installed")


def test_fence_virsh_lists_and_reads_the_power_state(host: Host) -> None:
    listed = fence_virsh(host, "list")
    assert listed.returncode == 0, listed.stderr
    assert {line.split(",")[0] for line in listed.stdout.split()} == {"lab-lab1", "lab-lab2"}
    status = fence_virsh(host, "status")
    assert (status.returncode, status.stdout.strip()) == (0, "Status: ON")


def test_fence_virsh_reboot_powers_the_vm_off_then_on(host: Host) -> None:
    result = fence_virsh(host, "reboot")
    assert result.returncode == 0, result.stderr
    assert host.domains.actions == [("destroy", "lab-lab2"), ("start", "lab-lab2")]
    assert host.domains.powered == {"lab-lab1": True, "lab-lab2": True}


def test_fence_virsh_off_leaves_the_vm_off(host: Host) -> None:
    assert fence_virsh(host, "off").returncode == 0
    status = fence_virsh(host, "status")
    # fence agents exit 2 for a device that is off
    assert (status.returncode, status.stdout.strip()) == (2, "Status: OFF")
    assert host.domains.actions == [("destroy", "lab-lab2")]


def test_an_unknown_vm_is_an_error_not_off(host: Host) -> None:
    result = fence_virsh(host, "off", plug="lab-lab9")
    assert result.returncode != 0
    assert "existing name" in result.stderr
    assert host.domains.actions == []


def test_a_key_not_authorized_is_refused(host: Host, tmp_path: Path) -> None:
    result = fence_virsh(host, "off", key=_keypair(tmp_path / "stranger"))
    assert result.returncode != 0
    assert host.domains.actions == []


def test_the_shell_serves_virsh_alone() -> None:
    domains = FakeDomains()
    output, done = virsh_host.answer(domains, "rm -rf /")
    assert "only virsh commands" in output and not done
    assert virsh_host.answer(domains, "sudo virsh destroy lab-lab1") == (
        "Domain 'lab-lab1' destroyed\n\n", False)
    assert "domain is not running" in virsh_host.answer(domains, "virsh destroy lab-lab1")[0]
    assert virsh_host.answer(domains, "quit") == ("", True)
