"""A client in the lab namespace: connect to HOST:PORT COUNT times, INTERVAL s apart, and print
one JSON line per attempt: when it started, what answered (or None), why it failed, which
source port it used and how long it took. Bounded in count and, with --max-seconds, in time:
attempts that time out cannot stretch the run.

Build its command line with `command()` and run it inside the lab's namespace. IPVS keeps an
entry per client address and port, so a later connection from the same --source-port meets it
again. With --hold every answered connection stays open until the last attempt, as an SSH or
RDP farm's sessions do: least-connection schedulers then spread them by active sessions, not
by what earlier short connections left in the table.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time

# A lost SYN is retransmitted after 1 s, so 1 s means "not answered on the first try".
CONNECT_TIMEOUT_S = 1.0


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


def attempt(host: str, port: int, timeout_s: float, source_port: int,
            held: list[socket.socket] | None) -> dict[str, object]:
    """The first line the server sent, or None and the reason the attempt failed. An answered
    connection is appended to ``held`` (left open) when a list is given."""
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
        error = "connect timeout"
    except OSError as exc:
        error = f"connect: {exc.strerror or exc}"
    else:
        try:
            data = connection.recv(256).decode(errors="replace").strip()
            answer = data.splitlines()[0] if data else None
            error = None if answer else "closed without an answer"
        except TimeoutError:
            error = "connected, no answer in time"
        except OSError as exc:
            error = f"read: {exc.strerror or exc}"
    used_port = connection.getsockname()[1]
    if answer and held is not None:
        held.append(connection)
    else:
        connection.close()
    return {"answer": answer, "error": error, "source_port": used_port,
            "ms": round((time.monotonic() - started) * 1000),
            **({"vip_mac": arp_entry(host)} if error else {})}


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
    start = time.monotonic()
    for index in range(args.count):
        if time.monotonic() - start > args.max_seconds:
            break
        at = round(time.monotonic() - start, 3)
        result = attempt(args.host, args.port, args.timeout, args.source_port, held)
        print(json.dumps({"t": at, **result}), flush=True)
        if index + 1 < args.count:
            time.sleep(max(0.0, args.interval - (time.monotonic() - start) % args.interval))
    for connection in held or []:
        connection.close()


if __name__ == "__main__":
    main()
