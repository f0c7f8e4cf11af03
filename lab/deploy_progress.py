"""What a running deploy is doing, read from pyinfra's own log (`pyinfra -v`, on stderr) line by
line: its phase, while it prepares the facts read per node, and once it runs each operation
with what it did on every node and how long it took. `lab.cluster.deploy` prints these lines
as they come; pyinfra's JSON report (on stdout) is unchanged.

Operation names only, never their arguments: pyinfra may log those too (not with -y today), and
an argument may be a command that carries a secret's hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# How often a phase that prints nothing of its own says how far it has come.
EVERY_S = 15.0

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PHASE = re.compile(r"^--> (?P<phase>[A-Z][^.:]*)(?:\.\.\.|:)$")
# pyinfra: "--> Starting [serial |run once ]operation: NAME[ (key=value, ...)]"
_OPERATION = re.compile(r"^--> Starting (?:[\w ]+ )?operation: (?P<name>.*?)(?: \(\w+=.*)?$")
_HOST = re.compile(r"^\[(?P<node>[^\]\s]+)\]\s+(?P<what>.*)$")
_RESULTS = {"Success": "changed", "No changes": "unchanged", "Skipped": "skipped"}


@dataclass
class DeployProgress:
    started: float
    phase: str = ""
    said_at: float = 0.0
    facts: dict[str, int] = field(default_factory=dict)
    operation: str = ""
    operation_at: float = 0.0
    outcomes: dict[str, str] = field(default_factory=dict)
    operations: int = 0

    def read(self, raw: str, now: float) -> list[str]:
        """The progress lines one line of pyinfra's log makes."""
        line = _ANSI.sub("", raw).strip()
        said: list[str] = []
        started = _OPERATION.match(line)
        phase = _PHASE.match(line)
        host = _HOST.match(line)
        if started:
            said += self._finish_operation(now)
            self.operation, self.operation_at = started["name"], now
            self.operations += 1
        elif phase:
            said += self._finish_operation(now)
            self.phase = phase["phase"]
            said.append(f"deploy: {self.phase.lower()}")
        elif host:
            node, what = host["node"], host["what"]
            if what.startswith("Loaded fact"):
                self.facts[node] = self.facts.get(node, 0) + 1
            elif self.operation and not what.startswith("noop:"):
                self.outcomes[node] = _RESULTS.get(what.split(" on retry")[0],
                                                   "error" if "rror" in what else "")
        if said:
            self.said_at = now
        return said + self.tick(now)

    def tick(self, now: float) -> list[str]:
        """A line saying how far the deploy has come, if nothing was said for EVERY_S."""
        if now - self.said_at < EVERY_S:
            return []
        self.said_at = now
        if self.operation:
            return [f"deploy: still at {self.operation} ({now - self.operation_at:.0f} s)"]
        if self.facts:
            read = ", ".join(f"{node} {n}" for node, n in sorted(self.facts.items()))
            return [f"deploy: {self.phase.lower() or 'preparing'}: facts read: {read}"]
        return [f"deploy: {self.phase.lower() or 'starting'} ({now - self.started:.0f} s)"]

    def _finish_operation(self, now: float) -> list[str]:
        if not self.operation:
            return []
        outcomes = ", ".join(f"{node} {outcome}" for node, outcome
                             in sorted(self.outcomes.items()) if outcome)
        line = (f"deploy: [{self.operations}] {self.operation}: {outcomes or 'no node'} "
                f"({now - self.operation_at:.1f} s)")
        self.operation, self.outcomes = "", {}
        return [line]
