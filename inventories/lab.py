"""pyinfra inventory for the lab environment, built from its spec:
`pyinfra inventories/lab.py ...`."""

from lvsha import environments, inventory

nodes = inventory.hosts(environments.load("lab"))
