"""Long-lived SSH sessions through the VIP, as an SSH farm's users hold them: COUNT logins with
the given ssh command line, each running a remote loop that prints a timestamp every INTERVAL
s, held for SECONDS (or until a SIGTERM); then one JSON line per session: which node it
reached, whether it is alive at the end, why it died, and its longest stall (the longest time
without a line from it).

In DR mode the real server's output goes straight to the client; only the client's
acknowledgements pass the director. While no director forwards them, the server's send window
fills and its output stops; a new director that does not know the session delivers them
locally, and that node's reset ends the session (ssh exits: "Connection reset", "Broken
pipe"). A session alive at the end prints again within DRAIN_S; one that does not has
stalled for good, and is dead too.

Build its command line with `command()` and run it inside the lab's namespace.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

# How long a login may take (a key exchange on a loaded emulated node).
LOGIN_TIMEOUT_S = 60.0
# How long after the end a silent session has to print again before it counts as dead.
DRAIN_S = 5.0


def command(ssh: list[str], count: int, seconds: float, interval_s: float = 0.2) -> list[str]:
    """The command line (to be run inside the lab's namespace); ``ssh`` logs in to the VIP."""
    return [sys.executable, "-m", "lab.sessions", "--count", str(count), "--seconds",
            str(seconds), "--interval", str(interval_s), "--", *ssh]


def remote_loop(interval_s: float) -> str:
    """What each session runs: the node's name, then a timestamp every ``interval_s``. Bash
    builtins only in the loop (`read -t` on a pipe it holds both ends of, never written, as
    the sleep): on an emulated node, forking `date` and `sleep` took 0.3 s per line."""
    return ("exec bash -c 'exec 3<> <(:); hostname; "
            f"while :; do echo $EPOCHREALTIME; read -t {interval_s} -u 3; done'")


@dataclass
class Session:
    process: subprocess.Popen[bytes]
    answer: str = ""
    pending: bytes = b""
    last_line_at: float = 0.0
    longest_stall_s: float = 0.0
    error: str | None = None
    died_at: float | None = None
    lines: int = 0

    @property
    def fd(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def read(self, now: float, started: float) -> None:
        """Take what the session printed; its end (ssh exited) is its death."""
        data = os.read(self.fd, 65536)
        if not data:
            self.process.wait()
            assert self.process.stderr is not None
            why = self.process.stderr.read().decode(errors="replace").strip().splitlines()
            self.die(why[-1] if why else f"ssh exited {self.process.returncode}", now, started)
            return
        self.pending += data
        *complete, self.pending = self.pending.split(b"\n")
        for line in complete:
            if not self.answer:
                self.answer = line.decode(errors="replace").strip()
            else:
                self.watch_stall(now)
                self.lines += 1
            self.last_line_at = now

    def watch_stall(self, now: float) -> None:
        """From the first timestamp on (not the login's own pace)."""
        if self.error is None and self.lines:
            self.longest_stall_s = max(self.longest_stall_s, now - self.last_line_at)

    def die(self, error: str, now: float, started: float) -> None:
        self.error, self.died_at = error, round(now - started, 2)

    def report(self) -> dict[str, object]:
        return {"answer": self.answer, "alive": self.error is None, "error": self.error,
                "died_at": self.died_at, "longest_stall_s": round(self.longest_stall_s, 2),
                "lines": self.lines}


def pump(sessions: list[Session], selector: selectors.BaseSelector, timeout_s: float,
         started: float) -> None:
    """Read whatever the live sessions printed within ``timeout_s``."""
    for key, _ in selector.select(timeout_s):
        session: Session = key.data
        session.read(time.monotonic(), started)
        if session.error is not None:
            selector.unregister(key.fileobj)
    now = time.monotonic()
    for session in sessions:
        session.watch_stall(now)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab.sessions", description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("ssh", nargs=argparse.REMAINDER, help="-- ssh ... user@vip")
    args = parser.parse_args()
    ssh = args.ssh[1:] if args.ssh[:1] == ["--"] else args.ssh
    started = time.monotonic()
    sessions = [Session(subprocess.Popen([*ssh, remote_loop(args.interval)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE))
                for _ in range(args.count)]
    selector = selectors.DefaultSelector()
    for session in sessions:
        selector.register(session.fd, selectors.EVENT_READ, session)
    # Logins first (all at once: least-connection spreads held sessions evenly).
    while any(not s.answer and s.error is None for s in sessions) \
            and time.monotonic() - started < LOGIN_TIMEOUT_S:
        pump(sessions, selector, 0.5, started)
    opened = [s for s in sessions if s.answer and s.error is None]
    print(json.dumps({"opened": len(opened), "of": args.count}), flush=True)
    terminated: list[int] = []  # the watch that needs the sessions may end early
    signal.signal(signal.SIGTERM, lambda signum, _: terminated.append(signum))
    started = time.monotonic()
    while not terminated and time.monotonic() - started < args.seconds:
        pump(opened, selector, args.interval, started)
    # Alive at the end means printing after it.
    ended = time.monotonic()
    while time.monotonic() < ended + DRAIN_S and any(
            s.error is None and s.last_line_at <= ended for s in opened):
        pump(opened, selector, args.interval, started)
    now = time.monotonic()
    for session in opened:
        if session.error is None and session.last_line_at <= ended:
            session.die(f"no output for {now - session.last_line_at:.1f} s", now, started)
        print(json.dumps(session.report()), flush=True)
    for session in sessions:
        session.process.kill()


if __name__ == "__main__":
    main()
