"""Fault injection for the lab cluster, and the VIP downtime a client sees meanwhile.

Each fault breaks one thing on the node that matters (usually the director), a client in the
lab namespace probes VIP:port every 200 ms (bounded), and `recover` puts the cluster back to
three healthy nodes so the next fault starts from the same place.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab import cluster, network, probe, vm
from lab.layout import Layout
from lab.progress import step
from lvsha import footprint
from lvsha.paths import REPO
from lvsha.spec import Service

PROBE_INTERVAL_S = 0.2
BASELINE_S = 3.0


@dataclass(frozen=True)
class Outage:
    """What the probing client saw after the fault.

    downtime_s: the longest stretch without an answer; disturbed_s: from the fault to the last
    failed probe (a quiesced real server fails some probes without a long gap); recovered:
    the last probes were answered; failures: when (s after the fault) and why each failed.
    """

    downtime_s: float
    disturbed_s: float
    failed: int
    recovered: bool
    failures: tuple[tuple[float, str], ...] = ()

    def __str__(self) -> str:
        seen = "; ".join(f"+{at:.1f}s {why}" for at, why in self.failures[:12])
        more = f" (+{len(self.failures) - 12} more)" if len(self.failures) > 12 else ""
        return (f"downtime {self.downtime_s} s, disturbed {self.disturbed_s} s, {self.failed} "
                f"failed, {'recovered' if self.recovered else 'NOT recovered'}: {seen}{more}")


def outage(results: list[dict[str, Any]], fault_at_s: float) -> Outage:
    after = [r for r in results if r["t"] >= fault_at_s]
    longest, gap_start, last_failure = 0.0, None, fault_at_s
    for result in after:
        if result["answer"] is None:
            gap_start = result["t"] if gap_start is None else gap_start
            last_failure = result["t"] + PROBE_INTERVAL_S
        elif gap_start is not None:
            longest = max(longest, result["t"] - gap_start)
            gap_start = None
    if gap_start is not None:
        longest = max(longest, after[-1]["t"] - gap_start + PROBE_INTERVAL_S)
    failures = tuple((round(r["t"] - fault_at_s, 1), str(r["error"]))
                     for r in after if r["answer"] is None)
    return Outage(downtime_s=round(longest, 2),
                  disturbed_s=round(last_failure - fault_at_s, 2),
                  failed=len(failures),
                  recovered=bool(after) and all(r["answer"] for r in after[-5:]),
                  failures=failures)


def run_on(layout: Layout, node_name: str, command: str, check: bool = True) -> str:
    result = subprocess.run(vm.ssh_command(layout, layout.spec.node(node_name), command),
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise RuntimeError(f"{node_name}: {command!r} failed: {result.stderr.strip()}")
    return result.stdout


def target(layout: Layout, fault: str, director: str) -> str:
    """The node a fault breaks: the director, or for a real service a node that is not it."""
    if fault == "stop-real-service":
        return next(n.name for n in layout.spec.nodes if n.name != director)
    return director


# Each fault breaks something on its target node.
def kill_vm(layout: Layout, node: str) -> None:
    pid = vm.running_pid(layout, layout.spec.node(node))
    if pid is None:
        raise RuntimeError(f"{node}: no qemu process to kill")
    os.kill(pid, signal.SIGKILL)


def nic_down(layout: Layout, node: str) -> None:
    # Detached: the SSH session itself rides on the NIC being taken down.
    run_on(layout, node, f"sudo sh -c 'nohup sh -c \"sleep 0.3; ip link set "
           f"{layout.spec.nic} down\" >/dev/null 2>&1 &'")


def nic_bounced(layout: Layout, node: str) -> None:
    """`ifdown; ifup` on the node (the seed's problem 3): ifupdown flushes every IPv4 address
    of the NIC and brings back only its own, so the VIP is gone while the link is up again."""
    nic = layout.spec.nic
    # Synchronous: this SSH session's TCP outlives a link flap of well under a second.
    addresses = run_on(layout, node, f"sudo sh -c 'ifdown {nic} && ifup {nic}' && "
                                     f"{cluster.nic_addresses(layout)}")
    if cluster.holds_vip(layout, addresses):
        raise RuntimeError(f"{node}: ifdown/ifup left the VIP on {nic}; the fault did not happen")


def kill_corosync(layout: Layout, node: str) -> None:
    run_on(layout, node, "sudo pkill -9 -x corosync")


def kill_pacemaker(layout: Layout, node: str) -> None:
    run_on(layout, node, "sudo systemctl kill --signal=KILL pacemaker")


def kill_ldirectord(layout: Layout, node: str) -> None:
    # '[l]' keeps the pattern from matching this very command line.
    run_on(layout, node, "sudo pkill -9 -f '[l]directord'")


def probed_service(layout: Layout) -> Service:
    """The service whose VIP:port the client probes, and whose real server a fault stops."""
    return layout.spec.services[0]


def stop_real_service(layout: Layout, node: str) -> None:
    unit = footprint.demo_unit(probed_service(layout).port)
    run_on(layout, node, f"sudo systemctl stop {unit}")


def start_real_service(layout: Layout, node: str) -> None:
    """Undoes stop_real_service."""
    run_on(layout, node, f"sudo systemctl start {footprint.demo_unit(probed_service(layout).port)}")


FAULTS: dict[str, Callable[[Layout, str], None]] = {
    "kill-vm": kill_vm,
    "nic-down": nic_down,
    "nic-bounced": nic_bounced,
    "kill-corosync": kill_corosync,
    "kill-pacemaker": kill_pacemaker,
    "kill-ldirectord": kill_ldirectord,
    "stop-real-service": stop_real_service,
}
# Faults after which the node is powered off and on again (it is gone, or unreachable without
# its NIC): it rejoins with what its deploy enabled, as a crashed host would.
POWER_CYCLE = {"kill-vm", "nic-down"}


# Measured in the lab: under qemu TCG on 2 cores the last failure came 35 s (stopped real
# server) and 38 s (director's NIC down) after the fault, against a nominal
# check_interval + check_timeout of 13 s: up to 2.9x. 4 leaves room for the machine's noise.
EMULATION_FACTOR = 4
# Pacemaker's transition plus the agent's promote under emulation (measured up to ~10 s).
TRANSITION_S = 15.0
# Killing pacemaker on the director leaves the VIP there (no fencing) while the others promote
# a new one. systemd restarts pacemaker within a second, and its rejoin (join, a probe that
# finds the old instance Promoted, its demote) aborts the transitions that would start the new
# director's ldirectord. On the lab (journals of 2026-11-27) that start began 16 s later than
# after a plain failover, and the last failures came 51-73 s after the fault where the other
# director faults ended by 49 s: two transitions more.
PACEMAKER_REJOIN_S = 2 * TRANSITION_S
# `ifdown; ifup` on the director flushes its address too; when that outlasts token plus
# consensus, the others promote a new director and the old one rejoins after the flap, its
# ldirectord still running. Pacemaker then moves ldirectord: the old one's stop (two perl runs
# of ldirectord, up to 15 s each under emulation; 28 s in the lab's journal of 2026-11-27) is
# done before the new director's start, after the rejoin's transition. The last failures came
# 93-100 s after the fault (three runs), where a plain director loss ends by 69 s. Fencing
# (an issue of its own) is the cure: the cut-off director would be reset, not waited for.
CUT_OFF_REJOIN_S = TRANSITION_S + 2 * 15.0


@dataclass(frozen=True)
class Budget:
    """The longest gap the client may see, and how long after the fault failures may go on."""

    downtime_s: float
    disturbed_s: float


def budget(layout: Layout, fault: str) -> Budget:
    """Budgets from the spec's timing.

    Losing the director costs the token plus consensus (1.2 x token) and a pacemaker
    transition: the longest gap. Then the new director's ldirectord starts with every real
    server quiesced and needs a check round (interval and timeout, slowed by emulation in the
    lab) to settle them, a dead one included; without fencing the old director may also keep
    answering ARP for the VIP until its pacemaker returns and demotes it. Failures may go on
    that long, but never as a long gap. The usual last ones: ldirectord creates each virtual
    service about a second before its first destination (the fallback), and meanwhile IPVS
    answers a SYN with ICMP port unreachable (the kernel's ip_vs_leave), a refused connection.
    """
    token_s, ldirectord = layout.spec.corosync.token_ms / 1000, footprint.LDIRECTORD
    check = probed_service(layout)
    failover = token_s * 2.2 + TRANSITION_S
    quiesce = (check.check_interval + check.check_timeout) * EMULATION_FACTOR
    director_lost = Budget(failover, failover + quiesce)
    # The director's monitor finds the VIP gone, then pacemaker recovers the instance in place:
    # two transitions (ldirectord, demote, stop; then start, promote) where a failover has one.
    # Measured with a 10 s monitor: gaps of 16.8, 18.0 and 25.2 s. Unless the flap cut the
    # director off from the cluster: then a failover, and the old director's rejoin.
    vip_lost = footprint.LVS.operation("monitor", "Promoted").interval_s + 2 * TRANSITION_S
    cut_off = director_lost.disturbed_s + CUT_OFF_REJOIN_S
    return {
        "kill-vm": director_lost,
        "nic-down": director_lost,
        "nic-bounced": Budget(vip_lost, max(vip_lost + quiesce, cut_off)),
        "kill-corosync": director_lost,
        "kill-pacemaker": Budget(failover, director_lost.disturbed_s + PACEMAKER_REJOIN_S),
        # Pacemaker notices within a monitor interval and restarts ldirectord, which rebuilds
        # the IPVS table (measured: 3 failed probes, none longer than 0.9 s, over 24 s).
        "kill-ldirectord": Budget(3.0, ldirectord.operation("monitor").interval_s
                                  + ldirectord.operation("start").timeout_s),
        # Refused connections to the stopped server, never several in a row (measured 0.45 s).
        "stop-real-service": Budget(3.0, quiesce),
    }[fault]


def recover(layout: Layout, fault: str, broken: str) -> cluster.ClusterState:
    """Bring the broken node back and clear failure history, so the next fault starts clean;
    the healthy cluster's state."""
    if fault in POWER_CYCLE:
        vm.power_cycle(layout, layout.spec.node(broken))
    elif fault == "kill-corosync":
        # corosync's failure resets the node (lvsha-corosync-lost.service): wait for it, and
        # start the stack in case it did not.
        vm.wait_ready(layout, layout.spec.node(broken))
        run_on(layout, broken, "sudo systemctl start corosync pacemaker")
    elif fault == "stop-real-service":
        start_real_service(layout, broken)
    run_on(layout, cluster.any_reachable(layout), "sudo crm_resource --cleanup --quiet",
           check=False)
    return cluster.wait_healthy(layout)


# How long the client keeps probing after the budget's end, so that "recovered" means the VIP
# answered steadily once the budget was over.
SETTLE_S = 15.0


def measure(layout: Layout, fault: str, node: str) -> Outage:
    """Inject ``fault`` on ``node`` while probing the VIP until well past its budget."""
    return watch(layout, lambda: FAULTS[fault](layout, node), f"{fault} on {node}",
                 BASELINE_S + budget(layout, fault).disturbed_s + SETTLE_S)


def watch(layout: Layout, inject: Callable[[], None], what: str, watch_s: float) -> Outage:
    """Probe the VIP for ``watch_s`` seconds, calling ``inject`` after a short baseline."""
    port = probed_service(layout).port
    command = network.in_namespace(layout, *probe.command(
        str(layout.spec.vip.address), port, int(watch_s / PROBE_INTERVAL_S), PROBE_INTERVAL_S,
        max_seconds=watch_s))
    started = time.monotonic()
    prober = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(BASELINE_S)  # answers before the fault
        fault_at = time.monotonic() - started  # the probe started a little later: conservative
        inject()
        step(f"{what}: injected")
        output, _ = prober.communicate(timeout=watch_s + 30)
    finally:
        prober.kill()
    return outage([json.loads(line) for line in output.splitlines()], fault_at)
