"""Facts pyinfra does not ship: what the cluster currently has, read with its own tools.

Facts gathered in deploy code do not inherit config.SUDO, so callers pass _sudo=True.
"""

from __future__ import annotations

from pyinfra.api import FactBase

from lvsha import footprint


class _TextFact(FactBase[str]):
    """A command's output as text; '' when it printed nothing."""

    @staticmethod
    def default() -> str:
        return ""

    def process(self, output: list[str]) -> str:
        return "\n".join(output).strip()


class CorosyncClusterName(_TextFact):
    """cluster_name in corosync.conf: tells lvsha's cluster from the package's default one."""

    def command(self) -> str:
        return ("sed -n 's/^[[:space:]]*cluster_name:[[:space:]]*//p' "
                f"{footprint.COROSYNC_CONF} 2>/dev/null || true")


class CibSection(_TextFact):
    """One section of the live CIB as XML, or '' when pacemaker is not answering."""

    def command(self, scope: str) -> str:
        return f"cibadmin --query --scope {scope} 2>/dev/null || true"


class ShadowHash(_TextFact):
    """A user's password hash from /etc/shadow (needs sudo), '' if the user has none."""

    def command(self, user: str) -> str:
        return f"getent shadow {user} | cut -d: -f2"


class UnmanagedLdirectord(FactBase[list[int]]):
    """ldirectord daemons pacemaker did not start: those outside pacemaker.service's cgroup
    (a packaged unit's, or one started by hand). Both would read the same ldirectord.cf."""

    @staticmethod
    def default() -> list[int]:
        return []

    def command(self) -> str:
        return footprint.LDIRECTORD_DAEMONS

    def process(self, output: list[str]) -> list[int]:
        return [int(pid) for pid, _, cgroup in (line.partition(" ") for line in output)
                if pid.isdigit() and not cgroup.endswith(footprint.PACEMAKER_CGROUP_SUFFIX)]
