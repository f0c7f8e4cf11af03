"""The lab's probing client (`lab.probe`), run for real against a server on loopback: what it
reports of an answered attempt and of a failed one."""

import json
import socket
import subprocess
import sys
import threading

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
    assert refused["answer"] is None and refused["error"] == "connect: Connection refused"
    assert isinstance(refused["source_port"], int) and refused["source_port"] > 0
    assert refused["vip_mac"] is None  # loopback has no ARP entry
