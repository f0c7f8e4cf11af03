"""The lab's libvirt host, as fence_virsh sees one: an SSH server on the lab network's gateway
that answers the four virsh commands the agent sends, for the lab's qemu VMs.

The lab runs qemu without libvirt (lab/vm.py), so the nodes' stock fence_virsh logs in here
instead: with the environment's fence key only, to a shell that knows `virsh list --all`,
`domstate`, `destroy` and `start` (each optionally after `sudo`) and nothing else. `destroy`
cuts the VM's power (SIGKILL, as `virsh destroy` does); `start` boots it from the disk it had.
Every destroy and start is appended to a JSON-lines record, which the lab's tests read to tell
that a node was fenced. Written by hand: no package serves virsh's CLI over SSH for VMs that
libvirt does not run. paramiko (pyinfra's own SSH library) is the server.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import paramiko
from paramiko import common

from lab import network, vm
from lab.layout import Layout
from lab.progress import step
from lvsha import paths
from lvsha.spec import FenceVirsh, Node
from ops.keys import ensure_fence_key

PORT = 22
# fence_virsh's own default prompt: it starts `PS1=[EXPECT]# bash` and waits for this.
PROMPT = "[EXPECT]# "
LISTEN_TIMEOUT_S = 20


class Domains(Protocol):
    """What the virsh shell needs of the VMs it manages."""

    def names(self) -> list[str]: ...
    def running(self, name: str) -> bool: ...
    def destroy(self, name: str) -> None: ...
    def start(self, name: str) -> None: ...


def answer(domains: Domains, line: str) -> tuple[str, bool]:
    """virsh's output for one command line, and whether the session ends with it."""
    words = shlex.split(line)
    if words[:1] == ["sudo"]:
        words = words[1:]
    if not words:
        return "", False
    if words[0] in ("quit", "exit", "logout"):
        return "", True
    if words[0] != "virsh" or len(words) < 2:
        return f"lab virsh host: only virsh commands are served here, not {words[0]!r}\n", False
    command, args = words[1], words[2:]
    if command == "list" and args == ["--all"]:
        rows = [f" {'-':<4} {name:<20} {'running' if domains.running(name) else 'shut off'}"
                for name in domains.names()]
        return "\n".join([f" {'Id':<4} {'Name':<20} State", "-" * 40, *rows, ""]) + "\n", False
    if command not in ("domstate", "destroy", "start") or len(args) != 1:
        return f"error: lab virsh host: unsupported command {line.strip()!r}\n", False
    name = args[0]
    if name not in domains.names():
        return f"error: failed to get domain '{name}'\n", False
    if command == "domstate":
        return ("running" if domains.running(name) else "shut off") + "\n\n", False
    if command == "destroy":
        if not domains.running(name):
            return (f"error: Failed to destroy domain '{name}'\n"
                    "error: domain is not running\n"), False
        domains.destroy(name)
        return f"Domain '{name}' destroyed\n\n", False
    if domains.running(name):
        return (f"error: Failed to start domain '{name}'\n"
                "error: domain is already active\n"), False
    domains.start(name)
    return f"Domain '{name}' started\n\n", False


def converse(channel: paramiko.Channel, domains: Domains) -> None:
    """A line-at-a-time shell: the prompt, then each command's answer and the prompt again.

    A line ends at CR, LF or CRLF (the agent sends LF, its logout CRLF): one prompt per
    command, or the agent would read the next command's answer before it arrives."""
    channel.sendall(PROMPT.encode())
    pending, last = b"", b""
    while data := channel.recv(4096):
        for byte in (data[i:i + 1] for i in range(len(data))):
            if byte == b"\n" and last == b"\r":
                last = byte
                continue
            last = byte
            if byte not in (b"\r", b"\n"):
                pending += byte
                continue
            output, done = answer(domains, pending.decode(errors="replace"))
            pending = b""
            channel.sendall(output.replace("\n", "\r\n").encode())
            if done:
                channel.send_exit_status(0)
                return
            channel.sendall(PROMPT.encode())


class _Authority(paramiko.ServerInterface):
    """Public-key login for one user with one key; a session with a pty and a shell or a
    command (fence_virsh asks for `bash -c ...`; whatever it asks, it gets the virsh shell)."""

    def __init__(self, user: str, key_line: str) -> None:
        self.user, self.key_fields = user, key_line.split()[:2]
        self.ready = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == self.user and [key.get_name(), key.get_base64()] == self.key_fields:
            return common.AUTH_SUCCESSFUL
        return common.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return common.OPEN_SUCCEEDED
        return common.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.ready.set()
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.ready.set()
        return True


def _session(client: socket.socket, host_key: paramiko.PKey, user: str, key_line: str,
             domains: Domains) -> None:
    transport = paramiko.Transport(client)
    try:
        transport.add_server_key(host_key)
        authority = _Authority(user, key_line)
        transport.start_server(server=authority)
        channel = transport.accept(30)
        if channel is None or not authority.ready.wait(30):
            return
        converse(channel, domains)
        channel.close()
    except (paramiko.SSHException, OSError, EOFError) as error:
        step(f"virsh host: session ended: {error}")
    finally:
        transport.close()


def serve(listener: socket.socket, host_key: paramiko.PKey, user: str, key_line: str,
          domains: Domains) -> None:
    """Serve logins on ``listener`` forever, one thread per connection."""
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_session, args=(client, host_key, user, key_line, domains),
                         daemon=True).start()


@dataclass
class LabDomains:
    """The lab's VMs under their libvirt names (the spec's vm_name, as the CIB's
    pcmk_host_map names them); each destroy and start is recorded."""

    layout: Layout
    now: Callable[[], float] = time.time

    def _node(self, name: str) -> Node:
        return next(n for n in self.layout.spec.nodes if self.layout.spec.vm_name(n) == name)

    def names(self) -> list[str]:
        return [self.layout.spec.vm_name(n) for n in self.layout.spec.nodes]

    def running(self, name: str) -> bool:
        return vm.running_pid(self.layout, self._node(name)) is not None

    def destroy(self, name: str) -> None:
        pid = vm.running_pid(self.layout, self._node(name))
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            # `virsh destroy` returns once the VM is off.
            vm.wait_gone(pid, timeout_s=5.0)
        self._record("destroy", name)

    def start(self, name: str) -> None:
        vm.start(self.layout, self._node(name), fresh=False)
        self._record("start", name)

    def _record(self, action: str, name: str) -> None:
        entry = {"at": self.now(), "action": action, "node": self._node(name).name}
        step(f"virsh host: {action} {name}")
        with open(fence_record(self.layout), "a") as record:
            record.write(json.dumps(entry) + "\n")


def fence_record(layout: Layout) -> Path:
    return layout.state_dir / "fenced.jsonl"


def fenced(layout: Layout, since: float) -> list[tuple[str, str]]:
    """(action, node) for every destroy and start the virsh host did after ``since``."""
    try:
        lines = fence_record(layout).read_text().splitlines()
    except FileNotFoundError:
        return []
    entries = [json.loads(line) for line in lines]
    return [(e["action"], e["node"]) for e in entries if e["at"] >= since]


def _pidfile(layout: Layout) -> Path:
    return layout.state_dir / "virsh-host.pid"


def _host_key(layout: Layout) -> Path:
    return layout.state_dir / "virsh-host-key"


def _log(layout: Layout) -> Path:
    return layout.state_dir / "virsh-host.log"


def running(layout: Layout) -> int | None:
    try:
        pid = int(_pidfile(layout).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if vm.alive(pid) else None


def up(layout: Layout) -> None:
    """Start the virsh host in the lab's namespace (a no-op if it runs), once it listens."""
    if not isinstance(layout.spec.fencing, FenceVirsh):
        return
    if running(layout):
        step("virsh host: already running")
        return
    if not layout.network_state.exists():
        raise SystemExit("lab: the network is not up; the virsh host listens on its gateway")
    ensure_fence_key(layout.spec)
    if not _host_key(layout).exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab-virsh-host",
                        "-f", str(_host_key(layout))], check=True)
    # The pidfile's path on the command line: the lab's sweep finds the process by it.
    with open(_log(layout), "a") as log:
        subprocess.Popen(network.in_namespace(layout, sys.executable, "-m", "lab",
                                              layout.spec.name, "virsh-host-serve",
                                              str(_pidfile(layout))),
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True, cwd=paths.REPO)
    deadline = time.monotonic() + LISTEN_TIMEOUT_S
    while time.monotonic() < deadline:
        if running(layout):
            step(f"virsh host: listening on {layout.spec.network.gateway}:{PORT} "
                 f"(log {_log(layout)})")
            return
        time.sleep(0.2)
    raise SystemExit(f"lab: the virsh host did not start; see {_log(layout)}")


def down(layout: Layout) -> None:
    """Stop the virsh host and remove its files (its key, log and record go with the lab)."""
    pid = running(layout)
    if pid:
        os.kill(pid, signal.SIGTERM)
        step(f"virsh host: stopped (pid {pid})")
    for path in (_pidfile(layout), _host_key(layout), _host_key(layout).with_suffix(".pub"),
                 _log(layout), fence_record(layout)):
        path.unlink(missing_ok=True)


def run(layout: Layout, pidfile: Path) -> None:
    """The server itself, in the foreground (`up` runs it inside the namespace)."""
    fencing = layout.spec.fencing
    assert isinstance(fencing, FenceVirsh)
    key_line = paths.fence_key(layout.spec).with_suffix(".pub").read_text()
    host_key = paramiko.Ed25519Key.from_private_key_file(str(_host_key(layout)))
    listener = socket.create_server((str(layout.spec.network.gateway), PORT))
    pidfile.write_text(f"{os.getpid()}\n")
    domains = LabDomains(layout)
    step(f"virsh host: serving {', '.join(domains.names())} to {fencing.user}")
    serve(listener, host_key, fencing.user, key_line, domains)
