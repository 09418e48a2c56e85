#!/bin/sh
# quickstart.sh - on a fresh Debian 12 machine (as root): install the Debian
# packages apcsim needs, build it, and run scenarios/quickstart.lua.
set -e
cd "$(dirname "$0")"
pkgs=$(grep -v '^#' .ci/packages.txt)
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
else
  # shellcheck disable=SC2086
  missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    echo "quickstart.sh: run as root to install:" $missing >&2
    exit 2
  fi
fi
make -s -j2
mkdir -p results
./build/apcsim run scenarios/quickstart.lua --db results/quickstart.db
