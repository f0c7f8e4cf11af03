"""The lab stack: Terraform's builtin terraform_data resources drive the lab code.

No provider download is needed. One resource builds (or finds) the image, one creates the
network namespace, and one per node starts its VM; their destroy provisioners stop the VMs and
remove the namespace. `cdktf deploy lab` returns when every node answers SSH.
"""

from __future__ import annotations

import shlex

from cdktf import DataResource, LocalExecProvisioner, TerraformOutput, TerraformStack
from constructs import Construct

from lab import cli
from lab.layout import Layout
from lvsha.paths import REPO
from lvsha.spec import ClusterSpec, FenceVirsh


def _lab(spec: ClusterSpec, verb: str, *args: str) -> str:
    return shlex.join(cli.command_line(spec.name, verb, *args))


def _provisioners(create: str, destroy: str | None = None) -> list[LocalExecProvisioner]:
    provisioners = [LocalExecProvisioner(type="local-exec", command=create,
                                         working_dir=str(REPO))]
    if destroy:
        provisioners.append(LocalExecProvisioner(type="local-exec", command=destroy,
                                                 working_dir=str(REPO), when="destroy"))
    return provisioners


class LabStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, spec: ClusterSpec) -> None:
        super().__init__(scope, id_)
        image = DataResource(self, "image", provisioners=_provisioners(_lab(spec, cli.IMAGE)))
        net = spec.network
        network = DataResource(
            self, "network",
            triggers_replace={"cidr": str(net.cidr), "gateway": str(net.gateway)},
            provisioners=_provisioners(_lab(spec, cli.NETWORK_UP), _lab(spec, cli.NETWORK_DOWN)),
        )
        if isinstance(spec.fencing, FenceVirsh):
            DataResource(
                self, "virsh-host",
                triggers_replace={"user": spec.fencing.user,
                                  "identity_file": str(spec.fencing.identity_file)},
                depends_on=[network],
                provisioners=_provisioners(_lab(spec, cli.VIRSH_HOST_UP),
                                           _lab(spec, cli.VIRSH_HOST_DOWN)),
            )
        for node in spec.nodes:
            DataResource(
                self, Layout.node_resource(node),
                triggers_replace={"address": str(node.address), "mac": node.mac,
                                  "memory_mib": str(spec.vm.memory_mib), "nic": spec.nic},
                depends_on=[image, network],
                provisioners=_provisioners(_lab(spec, cli.NODE_UP, node.name),
                                           _lab(spec, cli.NODE_DOWN, node.name)),
            )
        TerraformOutput(self, "nodes", value={n.name: str(n.address) for n in spec.nodes})
        TerraformOutput(self, "namespace", value=Layout(spec).namespace)
