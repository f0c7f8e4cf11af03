"""Facts pyinfra does not ship: what the cluster currently has, read with its own tools.

Facts gathered in deploy code do not inherit config.SUDO, so callers pass _sudo=True.
"""

from __future__ import annotations

from pyinfra.api import FactBase


class CorosyncClusterName(FactBase[str]):
    """cluster_name in corosync.conf: tells lvsha's cluster from the package's default one."""

    def command(self) -> str:
        return ("sed -n 's/^[[:space:]]*cluster_name:[[:space:]]*//p' "
                "/etc/corosync/corosync.conf 2>/dev/null || true")

    @staticmethod
    def default() -> str:
        return ""

    def process(self, output: list[str]) -> str:
        return output[0].strip() if output else ""


class CibSection(FactBase[str]):
    """One section of the live CIB as XML, or '' when pacemaker is not answering."""

    def command(self, scope: str) -> str:
        return f"cibadmin --query --scope {scope} 2>/dev/null || true"

    @staticmethod
    def default() -> str:
        return ""

    def process(self, output: list[str]) -> str:
        return "\n".join(output)


class ShadowHash(FactBase[str]):
    """A user's password hash from /etc/shadow (needs sudo), '' if the user has none."""

    def command(self, user: str) -> str:
        return f"getent shadow {user} | cut -d: -f2"

    @staticmethod
    def default() -> str:
        return ""

    def process(self, output: list[str]) -> str:
        return output[0].strip() if output else ""
