"""The lab's probing client (`lab.probe`), run for real against a server on loopback: what it
reports of an answered attempt and of a failed one."""

import json
import socket
import subprocess
import sys
import threading
import time

from lab import probe


def test_an_answer_and_a_refusal_are_reported_with_their_source_ports() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    peers: list[int] = []

    def serve() -> None:
        connection, peer = server.accept()
        peers.append(peer[1])
        connection.sendall(b"lab2 says hello\nmore\n")
        connection.close()
    threading.Thread(target=serve, daemon=True).start()
    port = server.getsockname()[1]
    output = subprocess.run([sys.executable, "-m", "lab.probe", "127.0.0.1", str(port),
                             "--count", "1", "--interval", "0"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    answered = json.loads(output)
    assert answered["answer"] == "lab2 says hello" and answered["error"] is None
    assert answered["source_port"] == peers[0] and "vip_mac" not in answered
    server.close()  # nothing listens there now
    refused = probe.attempt("127.0.0.1", port, 1.0, 0, None)
    assert refused is not None
    assert refused["answer"] is None and refused["error"] == "connect: Connection refused"
    assert isinstance(refused["source_port"], int) and refused["source_port"] > 0
    assert refused["vip_mac"] is None  # loopback has no ARP entry


def probe_command(port: int, count: int) -> list[str]:
    return [sys.executable, "-m", "lab.probe", "127.0.0.1", str(port), "--count", str(count),
            "--interval", "0.2", "--timeout", "0.5"]


def test_a_late_answer_is_told_from_none_and_attempts_go_on_meanwhile() -> None:
    """A server that answers its first connection after 1.5 s and never answers its second:
    the probe's later attempts run meanwhile, the first is reported answered late, and the
    second, when the probe is stopped, as unanswered for as long as it waited."""
    server = socket.create_server(("127.0.0.1", 0))
    kept: list[socket.socket] = []

    def serve() -> None:
        first, _ = server.accept()
        time.sleep(1.5)
        first.sendall(b"late\n")
        kept.append(first)
        while True:
            connection, _ = server.accept()
            kept.append(connection)  # never answered
    threading.Thread(target=serve, daemon=True).start()
    prober = subprocess.Popen(probe_command(server.getsockname()[1], 100),
                              stdout=subprocess.PIPE, text=True)
    time.sleep(4.0)
    prober.terminate()
    output, _ = prober.communicate(timeout=30)
    results = probe.read_results(output)
    assert [r["t"] for r in results] == sorted(r["t"] for r in results)
    first, second = results[:2]
    assert first["answer"] is None and first["error"] == probe.NO_ANSWER_IN_TIME
    assert 1400 <= first["late_ms"] <= 2500
    assert second["t"] > first["t"] and second["late_ms"] is None
    assert 2000 <= second["watched_ms"] <= 4500
    assert len(results) >= 4  # attempts went on while the first waited


def test_a_connect_that_timed_out_is_watched_until_the_kernels_retry_gets_through() -> None:
    """A listener whose accept queue is full drops SYNs: the second attempt's connect times
    out, the kernel retries its SYN, and once the server accepts again that attempt is
    answered, late; the first, connected but not yet served, is answered late too."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)  # one connection waits in the queue; the next SYNs are dropped
    kept: list[socket.socket] = []

    def serve() -> None:
        time.sleep(1.5)
        while True:
            connection, _ = server.accept()
            connection.sendall(b"hello\n")
            kept.append(connection)
    threading.Thread(target=serve, daemon=True).start()
    output = subprocess.run(probe_command(server.getsockname()[1], 2), capture_output=True,
                            text=True, timeout=60, check=True).stdout
    first, second = probe.read_results(output)
    assert first["error"] == probe.NO_ANSWER_IN_TIME and first["late_ms"] >= 1000
    assert second["error"] == probe.CONNECT_TIMEOUT and second["late_ms"] is not None
    assert second["late_ms"] > 500
