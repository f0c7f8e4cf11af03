"""The lab's network: a namespace holding a bridge with the spec's gateway address, one tap per
node (each made and removed with its node's VM, so nodes come and go on a running lab), and no
other interface, so nothing in it can route to the outside."""

from __future__ import annotations

import subprocess

from lab.layout import Layout, NodeRef
from lab.progress import step


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def namespace_exists(layout: Layout) -> bool:
    return layout.namespace in ip("netns", "list").stdout.split()


def in_namespace(layout: Layout, *command: str) -> list[str]:
    return ["ip", "netns", "exec", layout.namespace, *command]


def up(layout: Layout) -> None:
    """Create the namespace, bridge and taps; a no-op when the lab's own network is there."""
    if namespace_exists(layout):
        if layout.network_state.exists():
            step(f"network {layout.namespace} already up")
            return
        # Not ours: report and stop, never reuse or delete it.
        raise SystemExit(
            f"lab: a namespace {layout.namespace} exists that this lab did not create (no "
            f"{layout.network_state}); if it is a leftover, remove it with `ip netns del "
            f"{layout.namespace}`, then run again")
    layout.network_state.unlink(missing_ok=True)
    net = layout.spec.network
    ns = ["-n", layout.namespace]
    ip("netns", "add", layout.namespace)
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    layout.network_state.write_text(f"{layout.namespace}\n")
    ip(*ns, "link", "set", "lo", "up")
    ip(*ns, "link", "add", layout.bridge, "type", "bridge")
    ip(*ns, "addr", "add", f"{net.gateway}/{net.cidr.prefixlen}", "dev", layout.bridge)
    ip(*ns, "link", "set", layout.bridge, "up")
    step(f"network {layout.namespace}: {layout.bridge} {net.gateway}/{net.cidr.prefixlen}")


def _has_link(layout: Layout, name: str) -> bool:
    return ip("-n", layout.namespace, "link", "show", "dev", name, check=False).returncode == 0


def add_tap(layout: Layout, node: NodeRef) -> None:
    """The node's tap on the bridge (kept if it is there: a power cycle reuses it)."""
    tap = layout.tap(node)
    if not _has_link(layout, tap):
        ip("-n", layout.namespace, "tuntap", "add", "dev", tap, "mode", "tap")
    ip("-n", layout.namespace, "link", "set", tap, "master", layout.bridge, "up")


def remove_tap(layout: Layout, node: NodeRef) -> None:
    if namespace_exists(layout) and _has_link(layout, layout.tap(node)):
        ip("-n", layout.namespace, "link", "del", layout.tap(node))


def down(layout: Layout) -> None:
    """Delete the lab's namespace (and with it bridge and taps); never one it did not create."""
    if namespace_exists(layout):
        if not layout.network_state.exists():
            raise SystemExit(f"lab: namespace {layout.namespace} was not created by this lab; "
                             "leaving it alone")
        ip("netns", "del", layout.namespace)
        step(f"network {layout.namespace} removed")
    layout.network_state.unlink(missing_ok=True)
