"""Debian packages a cluster node needs: the deploy installs them, the lab image ships them."""

CLUSTER_PACKAGES = (
    "corosync",
    "pacemaker",
    "pacemaker-cli-utils",
    "pcs",
    "resource-agents",
    "ldirectord",
    "ipvsadm",
    "iputils-arping",  # the lvs agent's demote waits until the new director answers ARP
    "fence-agents",
    "sbd",  # WatchdogSbd; kept disabled under other fencing
    "nftables",  # the boot unit's guard (footprint.BOOT_GUARD_NFT)
)

# The demo real server (RealServer.DEMO, the lab's): socat answers each connection.
DEMO_PACKAGES = ("socat",)

# The keepalived reference (lvsha/keepalived.py): VRRP + IPVS, and nftables for its marks.
REFERENCE_PACKAGES = ("keepalived", "nftables")
