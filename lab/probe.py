"""A client in the lab namespace: connect to HOST:PORT COUNT times, INTERVAL s apart, and print
one JSON line per attempt: when it started, what answered (or None), why it failed, and how
long it took. Bounded in count and, with MAX_SECONDS, in time: attempts that time out cannot
stretch the run.

Run it inside the namespace:
`ip netns exec lvsha-lab python -m lab.probe VIP PORT COUNT INTERVAL [MAX_SECONDS [TIMEOUT
[SOURCE_PORT]]]`. Each line also says which source port the attempt used: IPVS keeps an entry
per client address and port, so a later connection from the same port meets it again.
"""

from __future__ import annotations

import json
import socket
import sys
import time

# A lost SYN is retransmitted after 1 s, so 1 s means "not answered on the first try".
CONNECT_TIMEOUT_S = 1.0


def attempt(host: str, port: int, timeout_s: float = CONNECT_TIMEOUT_S,
            source_port: int = 0) -> dict[str, object]:
    """The first line the server sent, or None and the reason the attempt failed."""
    started = time.monotonic()
    answer, error, used_port = None, None, source_port
    try:
        # Bound only when asked: bind() picks ports otherwise than connect() does.
        connection = socket.create_connection(
            (host, port), timeout=timeout_s,
            source_address=("", source_port) if source_port else None)
    except socket.timeout:
        error = "connect timeout"
    except OSError as exc:
        error = f"connect: {exc.strerror or exc}"
    else:
        with connection:
            used_port = connection.getsockname()[1]
            try:
                data = connection.recv(256).decode(errors="replace").strip()
                answer = data.splitlines()[0] if data else None
                error = None if answer else "closed without an answer"
            except socket.timeout:
                error = "connected, no answer in time"
            except OSError as exc:
                error = f"read: {exc.strerror or exc}"
    return {"answer": answer, "error": error, "source_port": used_port,
            "ms": round((time.monotonic() - started) * 1000)}


def main() -> None:
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    interval = float(sys.argv[4])
    max_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else float("inf")
    timeout_s = float(sys.argv[6]) if len(sys.argv) > 6 else CONNECT_TIMEOUT_S
    source_port = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    start = time.monotonic()
    for index in range(count):
        if time.monotonic() - start > max_seconds:
            break
        at = round(time.monotonic() - start, 3)
        print(json.dumps({"t": at, **attempt(host, port, timeout_s, source_port)}), flush=True)
        if index + 1 < count:
            time.sleep(max(0.0, interval - (time.monotonic() - start) % interval))


if __name__ == "__main__":
    main()
