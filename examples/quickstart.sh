#!/usr/bin/env bash
# Quick start: build sshm, start a throwaway fleet of 3 local sshd hosts on 127.0.0.1 (own
# host keys, own ports, an unprivileged user with /bin/sh), write an inventory for it, and
# show what sshm sees. Everything is removed on exit.
#   SSHM=/path/to/sshm ./examples/quickstart.sh   to use an existing binary
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

# 1. Build, unless a binary was given.
if [ -z "${SSHM:-}" ]; then
  build="$top/build/quickstart"
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "== configuring $build"
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSHM_TESTS=OFF >/dev/null
  fi
  echo "== building sshm"
  cmake --build "$build" -j"$(nproc)" --target sshm >/dev/null
  SSHM="$build/sshm"
fi
export SSHM

# 2. Start the fleet (tests/e2e/lib/fleet.sh cleans it up when this script exits).
source "$top/tests/e2e/lib/fleet.sh"
fleet_init
FLEET_HOSTS_PER_SSHD=1 fleet_add_hosts 3 demo  # one sshd each: own host key, own port
fleet_write_files
echo "== fleet of 3 in $FLEET_DIR (user $FLEET_USER)"
echo "   inventory:  $FLEET_INVENTORY"
echo "   ssh config: $FLEET_SSH_CONFIG"
cat "$FLEET_INVENTORY"

# 3. What sshm makes of it.
echo
echo "\$ sshm -i $FLEET_INVENTORY -F $FLEET_SSH_CONFIG hosts list"
fleet_sshm hosts list
echo
echo "\$ sshm -i $FLEET_INVENTORY -F $FLEET_SSH_CONFIG ping -t all"
fleet_sshm ping -t all

# ---- QUICKSTART: RUN (placeholder for the lead) -------------------------------------------
# A real `sshm run` / `sshm exec` against the fleet goes here once those commands exist.
# --------------------------------------------------------------------------------------------

echo
echo "== done; the fleet is stopped and removed on exit"
