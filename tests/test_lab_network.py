"""The lab's network namespace, without VMs: created, isolated, idempotent, and careful."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab.layout
from lab import cli, network, vm
from lab.layout import Layout
from lvsha import environments


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Layout]:
    """A lab named netcheck (its own namespace name) with its state under tmp_path."""
    monkeypatch.setattr(lab.layout, "STATE_ROOT", tmp_path)
    test_layout = Layout(dataclasses.replace(environments.load("lab"), name="netcheck"))
    subprocess.run(["ip", "netns", "del", test_layout.namespace], capture_output=True)
    yield test_layout
    subprocess.run(["ip", "netns", "del", test_layout.namespace], capture_output=True)


def in_ns(layout: Layout, *command: str) -> str:
    return subprocess.run(network.in_namespace(layout, *command), capture_output=True,
                          text=True, check=True).stdout


def test_network_up_is_isolated_and_idempotent(layout: Layout) -> None:
    network.up(layout)
    network.up(layout)  # second run: no change, no error
    spec = layout.spec
    addresses = in_ns(layout, "ip", "-o", "-4", "addr", "show", "dev", layout.bridge)
    assert f"{spec.network.gateway}/{spec.network.cidr.prefixlen}" in addresses
    routes = in_ns(layout, "ip", "-4", "route", "show").strip().splitlines()
    assert routes == [f"{spec.network.cidr} dev {layout.bridge} proto kernel scope link src "
                      f"{spec.network.gateway}"]
    # No default route: nothing in the lab can reach an address outside it.
    probe = subprocess.run(network.in_namespace(layout, "ip", "route", "get", "192.0.2.1"),
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "unreachable" in probe.stderr
    network.down(layout)
    network.down(layout)
    assert not network.namespace_exists(layout)


def test_a_node_s_tap_comes_and_goes_with_it_even_once_the_spec_dropped_it(
        layout: Layout) -> None:
    """Nodes are added and removed on a running lab: each VM brings its tap onto the bridge and
    takes it away, by name for a node the spec no longer has (its Terraform destroy)."""
    network.up(layout)
    first, departed = layout.spec.nodes[0], "lab9"
    for node in (first, departed):
        network.add_tap(layout, node)
        network.add_tap(layout, node)  # a power cycle reuses the tap
    links = in_ns(layout, "ip", "-o", "link", "show", "master", layout.bridge)
    assert {line.split(":")[1].strip() for line in links.splitlines()} == {
        layout.tap(first), layout.tap(departed)}
    vm.down(layout, departed)
    links = in_ns(layout, "ip", "-o", "link", "show", "master", layout.bridge)
    assert [line.split(":")[1].strip() for line in links.splitlines()] == [layout.tap(first)]
    network.down(layout)


def test_a_namespace_it_did_not_create_is_left_alone(layout: Layout) -> None:
    subprocess.run(["ip", "netns", "add", layout.namespace], check=True)
    with pytest.raises(SystemExit, match=f"ip netns del {layout.namespace}"):
        network.up(layout)
    with pytest.raises(SystemExit, match="leaving it alone"):
        network.down(layout)
    assert network.namespace_exists(layout)
    assert any("did not create it" in p for p in cli.status(layout))


def test_stale_state_is_reported_with_its_fix(layout: Layout) -> None:
    layout.state_dir.mkdir(parents=True)
    layout.network_state.write_text("left over\n")
    (problem,) = cli.status(layout)
    assert "stale state" in problem and "make lab-down" in problem
    network.up(layout)  # a stale marker without its namespace does not block a new lab
    assert network.namespace_exists(layout)


def test_down_sweeps_what_another_version_left(layout: Layout) -> None:
    """A helper process and files an older or newer lab left (CI29: a fencing trial's
    virsh-host key and log) are gone after `down`; console logs stay for post-mortems."""
    node_dir = layout.node_dir(layout.spec.nodes[0])
    stray_dir = layout.state_dir / "virsh-host"
    for directory in (node_dir, stray_dir):
        directory.mkdir(parents=True)
    (node_dir / "console.log").write_text("boot\n")
    (stray_dir / "host_key").write_text("key\n")
    (layout.state_dir / "proven.json").write_text("{}\n")
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)",
                               str(stray_dir / "host_key")])
    try:
        # Its command line is empty for a moment after the exec.
        deadline = time.monotonic() + 10
        while helper.pid not in vm.lab_processes(layout) and time.monotonic() < deadline:
            time.sleep(0.05)
        cli.sweep(layout)
        assert helper.wait(timeout=10) == -9
    finally:
        helper.kill()
    assert sorted(p.relative_to(layout.state_dir).as_posix()
                  for p in layout.state_dir.rglob("*")) == [node_dir.name,
                                                            f"{node_dir.name}/console.log"]
