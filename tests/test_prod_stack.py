"""The production stack, synthesized offline and checked against the provider's schema."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from schema_check import load_schema, violations

from lvsha import environments, render
from lvsha.spec import ClusterSpec
from lvsha.validate import SpecError
from ops.keys import read_public_key
from stacks import libvirt as lv
from stacks.prod import ProdStack

PROD = environments.load("prod")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly0000000000000000000 test@lvsha"


def synth(spec: ClusterSpec = PROD) -> dict[str, Any]:
    stack = ProdStack(CdktfTesting.app(), "prod", spec=spec, public_key=KEY)
    result: dict[str, Any] = json.loads(CdktfTesting.synth(stack))
    return result


def resources(synthesized: dict[str, Any]) -> dict[str, Any]:
    return {f"{kind}.{name}": body for kind, items in synthesized["resource"].items()
            for name, body in items.items()}


def test_every_attribute_is_in_the_pinned_provider_schema() -> None:
    synthesized = synth()
    assert violations(synthesized, load_schema()) == []
    provider = synthesized["terraform"]["required_providers"]["libvirt"]
    assert provider == {"source": lv.PROVIDER_SOURCE, "version": lv.PROVIDER_VERSION}


def test_schema_check_catches_a_misspelt_attribute() -> None:
    @dataclass(frozen=True)
    class MisspeltDomain:
        name: str
        type: str
        memroy: int

    class Bad(lv._LibvirtResource[MisspeltDomain]):
        resource_type = "libvirt_domain"

    stack = TerraformStack(CdktfTesting.app(), "bad")
    Bad(stack, "vm", MisspeltDomain("vm", "kvm", 1024), lv.LibvirtProvider(stack, "p", uri="x"))
    found = violations(json.loads(CdktfTesting.synth(stack)), load_schema())
    assert found == ["libvirt_domain.vm.memroy: not in the provider schema"]


def test_each_node_appears_in_network_and_domain() -> None:
    synthesized = synth()
    network = next(iter(synthesized["resource"]["libvirt_network"].values()))
    hosts = network["ips"][0]["dhcp"]["hosts"]
    assert hosts == [{"mac": n.mac, "name": n.name, "ip": str(n.address)} for n in PROD.nodes]
    assert network["ips"][0]["address"] == str(PROD.network.gateway)
    assert network["forward"] == {"mode": "nat"}
    domains = synthesized["resource"]["libvirt_domain"].values()
    by_name = {d["name"]: d for d in domains}
    assert set(by_name) == {f"{PROD.name}-{n.name}" for n in PROD.nodes}
    for node in PROD.nodes:
        domain = by_name[f"{PROD.name}-{node.name}"]
        assert domain["devices"]["interfaces"][0]["mac"] == {"address": node.mac}
        assert domain["memory"] == PROD.vm.memory_mib and domain["memory_unit"] == "MiB"


def test_fence_virsh_names_the_vms_the_stack_creates() -> None:
    """The fence device's node-to-domain map is the stack's, so fencing resets the right VM."""
    device = render.fence_device(PROD)
    assert device is not None and device.agent == "fence_virsh"
    host_map = dict(pair.split(":") for pair in dict(device.params)["pcmk_host_map"].split(";"))
    domains = {d["name"] for d in synth()["resource"]["libvirt_domain"].values()}
    assert set(host_map) == {n.name for n in PROD.nodes} and set(host_map.values()) == domains


def test_changing_a_node_address_changes_only_what_depends_on_it() -> None:
    nodes = list(PROD.nodes)
    nodes[1] = dataclasses.replace(nodes[1], address=IPv4Address(int(nodes[1].address) + 10))
    before = resources(synth())
    after = resources(synth(dataclasses.replace(PROD, nodes=tuple(nodes))))
    assert before.keys() == after.keys()
    changed = {key.split(".")[0] + "." + key.split(".")[1].split("_")[0]
               for key in before if before[key] != after[key]}
    # The network's DHCP/DNS entries and every seed (each node's /etc/hosts lists all nodes).
    assert changed == {"libvirt_network.network", "libvirt_cloudinit_disk.node1",
                       "libvirt_cloudinit_disk.node2", "libvirt_cloudinit_disk.node3"}


def test_cloud_init_documents_parse_and_carry_the_spec() -> None:
    disks = synth()["resource"]["libvirt_cloudinit_disk"].values()
    by_name = {d["name"]: d for d in disks}
    for node in PROD.nodes:
        disk = by_name[f"{node.name}-seed"]
        user_data = yaml.safe_load(disk["user_data"])
        assert disk["user_data"].startswith("#cloud-config\n")
        assert user_data["hostname"] == node.name
        (user,) = user_data["users"]
        assert user["name"] == PROD.ssh.user and user["ssh_authorized_keys"] == [KEY]
        assert user["sudo"] == "ALL=(ALL) NOPASSWD:ALL"
        hosts = user_data["write_files"][0]["content"].splitlines()
        assert all(f"{n.address} {n.name}" in hosts for n in PROD.nodes)
        meta = yaml.safe_load(disk["meta_data"])
        assert meta["local-hostname"] == node.name
        network = yaml.safe_load(disk["network_config"])
        nic = network["ethernets"][PROD.nic]
        assert nic["match"]["macaddress"] == node.mac and nic["set-name"] == PROD.nic
        assert nic["addresses"] == [f"{node.address}/{PROD.network.cidr.prefixlen}"]


def test_missing_public_key_is_a_field_named_error(tmp_path: Path) -> None:
    spec = dataclasses.replace(PROD, ssh=dataclasses.replace(
        PROD.ssh, private_key=PurePosixPath(tmp_path / "absent")))
    with pytest.raises(SpecError, match=r"ssh.private_key: no public key at .*absent.pub"):
        read_public_key(spec)
