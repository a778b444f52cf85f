#!/usr/bin/env bash
# Where sshm's memory goes with chatty hosts: valgrind massif over one run of the `200k` job
# of bench/rss_chatty.sh (each host prints 200 KB), then ms_print's peak snapshot.
#
#   bench/heap_chatty.sh [--hosts 64] [--conc 64] [--sshm PATH]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
hosts=64 conc=64 bin=$repo/build/rel/sshm
while [ $# -gt 0 ]; do
  case $1 in
  --hosts) hosts=$2; shift ;;
  --conc) conc=$2; shift ;;
  --sshm) bin=$2; shift ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "bench/heap_chatty.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
source "$repo/tests/e2e/lib/fleet.sh"
fleet_init
trap fleet_cleanup EXIT
fleet_add_hosts "$hosts" host || exit 1
fleet_write_files
chatty="yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 204800"
out=$FLEET_DIR/massif.out
SSH_AUTH_SOCK= valgrind --tool=massif --massif-out-file="$out" --max-snapshots=60 --depth=12 \
  "$bin" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --state-dir "$FLEET_DIR/st" exec "$chatty" -t all \
  --max-concurrency "$conc" --no-progress -q >/dev/null 2>"$FLEET_DIR/massif.err" || echo "sshm exited $?"
# The peak snapshot: its row of the table and its allocation tree.
peak=$(ms_print "$out" | sed -n 's/.*[[ ]\([0-9][0-9]*\) (peak).*/\1/p' | head -1)
ms_print "$out" | awk -v peak="$peak" '
  /^ +[0-9]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+$/ { inside = ($1 == peak) }
  inside' | head -60
