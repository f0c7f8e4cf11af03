"""A client in the lab namespace: connect to HOST:PORT COUNT times, INTERVAL s apart, and print
one JSON line per attempt: when it started, what answered (or None), why it failed, which
source port it used and how long it took. Bounded in count and, with --max-seconds, in time:
attempts that time out cannot stretch the run.

Build its command line with `command()` and run it inside the lab's namespace. IPVS keeps an
entry per client address and port, so a later connection from the same --source-port meets it
again. With --hold every answered connection stays open until the last attempt, as an SSH or
RDP farm's sessions do: least-connection schedulers then spread them by active sessions, not
by what earlier short connections left in the table.

An attempt that timed out (connect or answer) is watched for LATE_WINDOW_S more while the next
attempts run: its line (printed then, out of order; `read_results` sorts) says after how long
the answer came (`late_ms`), or that it never did: a slow server or a SYN retried by the kernel
told from a lost connection.
"""

from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import sys
import time
from typing import Any

# A lost SYN is retransmitted after 1 s, so 1 s means "not answered on the first try".
CONNECT_TIMEOUT_S = 1.0
LATE_WINDOW_S = 10.0
CONNECT_TIMEOUT = "connect timeout"
NO_ANSWER_IN_TIME = "connected, no answer in time"


def command(host: str, port: int, count: int, interval_s: float, *,
            max_seconds: float | None = None, timeout_s: float = CONNECT_TIMEOUT_S,
            source_port: int = 0, hold: bool = False) -> list[str]:
    """The probe's command line (to be run inside the lab's namespace)."""
    arguments = [sys.executable, "-m", "lab.probe", host, str(port), "--count", str(count),
                 "--interval", str(interval_s), "--timeout", str(timeout_s),
                 "--source-port", str(source_port)]
    if max_seconds is not None:
        arguments += ["--max-seconds", str(max_seconds)]
    return arguments + (["--hold"] if hold else [])


class Unanswered:
    """Attempts that timed out, still watched: a connect whose SYN was not answered in time
    (the kernel goes on retrying it) and a connection whose server had not spoken yet. Each
    one's result is printed once its answer comes (``late_ms``: when), or without one
    (``late_ms`` None) when LATE_WINDOW_S have passed, the connect failed or the probe stops;
    ``watched_ms`` says how long it was watched."""

    def __init__(self) -> None:
        # socket -> (when its attempt started, its result, whether it is still connecting)
        self.waiting: dict[socket.socket, tuple[float, dict[str, Any], bool]] = {}

    def add(self, connection: socket.socket, started: float, result: dict[str, Any],
            connecting: bool) -> None:
        self.waiting[connection] = (started, result, connecting)

    def wait(self, until: float, *, while_any: bool = False) -> None:
        """Until ``until`` (monotonic), or with ``while_any`` until none waits, print each
        result whose answer comes or whose window ends."""
        while True:
            now = time.monotonic()
            for connection, (started, _, _) in list(self.waiting.items()):
                if now - started >= LATE_WINDOW_S:
                    self._done(connection, answered=False)
            if now >= until or not self.waiting:
                if not while_any:
                    time.sleep(max(0.0, until - now))
                return
            connecting = [c for c, (_, _, pending) in self.waiting.items() if pending]
            reading = [c for c in self.waiting if c not in connecting]
            readable, connected, _ = select.select(reading, connecting, [], until - now)
            for connection in connected:
                if connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    self._done(connection, answered=False)
                else:
                    started, result, _ = self.waiting[connection]
                    self.waiting[connection] = (started, result, False)
            for connection in readable:
                self._done(connection, answered=True)

    def flush(self) -> None:
        """Print what is still waiting, as not answered (yet)."""
        for connection in list(self.waiting):
            self._done(connection, answered=False)

    def _done(self, connection: socket.socket, answered: bool) -> None:
        started, result, _ = self.waiting.pop(connection)
        watched_ms = round((time.monotonic() - started) * 1000)
        if answered:
            try:
                answered = bool(connection.recv(256))
            except OSError:
                answered = False
        connection.close()
        print(json.dumps({**result, "late_ms": watched_ms if answered else None,
                          "watched_ms": watched_ms}), flush=True)


def read_results(output: str) -> list[dict[str, Any]]:
    """The probe's lines, in the order the attempts started."""
    return sorted((json.loads(line) for line in output.splitlines()), key=lambda r: r["t"])


def attempt(host: str, port: int, timeout_s: float, source_port: int,
            held: list[socket.socket] | None,
            unanswered: Unanswered | None = None, at: float = 0.0) -> dict[str, object] | None:
    """The first line the server sent, or None and the reason the attempt failed. An answered
    connection is appended to ``held`` (left open) when a list is given. An attempt that timed
    out (its connect, or the server's first words) goes to ``unanswered`` when given, and None
    is returned: its result comes later."""
    started = time.monotonic()
    answer, error = None, None
    # Not socket.create_connection: a failed attempt's port (which IPVS may hold an entry for)
    # is reported too. Bound only when asked: bind() picks ports otherwise than connect() does.
    connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    connection.settimeout(timeout_s)
    try:
        if source_port:
            connection.bind(("", source_port))
        connection.connect((host, port))
    except TimeoutError:
        error = CONNECT_TIMEOUT
    except OSError as exc:
        error = f"connect: {exc.strerror or exc}"
    else:
        try:
            data = connection.recv(256).decode(errors="replace").strip()
            answer = data.splitlines()[0] if data else None
            error = None if answer else "closed without an answer"
        except TimeoutError:
            error = NO_ANSWER_IN_TIME
        except OSError as exc:
            error = f"read: {exc.strerror or exc}"
    used_port = connection.getsockname()[1]
    result = {"t": at, "answer": answer, "error": error, "source_port": used_port,
              "ms": round((time.monotonic() - started) * 1000),
              **({"vip_mac": arp_entry(host)} if error else {})}
    if error in (CONNECT_TIMEOUT, NO_ANSWER_IN_TIME) and unanswered is not None:
        unanswered.add(connection, started, result, connecting=error == CONNECT_TIMEOUT)
        return None
    if answer and held is not None:
        held.append(connection)
    else:
        connection.close()
    return result


def arp_entry(host: str) -> str | None:
    """The MAC this host's ARP table holds for ``host`` (where a failed attempt was sent)."""
    with open("/proc/net/arp") as table:
        for line in table.readlines()[1:]:
            words = line.split()
            if words[0] == host and words[2] != "0x0":
                return words[3]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lab.probe", description=__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--max-seconds", type=float, default=float("inf"))
    parser.add_argument("--timeout", type=float, default=CONNECT_TIMEOUT_S)
    parser.add_argument("--source-port", type=int, default=0)
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args()
    held: list[socket.socket] | None = [] if args.hold else None
    unanswered = Unanswered()
    # Stopped early (a watch that has seen enough): what still waits is printed first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    start = time.monotonic()
    try:
        for index in range(args.count):
            if time.monotonic() - start > args.max_seconds:
                break
            at = round(time.monotonic() - start, 3)
            result = attempt(args.host, args.port, args.timeout, args.source_port, held,
                             unanswered, at)
            if result is not None:
                print(json.dumps(result), flush=True)
            if index + 1 < args.count:
                unanswered.wait(time.monotonic() + max(
                    0.0, args.interval - (time.monotonic() - start) % args.interval))
        unanswered.wait(time.monotonic() + LATE_WINDOW_S, while_any=True)
    finally:
        unanswered.flush()
        for connection in held or []:
            connection.close()


if __name__ == "__main__":
    main()
