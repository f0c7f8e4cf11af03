"""The keepalived reference from the same spec, on nodes that do not run lvsha's cluster.

    pyinfra -y inventories/lab.py deploy_keepalived.py    (the lab: run inside its namespace)

Only for measuring lvsha against keepalived (bench/failover.py); see pyinfra_deploys/keepalived.py.
"""

from pyinfra_deploys import demo, keepalived, preflight

preflight.check_inventory_matches_spec()
preflight.check_release()
demo.demo_service()
keepalived.reference()
