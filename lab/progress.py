"""One progress line per lab step, with the time since the command started."""

import sys
import time

_START = time.monotonic()


def step(message: str) -> None:
    print(f"[lab {time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)
