"""Where a lab's pieces live and what they are called; every name derives from the spec."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lvsha import paths
from lvsha.paths import REPO
from lvsha.spec import ClusterSpec, Node

# A node by its spec entry, or by name alone: a node removed from the spec still has its VM,
# tap and files until `cdktf deploy` (its destroy provisioner) takes them away.
NodeRef = Node | str


def node_name(node: NodeRef) -> str:
    return node if isinstance(node, str) else node.name


STATE_ROOT = Path(os.environ.get("LVSHA_LAB_STATE", "/var/lib/lvsha/lab"))


@dataclass(frozen=True)
class Layout:
    spec: ClusterSpec

    @property
    def namespace(self) -> str:
        return f"lvsha-{self.spec.name}"

    bridge = "br0"

    def tap(self, node: NodeRef) -> str:
        return f"tap-{node_name(node)}"[:15]

    @property
    def state_dir(self) -> Path:
        return STATE_ROOT / self.spec.name

    @property
    def network_state(self) -> Path:
        """Written once the lab has created its namespace: proof that the namespace is ours."""
        return self.state_dir / "network.created"

    @property
    def terraform_state(self) -> Path:
        """Where `cdktf deploy lab` keeps its state (the local backend's default)."""
        return REPO / f"terraform.{self.spec.name}.tfstate"

    @staticmethod
    def node_resource(node: Node) -> str:
        """The lab stack's Terraform resource for a node's VM."""
        return f"node-{node.name}"

    def node_dir(self, node: NodeRef) -> Path:
        return self.state_dir / node_name(node)

    def pidfile(self, node: NodeRef) -> Path:
        return self.node_dir(node) / "qemu.pid"

    def overlay(self, node: NodeRef) -> Path:
        return self.node_dir(node) / "root.qcow2"

    def ssh_socket(self, node: NodeRef) -> Path:
        """The node's shared SSH connection (OpenSSH's ControlPath)."""
        return self.node_dir(node) / "ssh.sock"

    def console_log(self, node: NodeRef) -> Path:
        return self.node_dir(node) / "console.log"

    @property
    def ssh_key(self) -> Path:
        return paths.private_key(self.spec)

    @property
    def known_hosts(self) -> Path:
        return paths.known_hosts(self.spec)
