#!/usr/bin/env bash
# Install everything lvsha needs on a Debian 12 machine: apt packages, a Python venv with the
# pinned dependencies, and the pinned CDKTF CLI. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    # the lab: VMs under qemu TCG, the image built with debootstrap, its cloud-init seed
    qemu-system-x86 qemu-utils debootstrap e2fsprogs genisoimage iproute2 openssh-client
    # tests: crm_verify validates rendered CIB XML, ocf-tester runs the agent
    pacemaker-cli-utils resource-agents ldirectord ipvsadm libxml2-utils
    # tests: the lvs agent's demote waits for the new director with arping (its own package)
    iputils-arping
    # tests: the keepalived reference's config is checked by keepalived and nft themselves;
    # the boot guard (lvsha-boot-guard.nft) runs in a namespace
    keepalived nftables
    # tests: lvsha/data/fence_agents.json is checked against the agents' own meta-data
    fence-agents
    # tests: cloud-init's own schema check of the seeds (its code unpacked below) needs its
    # Python dependencies; plain libraries, no service
    python3-configobj python3-jinja2 python3-jsonpatch python3-jsonschema python3-netifaces
    python3-oauthlib python3-requests python3-serial python3-yaml
    python3-venv nodejs make
)

step() { printf '[setup %4ds] %s\n' "$SECONDS" "$*"; }

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    step "apt: installing ${missing[*]}"
    [[ $(id -u) == 0 ]] || { echo "setup: apt packages missing and not root; run as root" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v npm >/dev/null || { echo "setup: npm not found (it ships with nodejs >= 20)" >&2; exit 1; }
command -v terraform >/dev/null || {
    echo "setup: terraform not found on PATH; install Terraform >= 1.5 (cdktf deploy runs it)" >&2
    exit 1
}

mkdir -p .setup
if [[ ! -x .venv/bin/python ]]; then
    step "python: creating .venv"
    python3 -m venv .venv
fi
if [[ ! .setup/pip.stamp -nt pyproject.toml || ! .setup/pip.stamp -nt constraints.txt ]]; then
    step "python: installing pinned dependencies"
    .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
    .venv/bin/pip check
    touch .setup/pip.stamp
fi
if [[ ! .setup/npm.stamp -nt package-lock.json ]]; then
    step "npm: installing the pinned cdktf-cli"
    npm ci --no-audit --no-fund --loglevel=error
    touch .setup/npm.stamp
fi
# Installed, cloud-init would configure this machine at its next boot: its package is only
# unpacked, for the tests to run its schema check (tests/toolchecks.py).
if [[ ! -d .setup/cloud-init/usr/lib/python3/dist-packages/cloudinit ]]; then
    step "cloud-init: unpacking Debian's package for its schema check"
    rm -rf .setup/cloud-init .setup/cloud-init-deb
    mkdir -p .setup/cloud-init-deb
    (cd .setup/cloud-init-deb && apt-get download -qq cloud-init)
    dpkg-deb -x .setup/cloud-init-deb/cloud-init_*.deb .setup/cloud-init
    rm -rf .setup/cloud-init-deb
fi
.venv/bin/python -m ops.keys
step "ready: $(.venv/bin/python --version), cdktf $(node_modules/.bin/cdktf --version), $(TF_CLI_CONFIG_FILE="$PWD/terraform.rc" terraform version | head -1)"
