"""`python -m lab ENV COMMAND`: build, start, inspect and remove the local lab.

The lab stack (`cdktf deploy lab`) calls image, network-up and node-up; destroy calls
node-down and network-down. `deploy` runs pyinfra's deploy.py on the lab from inside its
namespace; `proof` shows the cluster working. `up`, `down` and `status` are for people.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from lab import cluster, image, network, record, virsh_host, vm
from lab.layout import Layout
from lab.progress import step
from lvsha import environments
from lvsha.spec import FenceVirsh, Platform

# The verbs the lab stack's Terraform provisioners call (stacks/lab.py).
IMAGE, NETWORK_UP, NETWORK_DOWN, NODE_UP, NODE_DOWN = (
    "image", "network-up", "network-down", "node-up", "node-down")
VIRSH_HOST_UP, VIRSH_HOST_DOWN, VIRSH_HOST_SERVE = (
    "virsh-host-up", "virsh-host-down", "virsh-host-serve")


def command_line(env: str, verb: str, *args: str) -> list[str]:
    """`python -m lab ENV VERB ARGS...` with this interpreter."""
    return [sys.executable, "-m", "lab", env, verb, *args]


def recorded_nodes(layout: Layout) -> list[str]:
    """Nodes whose VM the lab stack's Terraform state says it created."""
    if not layout.terraform_state.exists():
        return []
    state = json.loads(layout.terraform_state.read_text())
    resources = {r["name"] for r in state.get("resources", []) if r.get("instances")}
    return [n.name for n in layout.spec.nodes if layout.node_resource(n) in resources]


def sweep(layout: Layout) -> None:
    """Remove what a lab of another lvsha version may have left that this version does not
    know of (a helper process naming the state directory, a file in it): once `down` is done,
    only the nodes' console logs remain, so no old run can trouble the next."""
    for pid in vm.lab_processes(layout):
        if pid != os.getpid():
            step(f"stopping leftover lab process {pid}")
            os.kill(pid, signal.SIGKILL)
    if layout.state_dir.is_dir():
        for path in sorted(layout.state_dir.rglob("*"), reverse=True):  # contents first
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path.name != "console.log":
                step(f"removing leftover {path}")
                path.unlink()


def status(layout: Layout) -> list[str]:
    """Problems with the lab as it stands, each with the command that fixes it."""
    fix = "make lab-down"
    problems = []
    recorded = recorded_nodes(layout)
    # A cut-off run or a host reboot leaves this state while the lab is gone; `cdktf deploy`
    # would then see nothing to do and leave the lab down.
    problems += [f"{name}: Terraform's state ({layout.terraform_state.name}) says it runs, "
                 f"but it does not; fix: {fix}"
                 for name in recorded
                 if vm.running_pid(layout, layout.spec.node(name)) is None
                 and not layout.overlay(layout.spec.node(name)).exists()]
    has_ns = network.namespace_exists(layout)
    if has_ns and not layout.network_state.exists():
        problems.append(f"namespace {layout.namespace} exists but this lab did not create it; "
                        f"inspect it, then `ip netns del {layout.namespace}`")
    if layout.network_state.exists() and not has_ns:
        problems.append(f"stale state: {layout.network_state} but no namespace (host rebooted?); "
                        f"fix: {fix}")
    if (has_ns and layout.network_state.exists() and isinstance(layout.spec.fencing, FenceVirsh)
            and virsh_host.running(layout) is None):
        problems.append("the virsh host fence_virsh logs in to is not running, so no node can "
                        f"be fenced; fix: python -m lab {layout.spec.name} {VIRSH_HOST_UP}")
    for node in layout.spec.nodes:
        has_disk = layout.overlay(node).exists()
        pid = vm.running_pid(layout, node)
        if has_disk and pid is None:
            problems.append(f"{node.name}: its qemu died (disk {layout.overlay(node)} is left, "
                            f"console {layout.console_log(node)}); fix: {fix}")
        if pid and not has_ns:
            problems.append(f"{node.name}: qemu {pid} runs without the lab network; fix: {fix}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    parser.add_argument("env", choices=[name for name in environments.NAMES
                                        if environments.load(name).platform is Platform.LAB])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in (IMAGE, "up", "down", NETWORK_UP, NETWORK_DOWN, VIRSH_HOST_UP, VIRSH_HOST_DOWN,
                 "deploy", "proof", "status"):
        commands.add_parser(name)
    commands.add_parser(VIRSH_HOST_SERVE).add_argument("pidfile", type=Path)
    for name in (NODE_UP, NODE_DOWN):
        commands.add_parser(name).add_argument("node")
    ssh = commands.add_parser("ssh", help="run a command on a node, from inside the lab")
    ssh.add_argument("node")
    ssh.add_argument("remote", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    layout = Layout(environments.load(args.env))
    spec = layout.spec

    if args.command == IMAGE:
        image.build()
    elif args.command == NETWORK_UP:
        network.up(layout)
    elif args.command == NETWORK_DOWN:
        network.down(layout)
    elif args.command == VIRSH_HOST_UP:
        virsh_host.up(layout)
    elif args.command == VIRSH_HOST_DOWN:
        virsh_host.down(layout)
    elif args.command == VIRSH_HOST_SERVE:
        virsh_host.run(layout, args.pidfile)
    elif args.command == NODE_UP:
        vm.start(layout, spec.node(args.node))
        vm.wait_ready(layout, spec.node(args.node))
    elif args.command == NODE_DOWN:
        vm.down(layout, args.node)
    elif args.command == "up":
        image.build()
        network.up(layout)
        virsh_host.up(layout)
        for node in spec.nodes:
            vm.start(layout, node)
        for node in spec.nodes:
            vm.wait_ready(layout, node)
    elif args.command == "down":
        for node in spec.nodes:
            vm.down(layout, node)
        virsh_host.down(layout)
        network.down(layout)
        record.forget(layout)
        sweep(layout)
    elif args.command == "deploy":
        report = record.deploy(layout)
        changed = cluster.changed_operations(report)
        step(f"deploy: {len(changed)} operation(s) changed something"
             + (": " + "; ".join(changed) if changed else ""))
    elif args.command == "proof":
        cluster.proof(layout)
        record.mark_proven(layout)
    elif args.command == "ssh":
        return subprocess.run(vm.ssh_command(layout, spec.node(args.node), *args.remote)
                              ).returncode
    elif args.command == "status":
        problems = status(layout)
        for problem in problems:
            print(f"lab {spec.name}: {problem}")
        if not problems:
            running = [n.name for n in spec.nodes if vm.running_pid(layout, n)]
            print(f"lab {spec.name}: ok; running: {', '.join(running) or 'nothing'}")
        return 1 if problems else 0
    step(f"{args.command} done")
    return 0
