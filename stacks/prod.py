"""The production stack: a NAT network, a pool, and one cloud-init VM per node on libvirt."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from cdktf import DataResource, LocalExecProvisioner, TerraformOutput, TerraformStack
from constructs import Construct

from lvsha.cloudinit import seed
from lvsha.paths import REPO
from lvsha.spec import ClusterSpec, Node
from stacks import libvirt as lv

IMAGE_CACHE = Path.home() / ".cache" / "lvsha" / "images"
GIB = 1 << 30


class NodeVm(Construct):
    """One node: its cloud-init seed, a copy-on-write root disk and the domain."""

    def __init__(self, scope: Construct, node: Node, *, spec: ClusterSpec, public_key: str,
                 provider: lv.LibvirtProvider, pool: str, base: lv.Volume, network: str) -> None:
        super().__init__(scope, node.name)
        documents = seed(spec, node, public_key)
        disk = lv.CloudinitDisk(self, "seed", lv.CloudinitDiskArgs(
            name=f"{node.name}-seed",
            user_data=documents.user_data,
            meta_data=documents.meta_data,
            network_config=documents.network_config,
        ), provider)
        seed_volume = lv.Volume(self, "seed-volume", lv.VolumeArgs(
            name=f"{node.name}-seed.iso",
            pool=pool,
            create=lv.VolumeCreate(lv.VolumeContent(url=disk.path)),
        ), provider)
        root = lv.Volume(self, "root", lv.VolumeArgs(
            name=f"{node.name}-root.qcow2",
            pool=pool,
            capacity=spec.vm.disk_gib * GIB,
            target=lv.VolumeTarget(lv.VolumeFormat("qcow2")),
            backing_store=lv.VolumeBackingStore(path=base.path, format=lv.VolumeFormat("qcow2")),
        ), provider)
        lv.Domain(self, "domain", lv.DomainArgs(
            name=spec.vm_name(node),
            memory=spec.vm.memory_mib,
            vcpu=spec.vm.vcpus,
            devices=lv.DomainDevices(
                disks=(
                    lv.Disk(source=lv.DiskSource(lv.DiskSourceVolume(pool, root.name)),
                            target=lv.DiskTarget(dev="vda", bus="virtio"),
                            driver=lv.DiskDriver("qcow2")),
                    lv.Disk(source=lv.DiskSource(lv.DiskSourceVolume(pool, seed_volume.name)),
                            target=lv.DiskTarget(dev="sda", bus="sata"),
                            device="cdrom", read_only=True),
                ),
                interfaces=(lv.Interface(
                    mac=lv.InterfaceMac(node.mac),
                    source=lv.InterfaceSource(lv.InterfaceSourceNetwork(network)),
                ),),
            ),
        ), provider)


class ProdStack(TerraformStack):
    """Everything `cdktf deploy prod` creates; `cdktf destroy prod` removes all of it."""

    def __init__(self, scope: Construct, id_: str, *, spec: ClusterSpec, public_key: str) -> None:
        super().__init__(scope, id_)
        provider = lv.LibvirtProvider(self, "libvirt", uri=spec.libvirt.uri)
        prefix = f"lvsha-{spec.name}"
        pool = lv.Pool(self, "pool", lv.PoolArgs(
            name=prefix, type="dir",
            target=lv.PoolTarget(str(spec.libvirt.pool_dir / prefix)),
        ), provider)
        net = spec.network
        network = lv.Network(self, "network", lv.NetworkArgs(
            name=prefix,
            forward=lv.NetworkForward(mode="nat"),
            ips=(lv.NetworkIp(
                address=str(net.gateway),
                prefix=net.cidr.prefixlen,
                dhcp=lv.NetworkDhcp(hosts=tuple(
                    lv.DhcpHost(mac=n.mac, name=n.name, ip=str(n.address)) for n in spec.nodes
                )),
            ),),
            dns=lv.NetworkDns(host=tuple(
                lv.DnsHost(ip=str(n.address), hostnames=(lv.DnsHostname(n.name),))
                for n in spec.nodes
            )),
            domain=lv.NetworkDomain(name=spec.name),
        ), provider)
        image = IMAGE_CACHE / PurePosixPath(urlparse(spec.vm.image_url).path).name
        fetch = DataResource(self, "base-image-fetch", triggers_replace={
            "url": spec.vm.image_url, "sha512": spec.vm.image_sha512 or "SHA512SUMS",
        }, provisioners=[LocalExecProvisioner(
            type="local-exec",
            command=" ".join([
                "python3", str(REPO / "scripts" / "fetch_image.py"),
                "--url", spec.vm.image_url, "--dest", str(image),
                *(["--sha512", spec.vm.image_sha512] if spec.vm.image_sha512 else []),
            ]),
        )])
        base = lv.Volume(self, "base-image", lv.VolumeArgs(
            name=f"{prefix}-base.qcow2",
            pool=pool.name,
            target=lv.VolumeTarget(lv.VolumeFormat("qcow2")),
            create=lv.VolumeCreate(lv.VolumeContent(url=str(image))),
        ), provider, depends_on=[fetch])
        for node in spec.nodes:
            NodeVm(self, node, spec=spec, public_key=public_key, provider=provider,
                   pool=pool.name, base=base, network=network.name)

        TerraformOutput(self, "nodes", value={n.name: str(n.address) for n in spec.nodes})
        TerraformOutput(self, "vip", value=str(spec.vip.address))
        TerraformOutput(self, "ssh_user", value=spec.ssh.user)
