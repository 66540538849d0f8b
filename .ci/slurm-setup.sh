#!/usr/bin/env bash
# Install Debian's SLURM (slurmctld, slurmd, clients) and munge for the SLURM executor tests.
# Idempotent: a no-op when already installed. Run as root on Debian/Ubuntu; daemons are not
# started here (tests/slurm_cluster.py starts them with its own config and stops them).
set -euo pipefail
need=(slurmctld slurmd slurm-client munge)
missing=()
for pkg in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "slurm-setup: slurm-wlm and munge already installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-setup: need root to install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# slurm-wlm is the metapackage for slurmctld + slurmd + slurm-client.
apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
echo "slurm-setup: installed slurm-wlm and munge"
