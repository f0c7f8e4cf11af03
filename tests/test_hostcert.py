"""The SSH farm's host certificates: the CA made once (0600), each node's own key signed for
the VIP, its name and address, and a certificate recognised as current only if it says so."""

from __future__ import annotations

import dataclasses
import stat
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from lvsha import environments, hostcert, paths
from lvsha.spec import ClusterSpec, RealServer, Service
from ops import hostcert as signing
from ops.keys import ensure_host_ca

LAB = environments.load("lab")


@pytest.fixture
def spec(tmp_path: Path) -> ClusterSpec:
    """The lab spec, its secrets in a directory of the test's own."""
    return dataclasses.replace(LAB, secrets_dir=PurePosixPath(tmp_path / "secrets"))


def host_key(tmp_path: Path, name: str) -> str:
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key.with_suffix(".pub").read_text()


def test_an_ssh_farm_is_a_service_on_22_answered_by_the_nodes_sshd() -> None:
    assert [s.name for s in hostcert.farm_services(LAB)] == ["ssh"]
    demo_only = dataclasses.replace(LAB, services=(
        Service(name="http", port=80, real_server=RealServer.DEMO),))
    assert hostcert.farm_services(demo_only) == ()


def test_the_ca_is_made_once_private_and_its_line_names_every_way_in(spec: ClusterSpec) -> None:
    ca = ensure_host_ca(spec)
    assert ca is not None and stat.S_IMODE(ca.stat().st_mode) == 0o600
    before = ca.read_bytes()
    assert ensure_host_ca(spec) == ca and ca.read_bytes() == before
    line = paths.farm_known_hosts(spec).read_text()
    marker, hosts, key_type, key, _ = line.split(" ", 4)
    assert (marker, key_type) == ("@cert-authority", "ssh-ed25519")
    assert key in ca.with_suffix(".pub").read_text()
    assert set(hosts.split(",")) == {str(spec.vip.address)} | {
        str(n.address) for n in spec.nodes} | {n.name for n in spec.nodes}


def test_a_signed_key_is_current_for_its_node_only(spec: ClusterSpec, tmp_path: Path) -> None:
    ensure_host_ca(spec)
    lab1, lab2 = spec.nodes[0], spec.nodes[1]
    key = host_key(tmp_path, "lab1")
    certificate = signing.sign(spec, lab1, key)
    shown = subprocess.run(["ssh-keygen", "-L", "-f", "-"], input=certificate, text=True,
                           capture_output=True, check=True).stdout
    assert "host certificate" in shown and 'Key ID: "lvsha-lab-lab1"' in shown
    assert signing.certifies(spec, lab1, key, certificate)
    # What the deploy must sign again: another node's principals, another key, garbage.
    assert not signing.certifies(spec, lab2, key, certificate)
    assert not signing.certifies(spec, lab1, host_key(tmp_path, "other"), certificate)
    assert not signing.certifies(spec, lab1, key, "not a certificate\n")


def test_a_certificate_from_another_ca_is_not_current(spec: ClusterSpec, tmp_path: Path
                                                       ) -> None:
    ensure_host_ca(spec)
    key = host_key(tmp_path, "lab1")
    other = dataclasses.replace(spec, secrets_dir=PurePosixPath(tmp_path / "other"))
    ensure_host_ca(other)
    assert not signing.certifies(spec, spec.nodes[0], key, signing.sign(other, spec.nodes[0], key))
