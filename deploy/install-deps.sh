#!/usr/bin/env bash
# Installs the Debian packages rmcp-server needs, from deploy/apt-packages.txt.
# The Makefile (`make run`, `make test`) and deploy/docker/Dockerfile both run
# this script, so a machine, CI and the image get the same R and R packages.
#
#   deploy/install-deps.sh            build + runtime (R headers, build tools)
#   deploy/install-deps.sh --runtime  runtime only (skips *-dev and build tools)
#
# Idempotent: when every package is already installed it does nothing, so a
# second `make test` does not touch apt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$here/apt-packages.txt"
runtime_only=false
[ "${1:-}" = "--runtime" ] && runtime_only=true

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')
if $runtime_only; then
  mapfile -t packages < <(printf '%s\n' "${packages[@]}" | grep -v -E -- '-dev$|^pkg-config$')
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
