"""The lab stack, synthesized offline: under FenceVirsh a resource starts the virsh host once
the network is up and stops it at destroy; under watchdog fencing there is none."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from cdktf import Testing as CdktfTesting

from lab import cli
from lvsha import environments
from lvsha.spec import ClusterSpec, FenceVirsh, WatchdogSbd
from stacks.lab import LabStack

LAB = environments.load("lab")


def data_resources(spec: ClusterSpec) -> dict[str, Any]:
    stack = LabStack(CdktfTesting.app(), spec.name, spec=spec)
    synthesized: dict[str, Any] = json.loads(CdktfTesting.synth(stack))
    return synthesized["resource"]["terraform_data"]  # type: ignore[no-any-return]


def test_the_lab_fences_through_its_virsh_host() -> None:
    assert isinstance(LAB.fencing, FenceVirsh)
    host = data_resources(LAB)["virsh-host"]
    assert host["depends_on"] == ["terraform_data.network"]
    create, destroy = host["provisioner"]
    assert create["local-exec"]["command"].endswith(f" lab lab {cli.VIRSH_HOST_UP}")
    assert destroy["local-exec"]["when"] == "destroy"
    assert destroy["local-exec"]["command"].endswith(f" lab lab {cli.VIRSH_HOST_DOWN}")


def test_watchdog_fencing_needs_no_virsh_host() -> None:
    spec = dataclasses.replace(LAB, fencing=WatchdogSbd(watchdog_timeout_s=10))
    resources = data_resources(spec)
    assert "virsh-host" not in resources
    assert {f"node-{node.name}" for node in spec.nodes} <= set(resources)
