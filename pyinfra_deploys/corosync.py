"""corosync and pacemaker from a rendered corosync.conf and a shared authkey.

Not `pcs cluster setup`: it times out under the lab's emulation (measured), and a rendered
file is declarative and reviewable. Debian starts corosync and pacemaker at install with its
own one-node config; the first lvsha deploy stops them and drops that CIB before forming the
cluster.
"""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.files import FileContents
from pyinfra.operations import files, server, systemd
from pyinfra.operations.util import any_changed

from lvsha import drift, footprint, render
from lvsha.paths import FILES
from lvsha.spec import NoFencing
from ops import secrets
from pyinfra_deploys import context, fencing
from pyinfra_deploys.facts import CorosyncClusterName, ShadowHash

# Tries of `corosync-cfgtool -R`, 2 s apart (a reload already under way refuses the next).
RELOAD_TRIES = 10


@deploy("Configure corosync and pacemaker")
def configure() -> None:
    spec = context.spec()
    first_setup = host.get_fact(CorosyncClusterName) != spec.name
    if first_setup:
        for service in ("pacemaker", "corosync"):
            systemd.service(name=f"Stop the packaged {service}", service=service,
                            running=False)
        server.shell(name="Drop the packaged one-node CIB",
                     commands=["rm -f /var/lib/pacemaker/cib/cib*"])
    files.put(name=f"Deploy {footprint.ETC_HOSTS} (every node by name)",
              src=StringIO(render.etc_hosts(spec)), dest=footprint.ETC_HOSTS, user="root",
              group="root", mode="644")
    authkey = files.put(
        name="Install the corosync authkey",
        src=str(secrets.corosync_authkey(spec)),
        dest=footprint.COROSYNC_AUTHKEY, user="root", group="root", mode="400",
    )
    wanted = render.corosync_conf(spec)
    reload_suffices = render.corosync_reload_suffices(
        host.get_fact(FileContents, path=footprint.COROSYNC_CONF), wanted)
    conf = files.put(
        name=drift.RELOADED_OPERATION if reload_suffices else drift.RESTARTED_OPERATION,
        src=StringIO(wanted),
        dest=footprint.COROSYNC_CONF, user="root", group="root", mode="644",
    )
    # Without fencing, a director whose corosync dies would keep the VIP on its NIC and its
    # IPVS table while the others promote a new one: two nodes answer ARP for the VIP, for
    # good (measured in the lab). corosync's failure then resets the node, so the VIP leaves
    # with it. Not PCMK_fail_fast: it also reset a node while the cluster first formed under
    # the lab's emulation, and the deploy hung on the lost node. With fencing the cluster
    # deals with such a node (the lab measured sbd resetting it 7-18 s after corosync was
    # killed, without this unit): one mechanism per fault, so the unit goes.
    if isinstance(spec.fencing, NoFencing):
        reset_unit = files.put(name=f"Install {footprint.COROSYNC_LOST_UNIT}",
                               src=StringIO(render.corosync_lost_unit()),
                               dest=footprint.unit_file(footprint.COROSYNC_LOST_UNIT), mode="644")
        on_failure = files.put(name="Reset the node when corosync fails (OnFailure drop-in)",
                               src=StringIO(render.corosync_lost_drop_in()),
                               dest=footprint.drop_in(footprint.COROSYNC_UNIT), mode="644")
    else:
        reset_unit = files.file(name=f"Remove {footprint.COROSYNC_LOST_UNIT} (fencing resets)",
                                path=footprint.unit_file(footprint.COROSYNC_LOST_UNIT),
                                present=False)
        on_failure = files.file(name="Remove corosync's OnFailure drop-in (fencing resets)",
                                path=footprint.drop_in(footprint.COROSYNC_UNIT), present=False)
    perlio = files.put(
        name="Start ldirectord in one perl process (PERLIO for pacemaker's agents)",
        src=str(FILES / "systemd" / "pacemaker-ldirectord.conf"),
        dest=footprint.drop_in(footprint.PACEMAKER_UNIT), mode="644",
    )
    systemd.daemon_reload(name="Reload systemd units",
                          _if=any_changed(reset_unit, on_failure, perlio))
    watchdog = fencing.sbd(spec)
    changed = any_changed(authkey, *watchdog) if reload_suffices else \
        any_changed(authkey, conf, *watchdog)
    files.put(name=f"Install {footprint.WAIT_CLUSTER}",
              src=str(FILES / "bin" / "lvsha-wait-cluster"), dest=footprint.WAIT_CLUSTER,
              user="root", group="root", mode="755")
    for service in ("corosync", "pacemaker"):
        systemd.service(name=f"Start and enable {service}", service=service, running=True,
                        enabled=True)
    if not first_setup:
        # A new token or node list, once every node has the file: corosync-cfgtool -R makes
        # every node read it again (again on each changed node: a reload repeated is
        # harmless), nothing restarts and the director stays. A node being added is started
        # below with the whole list and joins once the others have reloaded it. One node at
        # a time, and tried again while it fails: a reload still under way refuses the next
        # with CS_ERR_TRY_AGAIN (the lab's 3 -> 4: run on every node at once, two of the
        # three failed, and the deploy stopped before the CIB). Any other failure still fails
        # the operation once the tries are spent.
        server.shell(name="Reload corosync for the new timing or node list (no restart)",
                     commands=[f"for try in $(seq {RELOAD_TRIES}); do corosync-cfgtool -R "
                               "&& exit 0; sleep 2; done; exit 1"],
                     _serial=True,
                     _if=lambda: reload_suffices and conf.did_change() and not changed())
        # One node at a time, each back in the cluster before the next, pacemaker stopped
        # before corosync: restarting corosync on every node at once stopped every resource,
        # and with sbd it reset all three lab nodes (measured).
        rejoin = f"{footprint.WAIT_CLUSTER} {footprint.QUORUM_WAIT_S} member"
        server.shell(name="Restart corosync and pacemaker for the new config, node by node",
                     commands=["systemctl stop pacemaker", "systemctl restart corosync",
                               "systemctl start pacemaker", rejoin],
                     _serial=True, _if=changed)
        server.shell(name="Restart pacemaker for the new config, node by node",
                     commands=["systemctl restart pacemaker", rejoin], _serial=True,
                     _if=lambda: perlio.did_change() and not changed())
    else:
        server.shell(name=f"Wait for quorum and a DC (at most {footprint.QUORUM_WAIT_S} s)",
                     commands=[f"{footprint.WAIT_CLUSTER} {footprint.QUORUM_WAIT_S}"])


def _departed() -> list[str]:
    """Nodes this node's cluster has that the spec dropped; asked on the first node only."""
    if not context.is_first_node():
        return []
    held = host.get_fact(FileContents, path=footprint.COROSYNC_CONF)
    return render.departed_nodes(held, context.spec())


@deploy("Move everything off nodes removed from the spec")
def release_departed() -> None:
    """Before corosync's node list shrinks: a departing node is put in standby and the cluster
    settles, so its resources (the director's VIP, if it held it) move in an orderly handover
    rather than when the node is lost. Its VM goes at the next `cdktf deploy`."""
    for name in _departed():
        server.shell(name=f"Put {name} in standby (it left the spec) and let the cluster settle",
                     commands=[f"crm_attribute --node {name} --name standby --update on",
                               f"crm_resource --wait --timeout {footprint.SETTLE_WAIT_S}s"])


@deploy("Forget nodes removed from the spec")
def forget_departed() -> None:
    """After the reload dropped them from corosync: once a departed node is out of the
    membership, pacemaker forgets it (`crm_node --remove`, the step pacemaker's guide gives
    for a removed node), so it leaves the CIB's node list and status."""
    for name in _departed():
        server.shell(name=f"Remove {name} from pacemaker's node list", commands=[
            f"timeout {footprint.QUORUM_WAIT_S} sh -c 'while crm_node --list | "
            f"grep -q \" {name} member$\"; do sleep 2; done'",
            f"crm_node --force --remove {name}"])


@deploy("Set the hacluster password")
def hacluster_password() -> None:
    # Not server.user(password=...): its check for usermod runs without sudo and fails on
    # Debian, where /usr/sbin is not on a user's PATH.
    wanted = secrets.hacluster_password_hash(context.spec(), host.name)
    if host.get_fact(ShadowHash, "hacluster", _sudo=True) != wanted:
        server.shell(name="Set the hacluster password (hashed)",
                     commands=[f"usermod -p '{wanted}' hacluster"])
