"""The fence agents' meta-data lvsha checks specs against is the nodes' own."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from lvsha import fence, paths


def _generator() -> object:
    spec = importlib.util.spec_from_file_location(
        "fence_agents_metadata", paths.REPO / "scripts" / "fence_agents_metadata.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_stored_meta_data_is_what_the_installed_agents_say() -> None:
    """scripts/fence_agents_metadata.py rewrites the file after a fence-agents upgrade."""
    if shutil.which("fence_virsh") is None:
        pytest.skip("fence-agents is not installed (make setup installs it)")
    generator = _generator()
    collected = generator.collect()  # type: ignore[attr-defined]
    assert json.loads(generator.dump(collected)) == collected  # type: ignore[attr-defined]
    assert json.loads(Path(fence.DATA).read_text()) == collected


def test_an_agent_is_judged_by_its_own_required_parameters() -> None:
    assert fence.problems("fence_virsh", ["ip", "username", "identity_file"]) == []
    # Older spellings the meta-data marks as replaced still satisfy the requirement.
    assert fence.problems("fence_virsh", ["ipaddr", "login", "identity_file"]) == []
    assert [p for p, _ in fence.problems("fence_apc", ["ip"])] == ["username"]
    assert [p for p, _ in fence.problems("fence_redfish", [])] == ["username"]
    # Pacemaker's own pcmk_* parameters are valid for every agent.
    assert fence.problems("fence_ipmilan", ["ip", "pcmk_host_list", "pcmk_delay_max"]) == []
