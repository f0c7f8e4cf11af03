"""The keepalived reference on the lab (pyinfra_deploys/keepalived.py): its deploy, its state,
and the faults that have a keepalived counterpart, measured with the same probe as lvsha."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

from lab import cluster, faults, vm
from lab.layout import Layout

DEPLOY_FILE = "deploy_keepalived.py"
# VRRP's master-down interval is 3 advertisements plus a skew; the watch covers that, a check
# round of keepalived's own health checks under emulation, and time to settle.
WATCH_S = 90.0


def deploy(layout: Layout) -> None:
    cluster.deploy(layout, DEPLOY_FILE)


def wait_healthy(layout: Layout, timeout_s: float = 300) -> str:
    """Until exactly one node holds the VIP and its IPVS table has every real server up."""
    deadline = time.monotonic() + timeout_s
    while True:
        masters = cluster.vip_holders(layout)
        if len(masters) == 1:
            table = subprocess.run(
                vm.ssh_command(layout, layout.spec.node(masters[0]), "sudo ipvsadm -Ln"),
                capture_output=True, text=True, timeout=30).stdout
            weights = [line.split()[3] for line in table.splitlines()
                       if line.strip().startswith("->") and "Route" in line]
            if len(weights) == len(layout.spec.nodes) * len(layout.spec.services) \
                    and "0" not in weights:
                return masters[0]
        if time.monotonic() > deadline:
            raise RuntimeError(f"keepalived reference not healthy after {timeout_s:.0f} s: "
                               f"VIP on {masters}")
        time.sleep(3)


def kill_keepalived(layout: Layout, node: str) -> None:
    faults.run_on(layout, node, "sudo pkill -9 -x keepalived")


# lvsha's fault -> the same fault for keepalived (killing its one daemon stands for killing
# pacemaker: the process that decides who is director dies, the VIP and IPVS table stay).
FAULTS: dict[str, tuple[str, Callable[[Layout, str], None]]] = {
    "kill-vm": ("kill-vm", faults.kill_vm),
    "nic-down": ("nic-down", faults.nic_down),
    "nic-bounced": ("nic-bounced", faults.nic_bounced),
    "kill-pacemaker": ("kill-keepalived", kill_keepalived),
    "stop-real-service": ("stop-real-service", faults.stop_real_service),
}


def measure(layout: Layout, fault: str, node: str) -> faults.Outage:
    name, inject = FAULTS[fault]
    return faults.watch(layout, lambda: inject(layout, node), f"keepalived {name} on {node}",
                        WATCH_S)


def recover(layout: Layout, fault: str, broken: str) -> None:
    if fault in faults.POWER_CYCLE:
        vm.power_cycle(layout, layout.spec.node(broken))
    elif fault == "kill-pacemaker":
        faults.run_on(layout, broken, "sudo systemctl restart keepalived")
    elif fault == "stop-real-service":
        faults.start_real_service(layout, broken)
    wait_healthy(layout)
