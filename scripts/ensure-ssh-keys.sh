#!/usr/bin/env bash
# Generate each environment's deploy key pair under secrets/ if it is missing (mode 0600).
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
for key in $(.venv/bin/python -m lvsha keys); do
    [[ -f $key ]] && continue
    mkdir -p "$(dirname "$key")"
    ssh-keygen -q -t ed25519 -N '' -C "lvsha-$(basename "$(dirname "$key")")" -f "$key"
    echo "[setup] generated deploy key $key"
done
