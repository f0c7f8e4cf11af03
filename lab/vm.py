"""One lab node: a qemu TCG VM booted from the cached image through a cloud-init NoCloud seed.

The seed comes from lvsha.cloudinit, the renderer the production stack uses, so the lab
exercises production's first boot.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from lab import image, network
from lab.layout import Layout, NodeRef, node_name
from lab.progress import step
from lvsha.cloudinit import seed
from lvsha.spec import Node
from ops.keys import ensure_key, read_public_key

SSH_READY_TIMEOUT_S = 420
# Measured: without tb-size qemu's RSS is 1.4 GiB per VM instead of ~610 MiB.
ACCEL = "tcg,thread=multi,tb-size=256"


# A connection per node, shared by every ssh to it: a new one costs a key exchange and a
# login in the emulated guest (measured below), and the lab tests run thousands. Keepalives
# end the shared connection within ~6 s of its node dying, as a new connection would time out.
SSH_SHARED = ("-o", "ControlMaster=auto", "-o", "ControlPersist=120",
              "-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3")


def ssh_command(layout: Layout, node: Node, *command: str, timeout_s: int = 10) -> list[str]:
    """ssh to ``node`` from inside the lab namespace, as the spec's user with the lab's key."""
    return network.in_namespace(layout, "ssh", "-i", str(layout.ssh_key),
                                "-o", "BatchMode=yes", "-o", f"ConnectTimeout={timeout_s}",
                                "-o", "StrictHostKeyChecking=accept-new",
                                "-o", f"UserKnownHostsFile={layout.known_hosts}",
                                "-o", "LogLevel=ERROR",
                                "-o", f"ControlPath={layout.ssh_socket(node)}", *SSH_SHARED,
                                f"{layout.spec.ssh.user}@{node.address}", *command)


def close_ssh(layout: Layout, node: NodeRef) -> None:
    """End the node's shared SSH connection (before its VM goes away)."""
    socket = layout.ssh_socket(node)
    if socket.exists():
        subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "lab"],
                       capture_output=True, timeout=10)
        socket.unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """True for a live process; a zombie (left unreaped where PID 1 is no init) is dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_gone(pid: int, timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for the process to end; whether it did."""
    deadline = time.monotonic() + timeout_s
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def lab_processes(layout: Layout) -> list[int]:
    """Every live process whose command line names this lab's state directory."""
    state, pids = str(layout.state_dir).encode(), []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and state in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return [pid for pid in pids if alive(pid)]


def running_pid(layout: Layout, node: NodeRef) -> int | None:
    """The pid of this node's qemu if it runs, checked against its command line."""
    try:
        pid = int(layout.pidfile(node).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) and str(layout.overlay(node)).encode() in cmdline else None


def forget_host_key(layout: Layout, node: Node) -> None:
    """A recreated VM has new host keys: forget the old ones rather than trust them blindly.

    Under a lock: node-ups run in parallel, and `ssh-keygen -R` rewrites the whole file, so
    one node's rewrite could otherwise put back another node's stale key.
    """
    if not layout.known_hosts.exists():
        return
    with open(f"{layout.known_hosts}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["ssh-keygen", "-q", "-R", str(node.address), "-f",
                        str(layout.known_hosts)], check=False, capture_output=True)


def _write_seed(layout: Layout, node: Node, path: Path) -> None:
    documents = seed(layout.spec, node, read_public_key(layout.spec))
    with tempfile.TemporaryDirectory() as work:
        for name, text in (("user-data", documents.user_data),
                           ("meta-data", documents.meta_data),
                           ("network-config", documents.network_config)):
            (Path(work) / name).write_text(text)
        subprocess.run(["genisoimage", "-quiet", "-output", str(path), "-volid", "cidata",
                        "-joliet", "-rock", "user-data", "meta-data", "network-config"],
                       cwd=work, check=True)


def start(layout: Layout, node: Node, fresh: bool = True) -> None:
    """Start the node's VM from a fresh overlay (or, not ``fresh``, from the disk it had);
    a no-op if it already runs."""
    if running_pid(layout, node):
        step(f"{node.name}: already running")
        return
    if not layout.network_state.exists():
        raise SystemExit(f"lab: the network is not up; run `python -m lab {layout.spec.name} "
                         "network-up` (or `cdktf deploy lab`) first")
    base = image.cached()
    if not base.root.exists():
        raise SystemExit(f"lab: no image; run `python -m lab {layout.spec.name} image` first")
    ensure_key(layout.spec)
    directory = layout.node_dir(node)
    directory.mkdir(parents=True, exist_ok=True)
    overlay, seed_iso = layout.overlay(node), directory / "seed.iso"
    if fresh or not overlay.exists():
        overlay.unlink(missing_ok=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                        str(base.root), str(overlay)], check=True)
    _write_seed(layout, node, seed_iso)
    forget_host_key(layout, node)
    network.add_tap(layout, node)
    vm = layout.spec.vm
    subprocess.run(network.in_namespace(
        layout, "qemu-system-x86_64",
        "-name", f"{layout.namespace}-{node.name}",
        "-machine", "q35", "-accel", ACCEL, "-cpu", "max",
        "-m", str(vm.memory_mib), "-smp", str(vm.vcpus),
        "-kernel", str(base.kernel), "-initrd", str(base.initrd),
        # q35 also emulates the ICH9's TCO watchdog; whichever driver registers first becomes
        # /dev/watchdog, so only the i6300esb's loads: sbd's watchdog is the same every boot.
        "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet "
                   "modprobe.blacklist=iTCO_wdt",
        "-drive", f"file={overlay},if=virtio,format=qcow2,discard=unmap",
        "-drive", f"file={seed_iso},if=virtio,format=raw,readonly=on",
        "-netdev", f"tap,id=net0,ifname={layout.tap(node)},script=no,downscript=no",
        "-device", f"virtio-net-pci,netdev=net0,mac={node.mac}",
        "-device", "virtio-rng-pci",
        # sbd's watchdog (WatchdogSbd): emulated hardware, so it fires even when the guest is
        # frozen, and resets the VM as a hardware watchdog resets a host.
        "-device", "i6300esb", "-action", "watchdog=reset",
        "-display", "none", "-monitor", "none",
        "-serial", f"file:{layout.console_log(node)}",
        "-daemonize", "-pidfile", str(layout.pidfile(node)),
    ), check=True)
    step(f"{node.name}: booting (pid {running_pid(layout, node)}, console "
         f"{layout.console_log(node)})")


def wait_ready(layout: Layout, node: Node, first_boot: bool = True) -> None:
    """Block until the node answers SSH and (at its first boot, which creates the deploy's
    user and key) cloud-init has finished, or fail with its console."""
    deadline = time.monotonic() + SSH_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if running_pid(layout, node) is None:
            raise SystemExit(f"lab: {node.name}'s qemu died; see {layout.console_log(node)}")
        probe = subprocess.run(ssh_command(layout, node, "true", timeout_s=5),
                               capture_output=True)
        if probe.returncode == 0:
            break
        time.sleep(3)
    else:
        raise SystemExit(f"lab: {node.name} did not answer SSH within {SSH_READY_TIMEOUT_S} s; "
                         f"see {layout.console_log(node)}")
    step(f"{node.name}: SSH ready")
    if not first_boot:
        return
    done = subprocess.run(ssh_command(layout, node, "cloud-init", "status", "--wait"),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"lab: cloud-init failed on {node.name}: {done.stdout.strip()}")
    # Its work done (user, key, hostname, network config: all kept on the disk), cloud-init is
    # switched off for later boots: at a fault's reboot its per-boot stages took the emulated
    # CPU the rejoining node and the survivors need.
    subprocess.run(ssh_command(layout, node, "sudo", "touch", "/etc/cloud/cloud-init.disabled"),
                   capture_output=True, check=True, timeout=60)
    step(f"{node.name}: cloud-init done, and off for later boots")


def _stop(layout: Layout, node: NodeRef) -> None:
    """Stop the node's qemu (kill: a clean poweroff takes > 20 s under TCG)."""
    close_ssh(layout, node)
    pid = running_pid(layout, node)
    if pid:
        os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, timeout_s=5.0):
            os.kill(pid, signal.SIGKILL)
        step(f"{node_name(node)}: stopped (pid {pid})")


def down(layout: Layout, node: NodeRef) -> None:
    """Stop the node's qemu and drop its disk and tap (by name: a node removed from the spec
    goes this way when `cdktf deploy` destroys its resource)."""
    _stop(layout, node)
    directory = layout.node_dir(node)
    for path in (layout.overlay(node), directory / "seed.iso", layout.pidfile(node)):
        path.unlink(missing_ok=True)
    network.remove_tap(layout, node)


def power_cycle(layout: Layout, node: Node) -> None:
    """Power the node off and on again with the disk it had, like a host that crashed and
    rebooted: whatever the deploy enabled starts again by itself."""
    _stop(layout, node)
    layout.pidfile(node).unlink(missing_ok=True)
    start(layout, node, fresh=False)
    wait_ready(layout, node, first_boot=False)
