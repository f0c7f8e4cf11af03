"""pyinfra inventory for the lab environment, built from its spec: `pyinfra inventories/lab.py ...`."""

from pathlib import Path

from lvsha import environments, inventory

nodes = inventory.hosts(environments.load("lab"), Path(__file__).resolve().parent.parent)
