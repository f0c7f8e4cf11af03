"""What `make lab` leaves for `make test`: the lab's first deploy (pyinfra's report and every
process list seen meanwhile, for the secret checks) and a stamp that the proof passed, so the
tests can take over the lab `make lab` has just proven instead of building another one (~10 min
under emulation). Both name the VMs they were made on by machine id (a fresh disk gets a new one
at first boot), so nothing recorded on one lab is ever read as another's."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import cluster, vm
from lab.layout import Layout


class ProcessListRecorder(threading.Thread):
    """Every command line on the host and on each node, sampled while a deploy runs."""

    def __init__(self, layout: Layout) -> None:
        super().__init__(daemon=True)
        self.samples: list[str] = []
        self.stop = threading.Event()
        # One long-lived ssh per node: sampling there costs no new connection per sample.
        script = "while :; do ps -eo args; echo ---; sleep 1; done"
        self.nodes = [subprocess.Popen(vm.ssh_command(layout, node, script),
                                       stdout=subprocess.PIPE, text=True)
                      for node in layout.spec.nodes]

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.samples.append(subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                               text=True).stdout)

    def finish(self) -> str:
        self.stop.set()
        self.join()
        for process in self.nodes:
            process.terminate()
        node_output = [process.communicate(timeout=30)[0] for process in self.nodes]
        return "\n".join(self.samples + node_output)


@dataclass(frozen=True)
class FirstDeploy:
    report: dict[str, Any]
    process_lists: str


def machine_ids(layout: Layout) -> dict[str, str]:
    def read(layout: Layout, node: str) -> str:
        return subprocess.run(vm.ssh_command(layout, layout.spec.node(node), "cat",
                                             "/etc/machine-id"),
                              capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    return cluster.each_node(layout, read)


def _first_deploy_file(layout: Layout) -> Path:
    return layout.state_dir / "first-deploy.json"


def _proven_file(layout: Layout) -> Path:
    return layout.state_dir / "proven.json"


def _write_private(path: Path, data: object) -> None:
    """0600 from the start: a leaked secret would be in what is recorded."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(data, file)


def _recorded(layout: Layout, ids: dict[str, str]) -> FirstDeploy | None:
    path = _first_deploy_file(layout)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data["machine_ids"] != ids:
        return None
    return FirstDeploy(data["report"], data["process_lists"])


def first_deploy(layout: Layout) -> FirstDeploy | None:
    """The first deploy on these VMs, if this lab recorded one."""
    return _recorded(layout, machine_ids(layout))


def deploy(layout: Layout) -> dict[str, Any]:
    """The deploy; the first on these VMs is recorded. A deploy voids the proof stamp."""
    _proven_file(layout).unlink(missing_ok=True)
    # Read once: a deploy does not reboot the nodes, so their ids are the same after it.
    ids = machine_ids(layout)
    if _recorded(layout, ids) is not None:
        return cluster.deploy(layout)
    recorder = ProcessListRecorder(layout)
    recorder.start()
    try:
        report = cluster.deploy(layout)
    finally:
        process_lists = recorder.finish()
    _write_private(_first_deploy_file(layout), {"machine_ids": ids,
                                                "report": report,
                                                "process_lists": process_lists})
    return report


def mark_proven(layout: Layout) -> None:
    _write_private(_proven_file(layout), machine_ids(layout))


def take_proven(layout: Layout) -> bool:
    """Whether the proof passed on these VMs since their last deploy; the stamp is used up, so
    a lab is taken over once."""
    path = _proven_file(layout)
    if not path.exists():
        return False
    proven = json.loads(path.read_text())
    path.unlink()
    return bool(proven == machine_ids(layout))


def forget(layout: Layout) -> None:
    """What `lab down` removes with the VMs."""
    for path in (_first_deploy_file(layout), _proven_file(layout)):
        path.unlink(missing_ok=True)
