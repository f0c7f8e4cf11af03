"""pyinfra inventory for the prod environment, built from its spec:
`pyinfra inventories/prod.py ...`."""

from lvsha import environments, inventory

nodes = inventory.hosts(environments.load("prod"))
