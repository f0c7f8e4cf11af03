"""Rendered files judged by their own tools, offline: each returns the tool's result, so a
test asserts on it and shows the tool's message when it fails."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from lvsha import keepalived, render
from lvsha.cloudinit import seed
from lvsha.paths import REPO
from lvsha.spec import ClusterSpec, Node, WatchdogSbd

# Debian 12's cloud-init (what the nodes run), unpacked by scripts/setup.sh.
CLOUD_INIT = REPO / ".setup" / "cloud-init" / "usr" / "lib" / "python3" / "dist-packages"
# Any well-formed key: the seed carries the deploy user's public key.
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly0000000000000000000 t@lvsha"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def ldirectord_status(spec: ClusterSpec, directory: Path) -> subprocess.CompletedProcess[str]:
    """ldirectord's own parser (its `status` reads the file first): exit 3 is "stopped"; a
    config error exits 2 and names the line."""
    config = directory / "ldirectord.cf"
    config.write_text(render.ldirectord_cf(spec))
    return _run("/usr/sbin/ldirectord", str(config), "status")


def crm_verify(spec: ClusterSpec, directory: Path) -> subprocess.CompletedProcess[str]:
    """The rendered resources, constraints and alerts, with the cluster properties, as a whole CIB
    checked against pacemaker's own schema and IDREFs."""
    configuration = ET.fromstring(render.cib_configuration(spec))
    configuration.insert(0, ET.Element("nodes"))
    crm_config = ET.Element("crm_config")
    properties = ET.SubElement(crm_config, "cluster_property_set", id="props")
    for name, value in render.cluster_properties(spec).items():
        ET.SubElement(properties, "nvpair", id=f"props-{name}", name=name, value=value)
    if isinstance(spec.fencing, WatchdogSbd):
        # What pacemaker's controller writes once it finds sbd running on the node: the
        # watchdog counts as the fence device (without it, crm_verify says none is defined).
        ET.SubElement(properties, "nvpair", id="props-have-watchdog", name="have-watchdog",
                      value="true")
    configuration.insert(0, crm_config)
    cib = ET.Element("cib", {"validate-with": "pacemaker-3.9", "epoch": "1",
                             "num_updates": "0", "admin_epoch": "0"})
    cib.append(configuration)
    cib.append(ET.Element("status"))
    path = directory / "cib.xml"
    ET.ElementTree(cib).write(path)
    return _run("crm_verify", "--xml-file", str(path))


def corosync_test(spec: ClusterSpec, directory: Path, text: str | None = None
                  ) -> subprocess.CompletedProcess[str]:
    """`corosync -t` (parse and check, then exit) on the spec's corosync.conf (or ``text``) as
    the first node would run it: in a network namespace of its own holding that node's address
    (corosync looks itself up in the nodelist; no lookup leaves the namespace), with a key file
    of its own, logging to stderr."""
    key = directory / "authkey"
    key.write_bytes(bytes(range(256)))
    conf = directory / "corosync.conf"
    text = render.corosync_conf(spec) if text is None else text
    conf.write_text(text.replace("totem {\n", f"totem {{\n\tkeyfile: {key}\n", 1)
                    .replace("to_stderr: no", "to_stderr: yes"))
    script = ("ip link set lo up && ip address add \"$1\"/32 dev lo && "
              "exec corosync -t -c \"$2\"")
    return _run("unshare", "--net", "sh", "-c", script, "-", str(spec.nodes[0].address),
                str(conf))


def keepalived_config_test(text: str, nic: str, directory: Path
                           ) -> subprocess.CompletedProcess[str]:
    """`keepalived --config-test` in a network namespace of its own that has the spec's NIC
    (keepalived refuses a configuration naming an interface it cannot find)."""
    conf, log = directory / "keepalived.conf", directory / "config-test.log"
    conf.write_text(text)
    script = ("ip link add \"$1\" type bridge && "
              "exec keepalived --config-test=\"$2\" -f \"$3\"")
    result = _run("unshare", "--net", "sh", "-c", script, "-", nic, str(log), str(conf))
    result.stderr += log.read_text() if log.exists() else ""
    return result


def keepalived_accepts(spec: ClusterSpec, node: Node, directory: Path
                       ) -> subprocess.CompletedProcess[str]:
    return keepalived_config_test(keepalived.keepalived_conf(spec, node), spec.nic, directory)


def nft_check(spec: ClusterSpec, directory: Path) -> subprocess.CompletedProcess[str]:
    """`nft -c` in a network namespace of its own (it checks against a kernel's nftables)."""
    path = directory / "nftables.conf"
    path.write_text(keepalived.nftables_conf(spec))
    return _run("unshare", "--net", "nft", "-c", "-f", str(path))


def cloud_init_schema(text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """cloud-init's own `schema` command on a user-data document, run from Debian's package
    with the system Python (its dependencies are Debian's python3-* packages)."""
    path = directory / "user-data"
    path.write_text(text)
    return subprocess.run(["/usr/bin/python3", "-c", "import sys; from cloudinit.cmd.main "
                           "import main; sys.exit(main())", "schema", "--config-file", str(path)],
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(CLOUD_INIT), "PATH": "/usr/bin:/bin"})


def seed_schema(spec: ClusterSpec, node: Node, directory: Path) -> subprocess.CompletedProcess[str]:
    return cloud_init_schema(seed(spec, node, PUBLIC_KEY).user_data, directory)
