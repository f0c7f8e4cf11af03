"""What the spec's fencing needs on the nodes beyond the CIB (lvs.cluster_configuration puts
the STONITH device there): fence_virsh's key to the libvirt host, or a warning that no node
will be fenced."""

from __future__ import annotations

from pathlib import PurePosixPath

from pyinfra import logger
from pyinfra.api import deploy
from pyinfra.operations import files

from lvsha import footprint, paths
from lvsha.spec import FenceVirsh, NoFencing
from pyinfra_deploys import context


@deploy("Fencing")
def fencing() -> None:
    spec = context.spec()
    if isinstance(spec.fencing, NoFencing) and context.is_first_node():
        # To stderr: the lab reads pyinfra's --json report from stdout.
        logger.warning(f"WARNING: {spec.name} runs without fencing ({spec.fencing.reason}): "
                       "a hung or cut-off node can keep the VIP beside the new director")
    if isinstance(spec.fencing, FenceVirsh):
        files.directory(name="Directory for lvsha's fence key",
                        path=str(PurePosixPath(footprint.FENCE_VIRSH_KEY).parent),
                        user="root", group="root", mode="700")
        files.put(name="Install fence_virsh's key to the libvirt host",
                  src=str(paths.fence_key(spec)), dest=footprint.FENCE_VIRSH_KEY,
                  user="root", group="root", mode="600")
