"""What the spec's fencing needs on the nodes beyond the CIB (lvs.cluster_configuration puts
the STONITH device and stonith-watchdog-timeout there): diskless sbd before corosync starts,
fence_virsh's key to the libvirt host, or a warning that no node will be fenced."""

from __future__ import annotations

from io import StringIO
from pathlib import PurePosixPath

from pyinfra import logger
from pyinfra.api import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.operations import files, systemd

from lvsha import footprint, paths, render
from lvsha.spec import ClusterSpec, FenceVirsh, NoFencing, WatchdogSbd
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


def sbd(spec: ClusterSpec) -> list[OperationMeta]:
    """sbd's settings and unit, for corosync.configure to put before corosync starts (sbd's
    unit is RequiredBy corosync's once enabled, and refuses a manual start): the operations
    whose change needs the cluster stack restarted, which starts sbd."""
    fencing = spec.fencing
    if not isinstance(fencing, WatchdogSbd):
        # Enabled, sbd without a watchdog would keep corosync from starting. Only disabled,
        # not stopped: pacemaker's controller exits where stonith-watchdog-timeout is set and
        # sbd does not run, and the property goes later (lvs.cluster_configuration).
        systemd.service(name="Keep sbd off (this spec fences otherwise)",
                        service=footprint.SBD_UNIT, running=None, enabled=False)
        return []
    return [
        files.put(name=f"Deploy {footprint.SBD_CONFIG}",
                  src=StringIO(render.sbd_config(fencing)), dest=footprint.SBD_CONFIG,
                  user="root", group="root", mode="644"),
        systemd.service(name="Enable sbd (corosync starts it)", service=footprint.SBD_UNIT,
                        running=None, enabled=True),
    ]
