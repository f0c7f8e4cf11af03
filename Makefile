# The two commands of the README: `make lab` and `make test`. The rest are helpers.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/bin:$(CURDIR)/.venv/bin:$(PATH)
PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: setup synth lab lab-down lab-status test

setup:
	scripts/setup.sh

synth: setup
	cdktf synth

# Install everything, bring the lab's 3 VMs up, deploy the cluster on them, show it working.
lab: synth
	$(PYTHON) -m lab lab status || { echo "removing the leftover lab first"; $(MAKE) --no-print-directory lab-down; }
	cdktf deploy lab --auto-approve
	$(PYTHON) -m lab lab status
	$(PYTHON) -m lab lab deploy
	$(PYTHON) -m lab lab proof
	@echo "the lab cluster is up: '.venv/bin/python -m lab lab ssh lab1 sudo crm_mon -1' on a node; 'make lab-down' removes it"

# Remove the lab: Terraform's destroy, then anything of the lab's that Terraform lost track of.
lab-down: setup
	cdktf destroy lab --auto-approve
	$(PYTHON) -m lab lab down

lab-status: setup
	$(PYTHON) -m lab lab status

# Lint (ruff, imports sorted) and type-check everything (the bench and lab scripts run only
# with a lab, so this is their fast check), then every test tier (lab tests included).
test: setup
	ruff check .
	mypy --strict lvsha lab stacks ops tests main.py bench/deploy.py bench/failover.py bench/nodes.py bench/seed_agent.py bench/soak.py
	mypy --strict bench/lab.py  # apart: its module name is the lab package's
	mypy --strict --implicit-reexport pyinfra_deploys deploy.py deploy_keepalived.py  # pyinfra's API re-exports host, deploy
	pytest $(PYTEST_ARGS)
