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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from lab import cluster, network, probe, vm
from lab.layout import Layout
from lab.progress import step
from lvsha import footprint, render, status
from lvsha.paths import REPO
from lvsha.spec import Service, WatchdogSbd

PROBE_INTERVAL_S = 0.2
BASELINE_S = 3.0


@dataclass(frozen=True)
class Outage:
    """What the probing client saw after the fault.

    downtime_s: the longest stretch without an answer; disturbed_s: from the fault to the last
    failed probe (a quiesced real server fails some probes without a long gap); recovered:
    the last probes were answered; failures: when (s after the fault) and why each failed;
    lost: the failed probes whose answer did not come late either (`lab.probe`); slow: when
    (s after the fault) a probe's connection was accepted and answered, only slowly (`slow`).
    """

    downtime_s: float
    disturbed_s: float
    failed: int
    recovered: bool
    lost: int
    failures: tuple[tuple[float, str], ...] = ()
    slow: tuple[float, ...] = ()
    # When (s after the fault) more than one node answered the client's ARP for the VIP, and
    # which: split brain as the client's network sees it.
    two_holders: tuple[tuple[float, tuple[str, ...]], ...] = ()

    def __str__(self) -> str:
        # The first failures and the last: a late one (a tail) is what a budget trips on.
        shown = [f"+{at:.1f}s {why}" for at, why in self.failures]
        if len(shown) > 12:
            shown[8:-4] = [f"(+{len(shown) - 12} more)"]
        seen = "; ".join(shown)
        split = "".join(f"; +{at:.1f}s the VIP answered by {', '.join(nodes)}"
                        for at, nodes in self.two_holders[:5])
        state = "recovered" if self.recovered else "NOT recovered"
        slow = (f"; answered slowly at {', '.join(f'+{at:.1f}s' for at in self.slow)}"
                if self.slow else "")
        return (f"downtime {self.downtime_s} s, disturbed {self.disturbed_s} s, {self.failed} "
                f"failed ({self.lost} never answered), {state}: {seen}{split}{slow}")


# A connection a real server accepted (with DR the handshake is its own kernel's: the
# director's path worked) whose banner came after the probe's 1 s but within this: a slow
# server, not a failed one (an SSH client waits for the banner without a timeout). Measured
# under emulation load, the director's path healthy: a deploy's (tcpdump: handshake at once,
# banner 1.15 s later) and a fenced node's reboot beside the others (CI31: 1.2 s).
SLOW_ANSWER_S = 3.0


def slow(result: dict[str, Any]) -> bool:
    """A probe that connected and was answered, late but within SLOW_ANSWER_S."""
    late_ms = result.get("late_ms")
    return (result["answer"] is None and result["error"] == probe.NO_ANSWER_IN_TIME
            and late_ms is not None and late_ms <= SLOW_ANSWER_S * 1000)


def outage(results: list[dict[str, Any]], fault_at_s: float,
           explain: Callable[[dict[str, Any]], str] | None = None) -> Outage:
    """Downtime and disturbance both end where a gap of failures does: at the next answered
    probe (a failed probe may have waited out its connect timeout first), or a probe
    interval after the last one; a slow answer (`slow`) is an answer. ``explain`` adds what
    is known of a failed probe."""
    after = [r for r in results if r["t"] >= fault_at_s]
    longest, gap_start, last_failure = 0.0, None, fault_at_s
    for result in after:
        if result["answer"] is None and not slow(result):
            gap_start = result["t"] if gap_start is None else gap_start
        elif gap_start is not None:
            longest = max(longest, result["t"] - gap_start)
            gap_start, last_failure = None, result["t"]
    if gap_start is not None:
        last_failure = after[-1]["t"] + PROBE_INTERVAL_S
        longest = max(longest, last_failure - gap_start)
    failures = tuple((round(r["t"] - fault_at_s, 1),
                      failed_probe(r) + (f" ({explain(r)})" if explain else ""))
                     for r in after if r["answer"] is None and not slow(r))
    return Outage(downtime_s=round(longest, 2),
                  disturbed_s=round(last_failure - fault_at_s, 2),
                  failed=len(failures),
                  lost=sum(1 for r in after if r["answer"] is None and r.get("late_ms") is None),
                  recovered=bool(after) and all(r["answer"] or slow(r) for r in after[-5:]),
                  failures=failures,
                  slow=tuple(round(r["t"] - fault_at_s, 1) for r in after if slow(r)))


def failed_probe(result: dict[str, Any]) -> str:
    """Why a probe failed; for one that timed out, whether its answer came later."""
    if "watched_ms" not in result:
        return str(result["error"])
    if result["late_ms"] is not None:
        return f"{result['error']}, answered after {result['late_ms'] / 1000:.1f} s"
    return f"{result['error']}, none in {result['watched_ms'] / 1000:.1f} s"


def run_on(layout: Layout, node_name: str, command: str, check: bool = True) -> str:
    result = subprocess.run(vm.ssh_command(layout, layout.spec.node(node_name), command),
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise RuntimeError(f"{node_name}: {command!r} failed: {result.stderr.strip()}")
    return result.stdout


def target(layout: Layout, fault: str, director: str) -> str:
    """The node a fault breaks: the director, or for a real server a node that is not it."""
    if fault in REAL_SERVER_FAULTS:
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
    of the NIC and brings back only its own, so the VIP is gone while the link is up again.

    Synchronous: this SSH session's TCP outlives a short flap, and the addresses between the
    two show the flush. A flap that silences corosync for longer than token + consensus gets
    the node fenced (`MAY_RESET`), and the session ends with the node."""
    nic = layout.spec.nic
    result = subprocess.run(vm.ssh_command(layout, layout.spec.node(node), (
        f"sudo sh -c 'ifdown {nic} && echo {BOUNCED} && {status.nic_addresses(layout.spec)}; "
        f"ifup {nic}'")), capture_output=True, text=True, timeout=120)
    _, bounced, addresses = result.stdout.partition(BOUNCED)
    if not bounced:
        raise RuntimeError(f"{node}: ifdown {nic} failed: {result.stderr.strip()}")
    if status.holds_vip(layout.spec, addresses):
        raise RuntimeError(f"{node}: ifdown left the VIP on {nic}; the fault did not happen")


BOUNCED = "lvsha-nic-bounced"


# How long hung-director and hung-real-server freeze their node (issue 14).
HANG_S = 60.0


def hang(layout: Layout, node: str) -> None:
    """Freeze the node's whole VM (a kernel stall, a paused VM) for HANG_S, then let it run
    again: its watchdog (qemu's, outside the guest) expired meanwhile, and resets it."""
    pid = vm.running_pid(layout, layout.spec.node(node))
    if pid is None:
        raise RuntimeError(f"{node}: no qemu process to freeze")
    os.kill(pid, signal.SIGSTOP)
    resume = threading.Timer(HANG_S, _resume, (layout, node, pid))
    resume.daemon = True
    resume.start()


def _resume(layout: Layout, node: str, pid: int) -> None:
    """Let the frozen VM run again, unless a fence device powered it off meanwhile."""
    if vm.running_pid(layout, layout.spec.node(node)) == pid:
        os.kill(pid, signal.SIGCONT)


# The node's corosync traffic, both ways, while its NIC and everything else keep working.
CUT_OFF_TABLE = "lvsha_cut_off"


def cut_off(layout: Layout, node: str) -> None:
    """Drop the node's cluster traffic (corosync's port) both ways; the VIP and the probes
    still reach it. A reset (sbd's, at quorum loss) takes the rules away."""
    port = footprint.COROSYNC_PORT
    chains = " ".join(
        f"nft add chain inet {CUT_OFF_TABLE} {hook} '{{ type filter hook {hook} priority 0; }}';"
        f" nft add rule inet {CUT_OFF_TABLE} {hook} udp dport {port} drop;"
        f" nft add rule inet {CUT_OFF_TABLE} {hook} udp sport {port} drop;"
        for hook in ("input", "output"))
    run_on(layout, node, f"sudo sh -ec \"nft add table inet {CUT_OFF_TABLE}; {chains}\"")


def reconnect(layout: Layout, node: str) -> None:
    """Undoes cut_off on a node that was not reset."""
    try:
        run_on(layout, node, f"sudo nft delete table inet {CUT_OFF_TABLE}", check=False)
    except subprocess.TimeoutExpired:
        pass  # rebooting: the rules are gone with the reset


def boot_id(layout: Layout, node: str) -> str:
    """Changes at every boot: a node reset by its watchdog has a new one."""
    return run_on(layout, node, "cat /proc/sys/kernel/random/boot_id").strip()


def kill_corosync(layout: Layout, node: str) -> None:
    run_on(layout, node, "sudo pkill -9 -x corosync")


def kill_pacemaker(layout: Layout, node: str) -> None:
    run_on(layout, node, "sudo systemctl kill --signal=KILL pacemaker")


def kill_ldirectord(layout: Layout, node: str) -> None:
    """TERM, as a stop sends it: ldirectord's own exit path, which took the table (and every
    session's entry) with it until cleanstop=no; pacemaker's monitor finds it gone."""
    # '[l]' keeps the pattern from matching this very command line. Returns once it is gone,
    # so that ldirectord running again is pacemaker's restart, not the old one still exiting.
    run_on(layout, node, "sudo pkill -TERM -f '[l]directord' && timeout 30 sh -c "
           "'while pgrep -f \"[l]directord\" >/dev/null; do sleep 0.2; done'")


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
    "hung-director": hang,
    "hung-real-server": hang,
    "director-cut-off": cut_off,
}
# Faults on a real server that is not the director.
REAL_SERVER_FAULTS = {"stop-real-service", "hung-real-server"}
# Faults after which the node must have been reset: by fencing (issue 14), and for a killed
# corosync without fencing by lvsha-corosync-lost.service.
RESET = {"hung-director", "hung-real-server", "director-cut-off", "kill-corosync"}
# A killed pacemaker is restarted by systemd within ~2 s. Whether the others fence the node
# meanwhile is a race inside pacemaker: with fencing on, the lab saw both. Either the DC's
# scheduler finds the node's controller gone and fences it (it reboots when told,
# fence-reaction=panic), or it plans on the node as still online, the restarted controller
# rejoins, and the node stays the director (that transition waits 120 s for an answer from
# the killed controller first).
# ifdown; ifup: ifdown alone took 2.3 s on a lab node (its hooks, the flush), and
# corosync's traffic stops from the flush until ifup has put the node's address back. When
# that is longer than token + consensus (2.2 s), the others count the node lost and fence it:
# measured on the lab, 2026-11-28, the director bounced and reset by sbd once it rejoined.
MAY_RESET = {"kill-pacemaker", "nic-bounced"}
# Faults after which the node is powered off and on again (it is gone, or unreachable without
# its NIC): it rejoins with what its deploy enabled, as a crashed host would.
POWER_CYCLE = {"kill-vm", "nic-down"}


# Measured in the lab: under qemu TCG on 2 cores the last failure came 35 s (stopped real
# server) after the fault, against a nominal check_interval + check_timeout of 13 s: up to
# 2.9x. 4 leaves room for the machine's noise.
EMULATION_FACTOR = 4
# Pacemaker's transition plus the agent's promote under emulation. When the director was also
# the DC (nic-down on the lab, 2026-11-28): election and integration 5.1 s, then the promote
# 9.0 s, a 16.8 s gap. kill-corosync after nic-bounced, same lab, later that day, while the
# killed director rebooted beside the survivors (3 VMs on 2 cores): election and integration
# 16.9 s after the membership change, the promote 11.2 s (its monitors took up to 12.6 s),
# a 22.8 s gap against the 20.2 s that 18 s gave; in two other runs 15.6 and 16.8 s.
TRANSITION_S = 24.0
# A fence device's run, from the fencer's request to its confirmation (fence_virsh: its start,
# an SSH login to the virsh host, `virsh domstate`, `destroy`). Measured on the lab during
# kill-vm's failover (2026-12-07): 3.4 s (the VM off already), 4.3 s (powered on again as
# well); a node idle, 1.6 s. 10 s leaves the factor the machine's load has shown elsewhere.
FENCE_DEVICE_S = 10.0
# Hot standby: a new director already holds the table and the synced connections, so once the
# VIP answers again nothing more may fail (issue 13: disturbed <= downtime + 3 s).
TAIL_S = 3.0
# Killing pacemaker on the director leaves the VIP there while the others promote a new one.
# Without fencing, systemd restarts pacemaker within a second, and its rejoin (join, a probe
# that finds the old instance Promoted, its demote) ends the double holding: two transitions
# more. With fencing the others fence it first, and it reboots when told (fence-reaction).
PACEMAKER_REJOIN_S = 2 * TRANSITION_S


@dataclass(frozen=True)
class Budget:
    """The longest gap the client may see, and how long after the fault failures may go on."""

    downtime_s: float
    disturbed_s: float


def fencing_wait_s(layout: Layout) -> float:
    """How long the survivors wait before they count a lost node fenced and recover its
    resources: with watchdog sbd, stonith-watchdog-timeout; with a fence device, its run."""
    fencing = layout.spec.fencing
    if isinstance(fencing, WatchdogSbd):
        return float(fencing.stonith_watchdog_timeout_s)
    return FENCE_DEVICE_S if fenced_by_device(layout) else 0.0


def fenced_by_device(layout: Layout) -> bool:
    """Whether a fence device powers lost nodes off and on (else they reset themselves)."""
    return render.fence_device(layout.spec) is not None


def budget(layout: Layout, fault: str) -> Budget:
    """Budgets from the spec's timing.

    Losing the director costs the token plus consensus (1.2 x token), the wait for its fencing
    and a pacemaker transition: the longest gap. Every node runs ldirectord and the sync
    daemon (hot standby), so the new director forwards at once and failures end with the gap
    (`TAIL_S`).
    """
    token_s, ldirectord = layout.spec.corosync.token_ms / 1000, footprint.LDIRECTORD
    check = probed_service(layout)
    failover = token_s * 2.2 + fencing_wait_s(layout) + TRANSITION_S
    director_lost = Budget(failover, failover + TAIL_S)
    # The director's monitor finds the VIP gone and pacemaker recovers the instance in place
    # (demote, stop; start, promote: two transitions), or the flap cut the director off and the
    # others promote a new one: the longer of the two.
    vip_lost_s = max(footprint.LVS.operation("monitor", "Promoted").interval_s
                     + 2 * TRANSITION_S, failover)
    # A real server that stops answering is quiesced after a check round, slowed by emulation;
    # its failed connections never come several in a row (measured 0.45 s).
    real_server_lost = Budget(3.0, (check.check_interval + check.check_timeout)
                              * EMULATION_FACTOR)
    return {
        "kill-vm": director_lost,
        "nic-down": director_lost,
        "nic-bounced": Budget(vip_lost_s, vip_lost_s + TAIL_S),
        "kill-corosync": director_lost,
        "kill-pacemaker": Budget(failover, director_lost.disturbed_s + PACEMAKER_REJOIN_S),
        # Pacemaker notices within a monitor interval and restarts ldirectord; the kernel kept
        # the table meanwhile (measured: no failed probe).
        "kill-ldirectord": Budget(3.0, ldirectord.operation("monitor").interval_s
                                  + ldirectord.operation("start").timeout_s),
        "stop-real-service": real_server_lost,
        # Clients a resumed old director misled may fail until AFTER_RESUME_S; a fence
        # device powers it off before it can resume.
        "hung-director": (director_lost if fenced_by_device(layout) else
                          Budget(failover, max(failover + TAIL_S, HANG_S + AFTER_RESUME_S))),
        "hung-real-server": real_server_lost,
        "director-cut-off": director_lost,
    }[fault]


def recover(layout: Layout, fault: str, broken: str,
            report: Callable[[str], None] = step) -> cluster.ClusterState:
    """Bring the broken node back and clear failure history (also what is recorded after the
    fault's test, while the cluster settles; each cleanup is reported), so the next fault
    starts clean; the healthy cluster's state."""
    node = layout.spec.node(broken)
    if vm.running_pid(layout, node) is None:
        # Killed, or fenced off by a fence device that leaves it off: powered on, as an
        # operator would.
        vm.power_cycle(layout, node)
    elif fault in POWER_CYCLE and current_boot(layout, broken) is None:
        # Unreachable without its NIC (unless sbd reset it, and it came back by itself, or a
        # fence device powered it on again, and it is booting)
        if fenced_by_device(layout):
            vm.wait_ready(layout, node, first_boot=False)
        else:
            vm.power_cycle(layout, node)
    if fault == "kill-corosync":
        # The node is reset (fenced; without fencing, by lvsha-corosync-lost.service): wait
        # for it, and start the stack in case it was not.
        vm.wait_ready(layout, node, first_boot=False)
        run_on(layout, broken, "sudo systemctl start corosync pacemaker")
    elif fault == "stop-real-service":
        start_real_service(layout, broken)
    elif fault == "director-cut-off":
        reconnect(layout, broken)
    # A hung node resumed and was reset by its watchdog: it rejoins as it boots.
    return cluster.wait_healthy(
        layout, clear_failures=lambda failed: report(f"  {fault}: cleaned up {failed}"))


# How long the client keeps probing after the budget's end, so that "recovered" means the VIP
# answered steadily once the budget was over.
SETTLE_S = 15.0


def ldirectord_restarted(layout: Layout, node: str) -> bool:
    """Pacemaker runs its ldirectord on every node again (after kill-ldirectord)."""
    return cluster.ldirectord_problems(layout) == []


def witness(layout: Layout, node: str) -> str:
    """A node to ask about the cluster while ``node`` is broken."""
    return next(n.name for n in layout.spec.nodes if n.name != node)


def vip_and_promoted(layout: Layout, node: str) -> tuple[list[str], list[str]]:
    """The reachable nodes holding the VIP, and the nodes pacemaker promoted (asked of a
    node other than ``node``)."""
    promoted = list(cluster.state(layout, witness(layout, node)).promoted)
    return cluster.vip_holders(layout), promoted


def moved_away(layout: Layout, node: str) -> bool:
    """Another node is the director, and the only reachable one holding the VIP (after a
    director fault: a lost old director that still held it has been reset)."""
    holders, promoted = vip_and_promoted(layout, node)
    return promoted != [node] and len(promoted) == 1 and holders == promoted


def quiesced(layout: Layout, node: str) -> bool:
    """The director has taken ``node`` out of the probed service (weight 0)."""
    directors = cluster.state(layout, witness(layout, node)).promoted
    port = probed_service(layout).port
    if len(directors) != 1:
        return False
    table = cluster.ipvs_table(layout, directors[0]).get(f"{layout.spec.vip.address}:{port}", {})
    server = table.get(f"{layout.spec.node(node).address}:{port}")
    return server is not None and server.weight == 0


# Faults the cluster repairs, and how to tell it has: the client watches until the repair and
# SETTLE_S more (to see any tail of failures), not to the end of the budget, which is sized for
# the slowest run (kill-ldirectord's is a monitor interval and a start timeout, 180 s, where
# the restart came ~60 s after the fault). A repair never seen leaves the whole budget watched.
# Not here: nic-bounced, where the director may take its VIP back at once and pacemaker may
# still recover the instance later, and the hangs, watched until after the resume.
REPAIRED: dict[str, Callable[[Layout, str], bool]] = {
    "kill-vm": moved_away,
    "nic-down": moved_away,
    "kill-corosync": moved_away,
    "kill-pacemaker": moved_away,
    "director-cut-off": moved_away,
    "kill-ldirectord": ldirectord_restarted,
    "stop-real-service": quiesced,
}


def repair_seen(layout: Layout, fault: str) -> Callable[[Layout, str], bool] | None:
    """How to see the fault repaired, if it can be seen: `REPAIRED`, and a hung director that a
    fence device powered off (it never resumes) as any lost director."""
    if fault == "hung-director" and fenced_by_device(layout):
        return moved_away
    return REPAIRED.get(fault)


def measure(layout: Layout, fault: str, node: str) -> Outage:
    """Inject ``fault`` on ``node`` while probing the VIP until well past its budget (or its
    repair)."""
    repaired = repair_seen(layout, fault)
    return watch(layout, lambda: FAULTS[fault](layout, node), f"{fault} on {node}",
                 watch_seconds(layout, fault),
                 (lambda: repaired(layout, node)) if repaired else None)


# A hung old director that resumes answers at once the ARP requests queued for it during its
# freeze, before anything in it runs; then sbd resets it (it missed its watchdog). Measured:
# one ARP sample, at the resume, saw it beside the new director, and one probe failed 0.2 s
# later (its answer had pointed the client at the old director's MAC). The new director's
# next monitor announces the VIP again (arp_count_refresh): its interval plus the longest
# monitor measured under emulation (12.6 s) bounds how long clients stay misled.
RESUME_GRACE_S = 2.0
AFTER_RESUME_S = footprint.LVS.operation("monitor", "Promoted").interval_s + 15.0


def split_brain(fault: str, seen: Outage) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """When two nodes answered ARP for the VIP, but for a resumed node's replies to what was
    queued during its freeze (an arping that began up to ARP_WAIT_S before the resume)."""
    if FAULTS[fault] is not hang:
        return seen.two_holders
    return tuple((at, nodes) for at, nodes in seen.two_holders
                 if not HANG_S - cluster.ARP_WAIT_S <= at <= HANG_S + RESUME_GRACE_S)


def watch_seconds(layout: Layout, fault: str) -> float:
    """How long the client probes: a baseline, the fault's budget (or a hang, its resume and
    what follows), and SETTLE_S."""
    lasts = budget(layout, fault).disturbed_s
    if FAULTS[fault] is hang and not fenced_by_device(layout):
        lasts = max(lasts, HANG_S + AFTER_RESUME_S)
    return BASELINE_S + lasts + SETTLE_S


def watch(layout: Layout, inject: Callable[[], None], what: str, watch_s: float,
          repaired: Callable[[], bool] | None = None) -> Outage:
    """Probe the VIP for ``watch_s`` seconds, calling ``inject`` after a short baseline; with
    ``repaired``, stop SETTLE_S after it holds."""
    port = probed_service(layout).port
    command = network.in_namespace(layout, *probe.command(
        str(layout.spec.vip.address), port, int(watch_s / PROBE_INTERVAL_S), PROBE_INTERVAL_S,
        max_seconds=watch_s))
    started = time.monotonic()
    prober = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    two_holders: list[tuple[float, tuple[str, ...]]] = []
    arp = threading.Thread(target=watch_arp, args=(layout, prober, started, two_holders),
                           daemon=True)
    try:
        time.sleep(BASELINE_S)  # answers before the fault
        fault_at = time.monotonic() - started  # the probe started a little later: conservative
        inject()
        step(f"{what}: injected")
        arp.start()
        if repaired is not None and wait_until(repaired, prober):
            step(f"{what}: repaired after {time.monotonic() - started - fault_at:.0f} s")
            time.sleep(SETTLE_S)
            prober.terminate()  # each answer is printed (and flushed) as it comes
        output, _ = prober.communicate(timeout=watch_s + probe.LATE_WINDOW_S + 30)
        arp.join(timeout=30)
    finally:
        prober.kill()
    results = probe.read_results(output)
    seen = outage(results, fault_at)
    if seen.failed:  # where the failed connections went, while IPVS's entries last
        seen = outage(results, fault_at, partial(
            where_sent, layout, cluster.sent_to(layout, port)))
    return replace(seen, two_holders=tuple((round(at - fault_at, 1), nodes)
                                           for at, nodes in two_holders))


def where_sent(layout: Layout, sent_to: dict[int, str], result: dict[str, Any]) -> str:
    """A failed probe's story: the node the client's ARP entry for the VIP named, and each
    node's IPVS entry for its source port (`cluster.sent_to`)."""
    names = {node.mac.lower(): node.name for node in layout.spec.nodes}
    mac = result.get("vip_mac")
    return "; ".join([f"VIP at {names.get(mac.lower(), mac) if mac else 'no MAC'}",
                      sent_to.get(result.get("source_port", 0), "no IPVS entry left")])


def watch_arp(layout: Layout, prober: subprocess.Popen[str], started: float,
              two_holders: list[tuple[float, tuple[str, ...]]]) -> None:
    """While the prober runs, ask who answers ARP for the VIP, about every second; record each
    answer with more than one node (time since ``started``)."""
    while prober.poll() is None:
        asked_at = time.monotonic() - started
        nodes = cluster.arp_answers(layout)
        if len(nodes) > 1:
            two_holders.append((asked_at, nodes))


def wait_until(condition: Callable[[], bool], prober: subprocess.Popen[str]) -> bool:
    """Poll ``condition`` while the prober runs: whether it came true in time."""
    while prober.poll() is None:
        try:
            if condition():
                return True
        except (subprocess.SubprocessError, RuntimeError):
            pass  # a node busy or rebooting: ask again
        time.sleep(5)
    return False


def current_boot(layout: Layout, node: str) -> str | None:
    """The node's boot id, or None while it does not answer."""
    try:
        return boot_id(layout, node)
    except (subprocess.SubprocessError, RuntimeError):
        return None


def went_down(layout: Layout, node: str, booted: str) -> bool:
    """Whether the node is down, or has booted since ``booted`` was its boot id: sessions on
    it die with it, by nature."""
    return current_boot(layout, node) != booted


# The director faults, after which held sessions on surviving nodes must live on.
DIRECTOR_FAULTS = ("kill-vm", "nic-down", "nic-bounced", "kill-corosync", "kill-pacemaker",
                   "hung-director", "director-cut-off")
# Faults run with held sessions: the director faults, a real server fenced under them, and
# the director's ldirectord stopping (its table must stay).
SESSION_FAULTS = (*DIRECTOR_FAULTS, "hung-real-server", "kill-ldirectord")
SESSIONS_PER_NODE = 2
# Once logged in, held sessions are synced to every node (on their third packet,
# sync_threshold; the master sync daemon sends every 2 s at most) before the fault.
SESSIONS_SYNC_S = 5.0


@dataclass(frozen=True)
class HeldSessions:
    """SSH sessions held open through a fault, each printing a timestamp every 200 ms
    (`lab.sessions`).

    eligible: those whose real server the fault did not take down; survived: eligible ones
    alive at the end; lost_with_node: those on the node the fault took down; longest_stall_s:
    the longest any eligible session printed nothing; unopened: sessions that did not log in
    before the fault; deaths: why eligible ones died."""

    eligible: int
    survived: int
    lost_with_node: int
    longest_stall_s: float
    unopened: int = 0
    deaths: tuple[str, ...] = ()

    def __str__(self) -> str:
        died = f"; died: {', '.join(self.deaths)}" if self.deaths else ""
        unopened = f", {self.unopened} did not open" if self.unopened else ""
        return (f"sessions {self.survived} of {self.eligible} survived ({self.lost_with_node} "
                f"on the node taken down{unopened}), longest stall {self.longest_stall_s} s"
                f"{died}")


def held_through(layout: Layout, node: str, measure: Callable[[], Outage], watch_s: float,
                 booted: str) -> tuple[Outage, HeldSessions]:
    """Open SESSIONS_PER_NODE held sessions per node through the VIP, then ``measure`` the
    fault on ``node`` (probing for ``watch_s``) while they run; ``booted``, the node's boot
    id before the fault, tells whether its own sessions died with it."""
    count = SESSIONS_PER_NODE * len(layout.spec.nodes)
    client, header = cluster.held_sessions(layout, count, SESSIONS_SYNC_S + watch_s)
    try:
        time.sleep(SESSIONS_SYNC_S)
        outage = measure()
        client.terminate()  # held through the whole watch, which may end before watch_s
        output, _ = client.communicate(timeout=60)
    finally:
        client.kill()
    results = [json.loads(line) for line in output.splitlines()]
    down = went_down(layout, node, booted)
    lost = [r for r in results if down and r["answer"] == node]
    eligible = [r for r in results if r not in lost]
    return outage, HeldSessions(
        eligible=len(eligible), survived=sum(1 for r in eligible if r["alive"]),
        lost_with_node=len(lost),
        longest_stall_s=max((r["longest_stall_s"] for r in eligible), default=0.0),
        unopened=header["of"] - header["opened"],
        deaths=tuple(f"{r['answer']}: {r['error']} at {r['died_at']} s"
                     for r in eligible if not r["alive"]))
