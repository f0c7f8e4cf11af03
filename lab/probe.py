"""A client in the lab namespace: connect to HOST:PORT COUNT times, INTERVAL s apart, and print
one JSON line per attempt (time, what answered or None). Bounded in count and, with
MAX_SECONDS, in time: attempts that time out cannot stretch the run.

Run it inside the namespace:
`ip netns exec lvsha-lab python -m lab.probe VIP PORT COUNT INTERVAL [MAX_SECONDS]`.
"""

from __future__ import annotations

import json
import socket
import sys
import time

CONNECT_TIMEOUT_S = 1.0


def attempt(host: str, port: int) -> str | None:
    """The first line the server sends, or None if the connection failed or said nothing."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S) as connection:
            data = connection.recv(256).decode(errors="replace").strip()
            return data.splitlines()[0] if data else None
    except OSError:
        return None


def main() -> None:
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    interval = float(sys.argv[4])
    max_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else float("inf")
    start = time.monotonic()
    for index in range(count):
        if time.monotonic() - start > max_seconds:
            break
        answer = attempt(host, port)
        print(json.dumps({"t": round(time.monotonic() - start, 3), "answer": answer}),
              flush=True)
        if index + 1 < count:
            time.sleep(max(0.0, interval - (time.monotonic() - start) % interval))


if __name__ == "__main__":
    main()
