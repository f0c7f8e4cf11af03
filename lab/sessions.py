"""Long-lived sessions through the VIP, as an SSH or RDP farm's users hold them: open COUNT
connections to HOST:PORT, then for SECONDS (or until a SIGTERM) send a timestamp on each every
INTERVAL s, and print one JSON line per session: which node answered it, whether it is alive
at the end, why it died, and its longest stall (how long data sent on it stayed
unacknowledged).

A session is alive while what it sends is acknowledged by the real server it was put on. One
that a director change sends elsewhere is reset (the new director delivers it locally, and
that node has no such connection) or never acknowledged again; both end it here.

Build its command line with `command()` and run it inside the lab's namespace.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import signal
import socket
import struct
import sys
import termios
import time
from dataclasses import dataclass

# How long, after the last send, unacknowledged data may take to drain before the session is
# called stalled for good.
DRAIN_S = 5.0


def command(host: str, port: int, count: int, seconds: float,
            interval_s: float = 0.2) -> list[str]:
    """The command line (to be run inside the lab's namespace)."""
    return [sys.executable, "-m", "lab.sessions", host, str(port), "--count", str(count),
            "--seconds", str(seconds), "--interval", str(interval_s)]


def unacknowledged(connection: socket.socket) -> int:
    """Bytes sent on ``connection`` and not yet acknowledged (SIOCOUTQ)."""
    value: int = struct.unpack("i", fcntl.ioctl(connection.fileno(), termios.TIOCOUTQ,
                                                struct.pack("i", 0)))[0]
    return value


@dataclass
class Session:
    connection: socket.socket
    answer: str
    error: str | None = None
    died_at: float | None = None
    stalled_since: float | None = None
    longest_stall_s: float = 0.0

    def tick(self, now: float, started: float) -> None:
        """Note whether what was sent so far is acknowledged, then send a timestamp; note a
        reset or a close."""
        if self.error:
            return
        self.watch_stall(now)
        try:
            if self.connection.recv(64, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                self.die("closed by the server", now, started)
                return
        except BlockingIOError:
            pass  # nothing to read: the server only listens
        except OSError as exc:
            self.die(exc.strerror or str(exc), now, started)
            return
        try:
            self.connection.send(f"{now - started:.1f}\n".encode())
        except OSError as exc:
            self.die(exc.strerror or str(exc), now, started)

    def watch_stall(self, now: float) -> None:
        if unacknowledged(self.connection):
            self.stalled_since = self.stalled_since or now
            self.longest_stall_s = max(self.longest_stall_s, now - self.stalled_since)
        else:
            self.stalled_since = None

    def die(self, error: str, now: float, started: float) -> None:
        self.error, self.died_at = error, round(now - started, 2)

    def report(self) -> dict[str, object]:
        return {"answer": self.answer, "alive": self.error is None, "error": self.error,
                "died_at": self.died_at, "longest_stall_s": round(self.longest_stall_s, 2)}


def open_session(host: str, port: int) -> Session | None:
    try:
        connection = socket.create_connection((host, port), timeout=5)
        answer = connection.recv(256).decode(errors="replace").strip().splitlines()[0]
    except (OSError, IndexError):
        return None
    connection.setblocking(False)
    return Session(connection, answer)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab.sessions", description=__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=0.2)
    args = parser.parse_args()
    opened = [open_session(args.host, args.port) for _ in range(args.count)]
    sessions = [s for s in opened if s is not None]
    print(json.dumps({"opened": len(sessions), "of": args.count}), flush=True)
    terminated: list[int] = []  # the watch that needs the sessions may end early
    signal.signal(signal.SIGTERM, lambda signum, _: terminated.append(signum))
    started = time.monotonic()
    while not terminated and (now := time.monotonic()) - started < args.seconds:
        for session in sessions:
            session.tick(now, started)
        time.sleep(args.interval)
    drain_by = time.monotonic() + DRAIN_S
    while any(s.error is None and unacknowledged(s.connection) for s in sessions) \
            and time.monotonic() < drain_by:
        time.sleep(args.interval)
    now = time.monotonic()
    for session in sessions:
        if session.error is None:
            session.watch_stall(now)
            if unacknowledged(session.connection):
                session.die(f"data unacknowledged for {session.longest_stall_s:.1f} s", now,
                            started)
        print(json.dumps(session.report()), flush=True)
        session.connection.close()


if __name__ == "__main__":
    main()
