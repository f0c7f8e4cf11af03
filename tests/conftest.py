"""Shared test setup: import paths, the lab fixture, and CI's rule that nothing skips."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import labtools  # noqa: E402
from lab import cluster  # noqa: E402

# Property tests (tests/test_properties.py): each example runs the tools (ldirectord ~1 s).
settings.register_profile("lvsha", max_examples=20, deadline=None,
                          derandomize=os.environ.get("CI") == "true",
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", parent=settings.get_profile("lvsha"), max_examples=300,
                          derandomize=False)
settings.load_profile("lvsha")


@pytest.fixture(scope="session")
def lab() -> Iterator[None]:
    """The lab `make lab` has just proven (CI runs `make lab` first), or else a fresh one, for
    the whole session; torn down at the end even when tests fail."""
    try:
        if not labtools.take_over_proven_lab():
            labtools.reset()
            labtools.cdktf("deploy", "lab")
        yield
    finally:
        # Terraform does not run destroy provisioners of a resource whose creation failed;
        # reset() also removes whatever the lab itself knows of.
        labtools.reset()
        assert labtools.leftovers() == []


@pytest.fixture(scope="session")
def cluster_deploys(lab: None) -> labtools.Deploys:
    """The cluster deployed on the session's lab, and what a re-run would change."""
    return labtools.deploy_and_diff()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fault tests (which break and then repair the cluster) run after the others, then the
    keepalived reference (it replaces the cluster), and tests that leave the lab broken
    (`destructive`) run last."""
    stages = ("fault", "rolling", "reference", "destructive")

    def stage(item: pytest.Item) -> int:
        return max((stages.index(m.name) + 1 for m in item.iter_markers() if m.name in stages),
                   default=0)
    items.sort(key=stage)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A lab test that fails shows the nodes' cluster logs of its last 10 minutes (CI keeps
    nothing else of the lab: CI25's kill-vm left only 'reboot of lab2: failed')."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and item.get_closest_marker("lab"):
        try:
            report.sections.append(("node journals", cluster.journals(labtools.LAYOUT)))
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            report.sections.append(("node journals", f"not read: {error}"))


MEASURED_OUTAGES: list[str] = []


@pytest.fixture
def report_outage() -> Callable[[str], None]:
    """Fault tests hand their measurement here; the summary prints them all, pass or fail."""
    return MEASURED_OUTAGES.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MEASURED_OUTAGES:
        terminalreporter.section("fault matrix, as measured in this run")
        for line in MEASURED_OUTAGES:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every tier must run: a skipped test there is a failure, not a pass."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = len(reporter.stats.get("skipped", []))
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every tier must run in CI",
                            red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
