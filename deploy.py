"""Turn the inventory's Debian 12 nodes into the spec's HA LVS-DR cluster, idempotently.

    pyinfra -y inventories/lab.py deploy.py     (the lab: run inside its namespace)
    pyinfra -y inventories/prod.py deploy.py

config.py makes pyinfra use sudo and stop if any node cannot be reached.
"""

from pyinfra_deploys import corosync, demo, fencing, lvs, packages, preflight, sshfarm

preflight.check_inventory_matches_spec()
preflight.check_release()
lvs.packaged_ldirectord_off()
packages.install()
corosync.hacluster_password()
lvs.agent()
lvs.ldirectord()
lvs.ipvs_settings()
lvs.real_server_at_boot()
lvs.reclaim_vip_after_ifup()
demo.demo_service()
sshfarm.host_certificate()
corosync.release_departed()
corosync.configure()
corosync.forget_departed()
fencing.fencing()
lvs.cluster_configuration()
