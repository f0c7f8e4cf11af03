"""The boot unit's nftables guard, loaded in a network namespace of the test's own: while it
lasts no TCP reset leaves the VIP, and once its element expires resets flow again."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import netns
import pytest

from lvsha import environments, footprint, render

SPEC = environments.load("lab")
VIP = str(SPEC.vip.address)
CLOSED_PORT = 9  # nothing listens in the namespace: a connect is answered with a reset


@pytest.fixture
def namespace() -> Iterator[str]:
    if shutil.which("nft") is None:
        pytest.skip("nft (nftables) is not installed")
    with netns.scratch("lvsha-guard", ["addr", "add", f"{VIP}/32", "dev", "lo"]) as name:
        yield name


def connect(namespace: str, address: str = VIP) -> str:
    """What a connect to the closed port of ``address`` sees from inside the namespace."""
    probe = (f"import socket\ns = socket.socket(); s.settimeout(1)\n"
             f"try:\n    s.connect(({address!r}, {CLOSED_PORT})); print('connected')\n"
             f"except OSError as exc:\n    print(type(exc).__name__)")
    return subprocess.run(["ip", "netns", "exec", namespace, "python3", "-c", probe],
                          capture_output=True, text=True, check=True).stdout.strip()


def load(namespace: str, ruleset: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=ruleset,
                   text=True, check=True)


def test_no_reset_leaves_the_vip_until_the_guard_expires(namespace: str) -> None:
    assert connect(namespace) == "ConnectionRefusedError"  # the reset, unguarded
    load(namespace, render.boot_guard_nft(SPEC, lasts_s=3))
    assert connect(namespace) == "TimeoutError"  # the reset dropped
    time.sleep(3)
    assert connect(namespace) == "ConnectionRefusedError"


def test_the_guard_loads_again_over_itself(namespace: str) -> None:
    """A second start of the unit (by hand) replaces the guard, and it lasts again."""
    load(namespace, render.boot_guard_nft(SPEC, lasts_s=1))
    time.sleep(1)
    load(namespace, render.boot_guard_nft(SPEC))
    assert connect(namespace) == "TimeoutError"
    listed = subprocess.run(["ip", "netns", "exec", namespace, "nft", "list", "table", "ip",
                             footprint.BOOT_GUARD_TABLE], capture_output=True, text=True,
                            check=True).stdout
    assert f"{VIP} timeout {footprint.BOOT_GUARD_S // 60}m" in listed, listed


def test_only_resets_from_the_vip_are_held(namespace: str) -> None:
    """The node's own address still answers with resets (the deploy's and the cluster's)."""
    subprocess.run(["ip", "-n", namespace, "addr", "add", "10.99.1.5/32", "dev", "lo"],
                   check=True)
    load(namespace, render.boot_guard_nft(SPEC))
    assert connect(namespace, "10.99.1.5") == "ConnectionRefusedError"
