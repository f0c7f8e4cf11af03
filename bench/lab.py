#!/usr/bin/env python3
"""Lab figures: image build cold and cached, `cdktf deploy lab` to all SSH-ready, destroy,
and the peak resident memory of the lab's qemu processes. Prints one line per figure.

Run from the repository root after `make setup`: `.venv/bin/python bench/lab.py`.
The cold build goes to a temporary cache, so the lab's own cache is left as it is.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import vm  # noqa: E402
from lab.layout import Layout  # noqa: E402
from lvsha import environments  # noqa: E402

PYTHON = str(REPO / ".venv" / "bin" / "python")
CDKTF = str(REPO / "bin" / "cdktf")
LAYOUT = Layout(environments.load("lab"))


def timed(*command: str, env: dict[str, str] | None = None) -> float:
    start = time.monotonic()
    subprocess.run(command, cwd=REPO, check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def lab_rss_kib() -> int:
    """Resident memory of the lab's processes (its qemus)."""
    total = 0
    for pid in vm.lab_processes(LAYOUT):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        total += int(next((line.split()[1] for line in status.splitlines()
                           if line.startswith("VmRSS:")), "0"))
    return total


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.running = 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, lab_rss_kib())
            time.sleep(0.5)


def main() -> None:
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') >> 30} GiB, "
          f"kernel {platform.release()}, qemu TCG")
    with tempfile.TemporaryDirectory(dir="/var/tmp") as cold_cache:
        env = {**os.environ, "LVSHA_IMAGE_CACHE": cold_cache}
        print(f"image build, cold:   {timed(PYTHON, '-m', 'lab', 'lab', 'image', env=env):6.1f} s")
    timed(PYTHON, "-m", "lab", "lab", "image")  # make sure the real cache is warm
    print(f"image build, cached: {timed(PYTHON, '-m', 'lab', 'lab', 'image'):6.1f} s")
    timed(CDKTF, "destroy", "lab", "--auto-approve")
    sampler = PeakSampler()
    sampler.start()
    deploy = timed(CDKTF, "deploy", "lab", "--auto-approve")
    settled = lab_rss_kib()
    sampler.running = False
    sampler.join()
    print(f"cdktf deploy lab, to all 3 SSH-ready + cloud-init done: {deploy:6.1f} s")
    print(f"cdktf destroy lab:   {timed(CDKTF, 'destroy', 'lab', '--auto-approve'):6.1f} s")
    print(f"qemu RSS, 3 VMs: peak {max(sampler.peak, settled) / 1024:.0f} MiB, "
          f"after deploy {settled / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
