"""The held-session client (`lab.sessions`) without a lab: `sh -c` stands in for `ssh ...
user@vip`, since both run the remote loop given as their last argument."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time

from lab import sessions

# Each stand-in login runs the loop ($1) as the real one would, then something happens.
DIES = 'timeout 1.5 sh -c "$1"; echo "client_loop: send disconnect: Broken pipe" >&2; exit 255'
STALLS = 'timeout 1 sh -c "$1"; sleep 2; sh -c "$1"'
SILENT = 'timeout 1 sh -c "$1"; sleep 60'


def hold(login: list[str], count: int, seconds: float,
         terminate_after_s: float | None = None) -> list[dict[str, object]]:
    client = subprocess.Popen(sessions.command(login, count, seconds), stdout=subprocess.PIPE,
                              text=True)
    try:
        if terminate_after_s is not None:
            time.sleep(terminate_after_s)
            client.send_signal(signal.SIGTERM)
        output, _ = client.communicate(timeout=seconds + 30)
    finally:
        client.kill()
    return [json.loads(line) for line in output.splitlines()]


def test_live_sessions_name_their_node_and_print_steadily() -> None:
    header, *results = hold(["sh", "-c"], 3, 2.0)
    assert header == {"opened": 3, "of": 3}
    for result in results:
        assert result["answer"] == socket.gethostname() and result["alive"] is True, result
        assert isinstance(result["lines"], int) and result["lines"] >= 5, result
        assert isinstance(result["longest_stall_s"], float)
        assert result["longest_stall_s"] < 1.0, result


def test_a_session_whose_ssh_ends_is_dead_with_sshs_last_words() -> None:
    header, result = hold(["sh", "-c", DIES, "sh"], 1, 4.0)
    assert header == {"opened": 1, "of": 1}
    assert result["alive"] is False and result["error"] == \
        "client_loop: send disconnect: Broken pipe", result
    assert isinstance(result["died_at"], float) and 1.0 <= result["died_at"] <= 3.0, result


def test_a_stall_is_measured_and_a_session_that_prints_again_lives() -> None:
    _, result = hold(["sh", "-c", STALLS, "sh"], 1, 5.0)
    assert result["alive"] is True, result
    assert isinstance(result["longest_stall_s"], float)
    assert 1.8 <= result["longest_stall_s"] <= 3.0, result


def test_a_session_silent_at_the_end_is_dead_once_terminated() -> None:
    _, result = hold(["sh", "-c", SILENT, "sh"], 1, 60.0, terminate_after_s=2.0)
    assert result["alive"] is False, result
    assert str(result["error"]).startswith("no output for"), result


def test_a_login_that_fails_is_counted_unopened() -> None:
    header, *results = hold(["sh", "-c", "exit 255", "sh"], 2, 1.0)
    assert header == {"opened": 0, "of": 2} and results == []
