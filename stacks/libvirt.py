"""Typed CDKTF bindings for the subset of dmacvicar/libvirt 0.9 that lvsha uses.

Written by hand because `cdktf get` needs the Terraform registry, which is out of reach here,
and no prebuilt bindings exist. The 0.9 provider mirrors libvirt XML with nested *attributes*
(objects and lists of objects, not blocks), so each nested object is a frozen dataclass and a
resource's arguments are one dataclass that synthesizes to exactly the provider's field names.
tests/fixtures/libvirt-schema.json (from the provider's docs at PROVIDER_VERSION) checks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Generic, TypeVar

from cdktf import (
    ITerraformDependable,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
)
from constructs import Construct

PROVIDER_SOURCE = "dmacvicar/libvirt"
PROVIDER_VERSION = "0.9.7"


def to_terraform(value: Any) -> Any:
    """Dataclasses to dicts keyed by field name, dropping unset (None) fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_terraform(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, (list, tuple)):
        return [to_terraform(item) for item in value]
    return value


def _metadata() -> TerraformProviderGeneratorMetadata:
    return TerraformProviderGeneratorMetadata(
        provider_name="libvirt", provider_version_constraint=PROVIDER_VERSION
    )


class LibvirtProvider(TerraformProvider):
    def __init__(self, scope: Construct, id_: str, *, uri: str) -> None:
        super().__init__(
            scope,
            id_,
            terraform_resource_type="libvirt",
            terraform_generator_metadata=_metadata(),
            terraform_provider_source=PROVIDER_SOURCE,
        )
        self.uri = uri

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {"uri": self.uri}


Args = TypeVar("Args")


class _LibvirtResource(TerraformResource, Generic[Args]):
    """A libvirt resource whose arguments are one typed dataclass."""

    resource_type = ""

    def __init__(self, scope: Construct, id_: str, args: Args, provider: LibvirtProvider,
                 depends_on: Sequence[ITerraformDependable] | None = None) -> None:
        super().__init__(
            scope,
            id_,
            terraform_resource_type=self.resource_type,
            terraform_generator_metadata=_metadata(),
            provider=provider,
            depends_on=depends_on,
        )
        self.args = args

    def _synthesize_attributes(self) -> dict[str, Any]:
        result: dict[str, Any] = to_terraform(self.args)
        return result

    @property
    def name(self) -> str:
        """A reference to the resource's name: using it makes Terraform order the two."""
        return self.get_string_attribute("name")


# --- libvirt_pool --------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolTarget:
    path: str


@dataclass(frozen=True)
class PoolArgs:
    name: str
    type: str
    target: PoolTarget


class Pool(_LibvirtResource[PoolArgs]):
    resource_type = "libvirt_pool"


# --- libvirt_network -----------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkForward:
    mode: str


@dataclass(frozen=True)
class DhcpHost:
    mac: str
    name: str
    ip: str


@dataclass(frozen=True)
class NetworkDhcp:
    hosts: tuple[DhcpHost, ...]


@dataclass(frozen=True)
class NetworkIp:
    address: str
    prefix: int
    dhcp: NetworkDhcp | None = None


@dataclass(frozen=True)
class DnsHostname:
    hostname: str


@dataclass(frozen=True)
class DnsHost:
    ip: str
    hostnames: tuple[DnsHostname, ...]


@dataclass(frozen=True)
class NetworkDns:
    host: tuple[DnsHost, ...]
    enable: str = "yes"


@dataclass(frozen=True)
class NetworkDomain:
    name: str
    local_only: str = "yes"


@dataclass(frozen=True)
class NetworkArgs:
    name: str
    forward: NetworkForward
    ips: tuple[NetworkIp, ...]
    dns: NetworkDns | None = None
    domain: NetworkDomain | None = None
    autostart: bool = True


class Network(_LibvirtResource[NetworkArgs]):
    resource_type = "libvirt_network"


# --- libvirt_volume ------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeFormat:
    type: str


@dataclass(frozen=True)
class VolumeTarget:
    format: VolumeFormat


@dataclass(frozen=True)
class VolumeBackingStore:
    path: str
    format: VolumeFormat


@dataclass(frozen=True)
class VolumeContent:
    url: str


@dataclass(frozen=True)
class VolumeCreate:
    content: VolumeContent


@dataclass(frozen=True)
class VolumeArgs:
    name: str
    pool: str
    target: VolumeTarget | None = None
    capacity: int | None = None
    backing_store: VolumeBackingStore | None = None
    create: VolumeCreate | None = None


class Volume(_LibvirtResource[VolumeArgs]):
    resource_type = "libvirt_volume"

    @property
    def path(self) -> str:
        return self.get_string_attribute("path")


# --- libvirt_cloudinit_disk ----------------------------------------------------------------


@dataclass(frozen=True)
class CloudinitDiskArgs:
    name: str
    user_data: str
    meta_data: str
    network_config: str | None = None


class CloudinitDisk(_LibvirtResource[CloudinitDiskArgs]):
    resource_type = "libvirt_cloudinit_disk"

    @property
    def path(self) -> str:
        return self.get_string_attribute("path")


# --- libvirt_domain ------------------------------------------------------------------------


@dataclass(frozen=True)
class BootDevice:
    dev: str


@dataclass(frozen=True)
class DomainOs:
    type: str = "hvm"
    type_arch: str = "x86_64"
    type_machine: str = "q35"
    boot_devices: tuple[BootDevice, ...] = (BootDevice("hd"),)


@dataclass(frozen=True)
class DiskSourceVolume:
    pool: str
    volume: str


@dataclass(frozen=True)
class DiskSource:
    volume: DiskSourceVolume


@dataclass(frozen=True)
class DiskTarget:
    dev: str
    bus: str


@dataclass(frozen=True)
class DiskDriver:
    type: str


@dataclass(frozen=True)
class Disk:
    source: DiskSource
    target: DiskTarget
    device: str | None = None
    driver: DiskDriver | None = None
    read_only: bool | None = None


@dataclass(frozen=True)
class InterfaceMac:
    address: str


@dataclass(frozen=True)
class InterfaceModel:
    type: str


@dataclass(frozen=True)
class InterfaceSourceNetwork:
    network: str


@dataclass(frozen=True)
class InterfaceSource:
    network: InterfaceSourceNetwork


@dataclass(frozen=True)
class Interface:
    mac: InterfaceMac
    source: InterfaceSource
    model: InterfaceModel = InterfaceModel("virtio")


@dataclass(frozen=True)
class ConsoleTarget:
    type: str
    port: int


@dataclass(frozen=True)
class Console:
    target: ConsoleTarget


@dataclass(frozen=True)
class RngBackend:
    random: str


@dataclass(frozen=True)
class Rng:
    backend: RngBackend
    model: str = "virtio"


@dataclass(frozen=True)
class DomainDevices:
    disks: tuple[Disk, ...]
    interfaces: tuple[Interface, ...]
    consoles: tuple[Console, ...] = (Console(ConsoleTarget(type="serial", port=0)),)
    rngs: tuple[Rng, ...] = (Rng(RngBackend(random="/dev/urandom")),)


@dataclass(frozen=True)
class DomainArgs:
    name: str
    memory: int
    vcpu: int
    devices: DomainDevices
    os: DomainOs = DomainOs()
    memory_unit: str = "MiB"
    type: str = "kvm"
    running: bool = True
    autostart: bool = True


class Domain(_LibvirtResource[DomainArgs]):
    resource_type = "libvirt_domain"
