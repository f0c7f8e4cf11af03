# The two commands of the README: `make lab` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

export PATH := $(CURDIR)/.venv/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CHECKPOINT_DISABLE := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export TF_CLI_CONFIG_FILE := $(CURDIR)/terraform.rc

.PHONY: setup lab test synth

setup:
	scripts/setup.sh

synth: setup
	cdktf synth

# Install everything, then run the main job on the local lab.
lab: synth
	python -m lvsha check lab
	python -m lvsha render lab ldirectord.cf
	python -m lvsha render lab cib.xml

# Type-check the pure package, then every test tier (lab tests included).
test: setup
	mypy --strict lvsha
	pytest $(PYTEST_ARGS)
