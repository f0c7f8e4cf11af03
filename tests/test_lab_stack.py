"""The lab stack, synthesized offline: under FenceVirsh a resource starts the virsh host once
the network is up and stops it at destroy; under watchdog fencing (the lab's) there is none."""

from __future__ import annotations

import dataclasses
import json
from pathlib import PurePosixPath
from typing import Any

from cdktf import Testing as CdktfTesting

from lab import cli
from lvsha import environments
from lvsha.spec import ClusterSpec, FenceVirsh, WatchdogSbd
from stacks.lab import LabStack

LAB = environments.load("lab")
POWER_FENCED = dataclasses.replace(LAB, fencing=FenceVirsh(
    user="root", identity_file=PurePosixPath("secrets/lab/fence_virsh"), power_on=False))


def data_resources(spec: ClusterSpec) -> dict[str, Any]:
    stack = LabStack(CdktfTesting.app(), spec.name, spec=spec)
    synthesized: dict[str, Any] = json.loads(CdktfTesting.synth(stack))
    return synthesized["resource"]["terraform_data"]  # type: ignore[no-any-return]


def test_a_power_fenced_lab_fences_through_its_virsh_host() -> None:
    host = data_resources(POWER_FENCED)["virsh-host"]
    assert host["depends_on"] == ["terraform_data.network"]
    create, destroy = host["provisioner"]
    assert create["local-exec"]["command"].endswith(f" lab lab {cli.VIRSH_HOST_UP}")
    assert destroy["local-exec"]["when"] == "destroy"
    assert destroy["local-exec"]["command"].endswith(f" lab lab {cli.VIRSH_HOST_DOWN}")


def test_watchdog_fencing_needs_no_virsh_host() -> None:
    assert isinstance(LAB.fencing, WatchdogSbd)
    resources = data_resources(LAB)
    assert "virsh-host" not in resources
    assert {f"node-{node.name}" for node in LAB.nodes} <= set(resources)
