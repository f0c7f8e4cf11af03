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

# Install everything, then bring the local lab up (3 qemu VMs answering SSH).
lab: synth
	$(PYTHON) -m lab lab status
	cdktf deploy lab --auto-approve
	$(PYTHON) -m lab lab status --expect-up
	@echo "lab up: 'python -m lab lab ssh lab1 hostname' to reach a node, 'make lab-down' to remove it"

# Remove the lab: Terraform's destroy, then anything of the lab's that Terraform lost track of.
lab-down: setup
	cdktf destroy lab --auto-approve
	$(PYTHON) -m lab lab down

lab-status: setup
	$(PYTHON) -m lab lab status

# Type-check the pure package, then every test tier (lab tests included).
test: setup
	mypy --strict lvsha
	pytest $(PYTEST_ARGS)
