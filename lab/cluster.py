"""The cluster on the lab: run the deploy from inside the namespace, read pacemaker's state,
and send traffic through the VIP from a client that is not a node."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

from lab import network, sessions, vm
from lab import probe as probe_module
from lab.deploy_progress import DeployProgress
from lab.layout import Layout
from lab.progress import step
from lvsha import footprint, hostcert, paths, status
from lvsha.paths import REPO
from lvsha.spec import Node
from ops import status as ops_status

# pyinfra's SSH connections have no keepalive: a node that reboots while a command runs on it
# hangs the deploy forever. A first deploy on fresh lab VMs takes 2-2.5 min (bench/deploy.py).
DEPLOY_TIMEOUT_S = 900

T = TypeVar("T")


def deploy(layout: Layout, deploy_file: str = "deploy.py",
           checkout: Path = REPO) -> dict[str, Any]:
    """`pyinfra inventories/<env>.py deploy.py` from inside the lab; returns pyinfra's JSON.
    What it is doing is said as it goes (`lab.deploy_progress`, from pyinfra's log).
    ``checkout``: the copy of the repository to deploy from (an operator's edited spec)."""
    command = network.in_namespace(
        layout, str(REPO / ".venv" / "bin" / "pyinfra"), "-y", "-v", "--json",
        f"inventories/{layout.spec.name}.py", deploy_file)
    process = subprocess.Popen(command, cwd=checkout, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(checkout)})
    assert process.stdout is not None and process.stderr is not None
    log: queue.Queue[str | None] = queue.Queue()
    report_text: list[str] = []
    threading.Thread(target=_lines_into, args=(process.stderr, log), daemon=True).start()
    # pyinfra's JSON report, read beside its log so that neither pipe fills
    reader = threading.Thread(target=lambda out: report_text.append(out.read()),
                              args=(process.stdout,), daemon=True)
    reader.start()
    progress = DeployProgress(started=time.monotonic())
    stderr: list[str] = []
    deadline = time.monotonic() + DEPLOY_TIMEOUT_S
    while (line := _next_line(log)) is not None:
        now = time.monotonic()
        stderr += [line] if line else []
        for said in progress.read(line, now) if line else progress.tick(now):
            step(said)
        if now > deadline:
            process.kill()
            sys.stderr.write("".join(stderr)[-6000:])
            raise SystemExit(f"lab: the deploy did not finish in {DEPLOY_TIMEOUT_S} s (a node "
                             "that rebooted mid-deploy leaves pyinfra waiting on its dead "
                             "connection)")
    if process.wait() != 0:
        sys.stderr.write("".join(stderr)[-6000:])
        raise SystemExit(f"lab: the deploy failed (exit {process.returncode})")
    for line in stderr:  # e.g. the deploy's "runs without fencing"
        if "WARNING" in line:
            print(line.strip(), file=sys.stderr)
    reader.join()
    report: dict[str, Any] = json.loads(report_text[0])
    return report


def _lines_into(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _next_line(lines: queue.Queue[str | None]) -> str | None:
    """The next line, "" after a second without one, None at the end."""
    try:
        return lines.get(timeout=1)
    except queue.Empty:
        return ""


def changed_operations(report: dict[str, Any]) -> list[str]:
    """Names of operations that changed (or failed on) any host in a pyinfra --json report."""
    return [op["name"] for op in report["results"]["operations"]
            if op["success"] or op["error"]]


def changed_nodes(report: dict[str, Any]) -> dict[str, list[str]]:
    """`changed_operations`, each with the hosts it changed (or failed on)."""
    return {op["name"]: op["success"] + op["error"] for op in report["results"]["operations"]
            if op["success"] or op["error"]}


# What pacemaker reports on a node.
ClusterState = status.Membership


def state(layout: Layout, node_name: str | None = None) -> ClusterState:
    """What pacemaker reports (crm_mon --output-as=xml) on a node (first node by default)."""
    node = layout.spec.node(node_name) if node_name else layout.spec.nodes[0]
    return status.membership(subprocess.run(
        vm.ssh_command(layout, node, "sudo", "crm_mon", "-1", "--output-as=xml"),
        capture_output=True, text=True, timeout=60, check=True).stdout)


def report(layout: Layout) -> status.Report:
    """`python -m lvsha status lab`'s report, read over the lab's SSH connections."""
    def run(node: Node, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(vm.ssh_command(layout, node, command), capture_output=True,
                              text=True, timeout=ops_status.TIMEOUT_S)
    return ops_status.report(layout.spec, run)


def vip_holders(layout: Layout) -> list[str]:
    """Reachable nodes that hold the VIP on their NIC: the director(s)."""
    return [name for name, result in
            on_reachable_nodes(layout, status.nic_addresses(layout.spec)).items()
            if result is not None and status.holds_vip(layout.spec, result.stdout)]


ARP_WAIT_S = 1


def arp_answers(layout: Layout) -> tuple[str, ...]:
    """The nodes (by MAC) that answer the lab client's ARP request for the VIP within
    ARP_WAIT_S: the directors as the client's network sees them."""
    result = subprocess.run(network.in_namespace(
        layout, "arping", "-c", "3", "-w", str(ARP_WAIT_S), "-I", layout.bridge,
        str(layout.spec.vip.address)), capture_output=True, text=True, timeout=15)
    names = {node.mac.lower(): node.name for node in layout.spec.nodes}
    macs = set(re.findall(r"\[([0-9a-f:]{17})\]", result.stdout.lower()))
    return tuple(sorted(names.get(mac, mac) for mac in macs))


def any_reachable(layout: Layout) -> str:
    """The first node that answers SSH."""
    for node in layout.spec.nodes:
        if subprocess.run(vm.ssh_command(layout, node, "true", timeout_s=3),
                          capture_output=True).returncode == 0:
            return node.name
    raise RuntimeError("no node answers SSH")


def ipvs_table(layout: Layout, node: str) -> dict[str, dict[str, status.RealServer]]:
    """A node's IPVS table (`ipvsadm -Ln`): "VIP:port" -> {"address:port": RealServer}."""
    return status.ipvs_table(subprocess.run(
        vm.ssh_command(layout, layout.spec.node(node), "sudo", "ipvsadm", "-Ln"),
        capture_output=True, text=True, timeout=60, check=True).stdout)


def wait_healthy(layout: Layout, timeout_s: float = 420,
                 clear_failures: Callable[[str], None] | None = None) -> ClusterState:
    """`healthy_report`'s membership: who is promoted, who is online."""
    membership = healthy_report(layout, timeout_s, clear_failures).membership
    assert membership is not None  # a healthy report has one
    return membership


def healthy_report(layout: Layout, timeout_s: float = 420,
                   clear_failures: Callable[[str], None] | None = None,
                   say: Callable[[str], None] | None = None) -> status.Report:
    """Until `python -m lvsha status` says healthy (`lvsha.status.judge`): every node online,
    one Promoted and the VIP on its NIC alone, ldirectord on every node, nothing failed (no
    fencing either), every node's IPVS table holding every service with every node in service
    (hot standby), the sync daemons following the roles (master on the director, backup
    elsewhere), and stonith as the spec says.

    A deploy returns once the CIB is written; pacemaker then needs a while (promotion,
    ldirectord's start and first checks) before the VIP is served by every node. A VIP that
    answers from the director alone (no IPVS table) is not healthy.

    With ``clear_failures``, failure and failed fencing history is cleaned up whenever it is
    seen (at most every CLEANUP_EVERY_S) and what was cleaned is handed to it. After a fault,
    failures may still be recorded once its test is over (a director cut off by ifdown; ifup
    fails its monitor when it rejoins), and a failed start keeps a resource off its node until
    cleaned up.

    With ``say``, why it is not healthy yet is said whenever that changes.
    """
    deadline = time.monotonic() + timeout_s
    reasons: tuple[str, ...] = ()
    cleaned_at = -CLEANUP_EVERY_S
    while True:
        current = report(layout)
        if say and current.reasons and current.reasons != reasons:
            say(f"{current.verdict.name.lower()}: " + "; ".join(current.reasons))
        view, reasons = current.membership, current.reasons
        if (clear_failures and view and (view.failed_actions or view.fencing_problems)
                and time.monotonic() - cleaned_at >= CLEANUP_EVERY_S):
            clear_failures("; ".join(view.failed_actions + view.fencing_problems))
            try:
                cleanup(layout, fencing=bool(view.fencing_problems))
            except (subprocess.SubprocessError, RuntimeError):
                pass  # the nodes answer again by the next round
            cleaned_at = time.monotonic()
        elif current.verdict == status.Verdict.HEALTHY and view:
            return current
        if time.monotonic() > deadline:
            raise RuntimeError(f"cluster not healthy after {timeout_s:.0f} s: "
                               + "; ".join(reasons))
        time.sleep(5)


# Long enough for pacemaker to act on one cleanup (re-probe, recover) before the next.
CLEANUP_EVERY_S = 30.0


def cleanup(layout: Layout, fencing: bool = False) -> None:
    """Pacemaker forgets every resource's failures (and probes them again), and with
    ``fencing`` the fencing history (a failed fencing is kept until cleaned up)."""
    node = layout.spec.node(any_reachable(layout))
    subprocess.run(vm.ssh_command(layout, node, "sudo", "crm_resource", "--cleanup", "--quiet"),
                   capture_output=True, text=True, timeout=120, check=True)
    if fencing:
        subprocess.run(vm.ssh_command(layout, node, "sudo", "stonith_admin", "--history", "'*'",
                                      "--cleanup", "--broadcast"),
                       capture_output=True, text=True, timeout=120, check=True)


def sync_roles(layout: Layout, node: str) -> list[str]:
    """The IPVS sync daemons running on ``node`` ("master", "backup")."""
    return status.sync_daemons(subprocess.run(
        vm.ssh_command(layout, layout.spec.node(node), "sudo", "ipvsadm", "-L", "--daemon"),
        capture_output=True, text=True, timeout=60, check=True).stdout)


def each_node(layout: Layout, read: Callable[[Layout, str], T]) -> dict[str, T]:
    """``read(layout, node)`` on every node at once, by node name: a command on an emulated
    node takes seconds, mostly waiting for its VM."""
    names = [node.name for node in layout.spec.nodes]
    with ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(lambda name: read(layout, name), names), strict=True))


def on_reachable_nodes(layout: Layout, command: str, timeout_s: float = 30
                       ) -> dict[str, subprocess.CompletedProcess[str] | None]:
    """``command`` on every node at once, for readers that must not fail on a node that is
    down or rebooting: ssh gives up connecting after 5 s (a non-zero exit), and a node lost
    after connecting gives None once ``timeout_s`` has passed."""
    def run(layout: Layout, name: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(vm.ssh_command(layout, layout.spec.node(name), command,
                                                 timeout_s=5),
                                  capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None  # connected, then lost: rebooting
    return each_node(layout, run)


def ipvs_connections(ipvsadm_lcn: str) -> list[tuple[str, str, str, str]]:
    """`ipvsadm -Lcn`'s entries: (state, client, virtual, destination), addresses with ports."""
    return [(words[2], words[3], words[4], words[5]) for words in map(str.split,
            ipvsadm_lcn.splitlines()) if len(words) == 6 and words[0] in ("TCP", "UDP")]


def sent_to(layout: Layout, port: int) -> dict[int, str]:
    """Where each reachable node's IPVS sent the lab client's connections to VIP:``port``
    (`ipvsadm -Lcn`), by client port: "lab2: SYN_RECV to lab1; ...". What a failed probe's
    port says about why it failed (a real server that dropped it, or no entry: no director)."""
    virtual = f"{layout.spec.vip.address}:{port}"
    names = {str(node.address): node.name for node in layout.spec.nodes}
    seen: dict[int, list[str]] = {}
    for name, result in on_reachable_nodes(layout, "sudo ipvsadm -Lcn").items():
        table = result.stdout if result is not None and result.returncode == 0 else ""
        for state, client, to_virtual, destination in ipvs_connections(table):
            if to_virtual == virtual:
                address = destination.rsplit(":", 1)[0]
                seen.setdefault(int(client.rsplit(":", 1)[1]), []).append(
                    f"{name}: {state} to {names.get(address, address)}")
    return {client_port: "; ".join(where) for client_port, where in seen.items()}


# What a failed lab test shows of each node's cluster log.
JOURNAL = ("sudo journalctl --since=-10min -o short-precise --no-pager -u corosync -u pacemaker "
           "-u sbd | grep -E -i 'fenc|stonith|quorum|lost|error|warn|timed out' | tail -n 60")


def journals(layout: Layout) -> str:
    """The last 10 minutes of every reachable node's corosync, pacemaker and sbd log, the lines
    that tell a fencing or membership story: what a failed lab test prints (the lab, and its
    logs, are gone once the session ends)."""
    def text(result: subprocess.CompletedProcess[str] | None) -> str:
        if result is None:
            return "(no answer)"
        return result.stdout if result.returncode == 0 else f"(unreachable: {result.stderr})"
    return "\n".join(f"--- {name}\n{text(result)}" for name, result in
                     on_reachable_nodes(layout, JOURNAL, timeout_s=60).items())


def operation_times(layout: Layout) -> dict[str, int]:
    """How long each resource operation last took (ms), as pacemaker recorded it (exec-time
    in the CIB's status), the longest over the nodes: {"ldirectord start": 23456, ...}.
    What operation timeouts are sized from."""
    output = subprocess.run(vm.ssh_command(layout, layout.spec.node(any_reachable(layout)),
                                           "sudo", "cibadmin", "--query", "--scope", "status"),
                            capture_output=True, text=True, timeout=60, check=True).stdout
    times: dict[str, int] = {}
    for resource in ET.fromstring(output).iter("lrm_resource"):
        for operation in resource.iter("lrm_rsc_op"):
            key = f"{resource.get('id')} {operation.get('operation')}"
            times[key] = max(times.get(key, 0), int(operation.get("exec-time", "0")))
    return times


def tally(layout: Layout, port: int, connections: int = 30) -> Counter[str]:
    """Which node answered each of ``connections`` sessions to VIP:port, all held open until
    the last one answered: a least-connection scheduler spreads sessions over every real
    server in service, where short connections all go to a server that has just come back
    (the others still count two minutes of closed ones)."""
    return Counter(r["answer"] or "no answer"
                   for r in probe(layout, port, connections, 0.05, hold=True))


def farm_ssh(layout: Layout, *command: str, known_hosts: str | None = None) -> list[str]:
    """ssh to the VIP as an SSH farm's user would: trusting nothing but the farm's
    known_hosts line (the host CA), strictly. Run inside the lab namespace."""
    known = known_hosts or str(paths.farm_known_hosts(layout.spec))
    return ["ssh", "-i", str(layout.ssh_key), "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            f"{layout.spec.ssh.user}@{layout.spec.vip.address}", *command]


def farm_ssh_command(layout: Layout, *command: str, known_hosts: str | None = None
                     ) -> list[str]:
    """`farm_ssh` from the lab namespace."""
    return network.in_namespace(layout, *farm_ssh(layout, *command, known_hosts=known_hosts))


def held_sessions(layout: Layout, count: int, seconds: float
                  ) -> tuple[subprocess.Popen[str], dict[str, int]]:
    """``count`` SSH sessions through the VIP (`lab.sessions`, run in the lab namespace),
    held for ``seconds`` or until terminated; once they have logged in, the client and its
    first line ({"opened": n, "of": count}). Its other lines, one per session, follow at the
    end."""
    client = subprocess.Popen(network.in_namespace(layout, *sessions.command(
        farm_ssh(layout), count, seconds)), cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    header: dict[str, int] = json.loads(client.stdout.readline() or "{}")
    if "opened" not in header:
        client.kill()
        raise RuntimeError("the held sessions' client ended before its logins")
    return client, header


def ssh_tally(layout: Layout, connections: int = 30) -> Counter[str]:
    """Which node each of ``connections`` SSH logins through the VIP reached, all held open
    (as `tally`) until the last one logged in."""
    logins = [subprocess.Popen(farm_ssh_command(layout, "hostname; cat >/dev/null"),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for _ in range(connections)]
    answers: Counter[str] = Counter()
    try:
        # Each prints its node's name once logged in (or ends: a failed login, ConnectTimeout).
        names = [login.stdout.readline().strip() if login.stdout else "" for login in logins]
        for login, name in zip(logins, names, strict=True):
            _, error = login.communicate(timeout=60)  # closes its stdin: the session ends
            answers[name or f"no answer ({error.strip()[-80:]})"] += 1
    finally:
        for login in logins:
            login.kill()
    return answers


def tallies(layout: Layout, connections: int = 30, logins: bool = True
            ) -> dict[str, Counter[str]]:
    """`tally` for every service, by service name; for an SSH farm's, with ``logins``,
    `ssh_tally` with three logins per node (held open, least-connection spreads them evenly;
    each costs a node's emulated CPU a key exchange, ~15 s for the lab's nine)."""
    farm = hostcert.farm_services(layout.spec)
    farm_logins = min(connections, 3 * len(layout.spec.nodes))
    return {s.name: ssh_tally(layout, farm_logins) if s in farm
            else tally(layout, s.port, connections)
            for s in layout.spec.services if logins or s not in farm}


def unbalanced(layout: Layout, answered: dict[str, Counter[str]] | None = None,
               logins: bool = True) -> list[str]:
    """Services whose sessions (`tallies`, taken now unless given; SSH farms' only with
    ``logins``) some node never answered, or that went unanswered."""
    answered = tallies(layout, logins=logins) if answered is None else answered
    names = {n.name for n in layout.spec.nodes}
    return [f"{service}: {dict(counts)}" for service, counts in answered.items()
            if set(counts) != names]


def ldirectord_processes(layout: Layout) -> dict[str, list[tuple[int, str]]]:
    """Every node's ldirectord daemons, as (pid, cgroup): the packaged unit's and pacemaker's
    read the same ldirectord.cf, and only the cgroup tells them apart."""
    def daemons(layout: Layout, name: str) -> list[tuple[int, str]]:
        output = subprocess.run(vm.ssh_command(layout, layout.spec.node(name),
                                               footprint.LDIRECTORD_DAEMONS),
                                capture_output=True, text=True, timeout=60, check=True).stdout
        return [(int(pid), cgroup) for pid, _, cgroup in
                (line.partition(" ") for line in output.splitlines())]
    return each_node(layout, daemons)


def ldirectord_problems(layout: Layout) -> list[str]:
    """ldirectord processes pacemaker did not start, or a node without exactly one of its own
    (pacemaker runs one on every node: hot standby)."""
    problems = []
    for node, processes in ldirectord_processes(layout).items():
        ours = [pid for pid, cgroup in processes
                if cgroup.endswith(footprint.PACEMAKER_CGROUP_SUFFIX)]
        problems += [f"{node}: ldirectord {pid} in {cgroup}, not pacemaker's"
                     for pid, cgroup in processes if pid not in ours]
        if len(ours) != 1:
            problems.append(f"{node}: {len(ours)} ldirectord of pacemaker's, not 1")
    return problems


def probe(layout: Layout, port: int, count: int, interval_s: float,
          timeout_s: float = probe_module.CONNECT_TIMEOUT_S, source_port: int = 0,
          hold: bool = False) -> list[dict[str, Any]]:
    """Connect to VIP:port from the lab namespace (a client, not a node)."""
    max_seconds = count * (interval_s + timeout_s) + 10
    command = network.in_namespace(layout, *probe_module.command(
        str(layout.spec.vip.address), port, count, interval_s, max_seconds=max_seconds,
        timeout_s=timeout_s, source_port=source_port, hold=hold))
    output = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True,
                            timeout=max_seconds + probe_module.LATE_WINDOW_S + 20).stdout
    return probe_module.read_results(output)


def proof(layout: Layout, requests: int = 30) -> None:
    """Print who is master, the IPVS table, which node answered each request and where
    ldirectord runs; fail unless every node answered and only pacemaker's ldirectord runs."""
    spec = layout.spec
    healthy = healthy_report(layout, say=lambda why: step(f"waiting for a healthy cluster: {why}"))
    print(f"$ python -m lvsha status {spec.name}  (in the lab namespace)")
    print(status.text(spec, healthy))
    answered = tallies(layout, requests)
    for service in spec.services:
        tallied = answered[service.name]
        counts = ", ".join(f"{node} {n}" for node, n in sorted(tallied.items()))
        what = ("SSH logins (the host CA trusted, nothing else)"
                if service in hostcert.farm_services(spec) else "sessions")
        print(f"{sum(tallied.values())} {what} to {spec.vip.address}:{service.port} from the "
              f"lab namespace: {counts}")
    problems = [f"not answered by every node: {p}" for p in unbalanced(layout, answered)]
    ldirectord = ldirectord_problems(layout)
    print("ldirectord: " + ("; ".join(ldirectord) or "pacemaker's, one on every node"))
    if problems + ldirectord:
        raise SystemExit("lab: the proof failed: " + "; ".join(problems + ldirectord))
