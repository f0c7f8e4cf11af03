"""lvsha's footprint on a node, written once: what it puts there and calls it by (files,
systemd units, the pacemaker resources and their agents, operation intervals and timeouts).

Renderers, deploys, the lab and the bench read these names; templates and helper scripts
receive the values as arguments. tests/test_footprint.py ties the lvs agent's own meta-data
and the rendered CIB to them, and checks that every path a deploy writes is named here.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEMD_DIR = "/etc/systemd/system"


def unit_file(unit: str) -> str:
    return f"{SYSTEMD_DIR}/{unit}"


def drop_in(unit: str) -> str:
    """lvsha's drop-in for a unit it does not own (corosync's, pacemaker's)."""
    return f"{SYSTEMD_DIR}/{unit}.d/lvsha.conf"


ETC_HOSTS = "/etc/hosts"

# corosync and pacemaker
COROSYNC_CONF = "/etc/corosync/corosync.conf"
COROSYNC_AUTHKEY = "/etc/corosync/authkey"
COROSYNC_UNIT = "corosync.service"
PACEMAKER_UNIT = "pacemaker.service"
COROSYNC_LOST_UNIT = "lvsha-corosync-lost.service"
WAIT_CLUSTER = "/usr/local/sbin/lvsha-wait-cluster"
# A first formation under the lab's emulation took up to ~2 min (bench/deploy.py).
QUORUM_WAIT_S = 240
# How long the deploy waits for the cluster to settle after putting a departing node in
# standby (a director's handover, ldirectord's stop: 10-30 s each under the lab's emulation).
SETTLE_WAIT_S = 300

# ldirectord
LDIRECTORD_CF = "/etc/ha.d/ldirectord.cf"
LDIRECTORD_PIDFILE = "/run/ldirectord.ldirectord.pid"
PACKAGED_LDIRECTORD_UNIT = "ldirectord.service"
# "pid cgroup" of every ldirectord daemon on a node: those started with `start`, not the
# `status` and `stop` runs the agent makes (one is alive during most monitors under emulation).
# Pacemaker's daemon runs in pacemaker.service's cgroup (v2); the packaged unit's, in its own.
LDIRECTORD_DAEMONS = (
    "for pid in $(pgrep -x ldirectord); do "
    "case \"$(tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null)\" in *' start '|*' restart ') "
    "echo \"$pid $(sed -n 's/^0:://p' /proc/$pid/cgroup 2>/dev/null)\";; esac; done")
PACEMAKER_CGROUP_SUFFIX = f"/{PACEMAKER_UNIT}"

# IPVS and the real server
IPVS_MODULES_LOAD = "/etc/modules-load.d/lvsha-ipvs.conf"
IPVS_SYSCTL_CONF = "/etc/sysctl.d/60-lvsha-ipvs.conf"
REAL_SERVER_UNIT = "lvsha-real-server.service"
# The boot unit's guard: no TCP reset from the VIP for BOOT_GUARD_S after it runs. A VM reset
# by its watchdog keeps its host's tap device, and the frames queued there for it while it was
# down (sent to it as the director, for every session) are handed to it when its NIC comes up:
# with the VIP already on lo it answered each with a reset, which ended live sessions on the
# other nodes (lab, 2026-11-28, kill-pacemaker and kill-corosync on the director). Measured
# under emulation: the NIC came up 11 s after the unit ran, and the queued frames were answered
# within 25 ms of that; 120 s leaves a slow boot ten times that. Meanwhile a session the reboot
# ended learns so at its first retransmission after the window instead of at once.
BOOT_GUARD_NFT = "/etc/lvsha/boot-guard.nft"
BOOT_GUARD_TABLE = "lvsha_boot"
BOOT_GUARD_S = 120
RECLAIM_VIP_HOOK = "/etc/network/if-up.d/lvsha-reclaim-vip"

# An SSH farm's host certificate (lvsha/hostcert.py): sshd's own ed25519 key, its certificate
# beside it, and the drop-in that presents it (Debian 12's sshd_config includes the directory).
SSH_HOST_KEY = "/etc/ssh/ssh_host_ed25519_key.pub"
SSH_HOST_CERTIFICATE = "/etc/ssh/ssh_host_ed25519_key-cert.pub"
SSHD_DROP_IN = "/etc/ssh/sshd_config.d/lvsha-host-certificate.conf"
SSH_UNIT = "ssh.service"

# corosync's knet port (its default; corosync.conf sets none).
COROSYNC_PORT = 5405
# What the cluster stack itself listens on, on every node: sshd (the deploy's access), pcsd,
# and corosync. A demo real server cannot bind these; a real service on them is the daemon
# itself (an SSH farm's sshd).
NODE_DAEMON_PORTS: dict[tuple[str, int], str] = {
    ("tcp", 22): "sshd",
    ("tcp", 2224): "pcsd",
    ("udp", COROSYNC_PORT): "corosync",
}


_DEMO_UNIT = "lvsha-demo-{}.service"
# Every demo server's unit (a find -name pattern): one whose service left the spec goes.
DEMO_UNITS = _DEMO_UNIT.format("*")


def demo_unit(port: int) -> str:
    """The systemd unit of the lab's demo real server on ``port``."""
    return _DEMO_UNIT.format(port)


# The keepalived reference
# Diskless sbd (WatchdogSbd): its settings, and its unit, which corosync's requires once enabled.
SBD_CONFIG = "/etc/default/sbd"
SBD_UNIT = "sbd.service"
# fence_virsh's SSH key to the libvirt host, on every node; root's alone.
FENCE_VIRSH_KEY = "/etc/lvsha/fence_virsh_key"

KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"
NFTABLES_CONF = "/etc/nftables.conf"
KEEPALIVED_ROLE_SCRIPT = "/usr/local/sbin/lvsha-keepalived-role"


@dataclass(frozen=True)
class Agent:
    """An OCF resource agent: where it is installed, and how crm_mon names it."""

    provider: str
    type: str

    @property
    def name(self) -> str:
        return f"ocf:{self.provider}:{self.type}"

    @property
    def path(self) -> str:
        return f"/usr/lib/ocf/resource.d/{self.provider}/{self.type}"


@dataclass(frozen=True)
class Operation:
    """One operation of a resource as the CIB configures it (interval 0: not recurring)."""

    name: str
    timeout_s: int
    interval_s: int = 0
    role: str | None = None

    def id(self, resource: str) -> str:
        return f"{resource}-{self.name}" + (f"-{self.role.lower()}" if self.role else "")


@dataclass(frozen=True)
class Resource:
    id: str
    agent: Agent
    operations: tuple[Operation, ...]
    meta: tuple[tuple[str, str], ...] = ()

    def operation(self, name: str, role: str | None = None) -> Operation:
        return next(o for o in self.operations if (o.name, o.role) == (name, role))


# The Promoted monitor finds a VIP that left the NIC (ifdown; ifup): the shorter, the sooner
# pacemaker puts it back. Distinct intervals per role, as pacemaker requires. The agent's own
# meta-data (files/ocf/lvs) advertises the same values. Monitor timeouts: on the loaded lab
# (ldirectord on every node, a membership flap) a monitor took 12.6 s, and a Promoted monitor
# that took back a flushed VIP (it waits for the NIC's address, asks for quorum, probes ARP)
# overran 20 s; the timeout that failed it made pacemaker restart the director in place (37 s
# of demote, stop, start, promote) and reset sessions. A slow monitor is no failure: 60 s.
LVS = Resource("lvs", Agent("lvsha", "lvs"), (
    Operation("monitor", timeout_s=60, interval_s=5, role="Promoted"),
    Operation("monitor", timeout_s=60, interval_s=11, role="Unpromoted"),
    Operation("start", timeout_s=20),
    Operation("stop", timeout_s=20),
    Operation("promote", timeout_s=30),
    Operation("demote", timeout_s=20),
))
LVS_CLONE = f"{LVS.id}-clone"
# Pacemaker's name for the lvs clone's promotion score, a transient node attribute.
LVS_PROMOTION_SCORE = f"master-{LVS.id}"

# A pacemaker alert on node events (files/bin/lvsha-score-refresh) writes the promotion scores
# back when a DC change dropped them from the CIB. It watches for WATCH_S after a loss; a DC
# election under the lab's emulation took ~5 s. The alert's timeout leaves it room to finish.
SCORE_REFRESH_ALERT = "lvsha-score-refresh"
SCORE_REFRESH_SCRIPT = "/usr/local/sbin/lvsha-score-refresh"
SCORE_REFRESH_WATCH_S = 25
SCORE_REFRESH_TIMEOUT_S = 35

# The STONITH device of a spec that names one (its agent comes from the spec). Its monitor
# asks the device whether it answers (fence_virsh: an SSH login and `virsh list`).
FENCE_DEVICE_ID = "fence"
FENCE_DEVICE_MONITOR = Operation("monitor", timeout_s=60, interval_s=60)

# ldirectord is a perl daemon, and the stock agent runs it once per monitor (status), twice
# per stop (status, stop) and three times per start (status, start, status). Under the lab's
# emulation on the 3-node lab one run took 18-33 s before PERLIO was set for pacemaker's
# agents (files/systemd/pacemaker-ldirectord.conf), 10-15 s after: starts and stops then
# timed out at 60 s right after a first deploy, and a failed stop blocks the resource.
# Timeouts leave at least twice the longest measured run per call; tests/test_faults.py reports
# pacemaker's own exec-time of each operation after every fault to check them against.
# One monitor run costs ~5 s of a lab VM's CPU, and with ldirectord on every node (hot
# standby) a 20 s interval kept every VM ~25% busy: 60 s. A killed ldirectord leaves its
# table forwarding meanwhile; only its checks pause.
LDIRECTORD = Resource("ldirectord", Agent("heartbeat", "ldirectord"), (
    Operation("monitor", timeout_s=60, interval_s=60),
    Operation("start", timeout_s=120),
    Operation("stop", timeout_s=120),
))
# ldirectord runs on every node (hot standby): a new director's table is there before its
# promotion, where starting ldirectord then took ~25 s under emulation. A non-director's table
# schedules nothing while the lvs agent runs its backup sync daemon (net.ipv4.vs.backup_only).
# interleave: each node's instance waits for that node's lvs instance only.
LDIRECTORD_CLONE = f"{LDIRECTORD.id}-clone"
LDIRECTORD_CLONE_META = (("interleave", "true"),)
