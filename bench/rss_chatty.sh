#!/usr/bin/env bash
# Peak RSS of sshm with chatty hosts: 200 KB of output per host (the `200k` job of
# bench/run.sh) on N loopback hosts at each concurrency, and `true` for the floor. Peak RSS is
# the kernel's high-water mark of the sshm process (ru_maxrss from wait4 = VmHWM); CPU is its
# user+sys. Prints a markdown table; every run is listed (no median: RSS barely varies).
#
#   bench/rss_chatty.sh [--hosts 200] [--conc "64 256"] [--runs 2] [--sshm PATH]...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
hosts=200 concs="64 256" runs=2 bins=()
while [ $# -gt 0 ]; do
  case $1 in
  --hosts) hosts=$2; shift ;;
  --conc) concs=$2; shift ;;
  --runs) runs=$2; shift ;;
  --sshm) bins+=("$2"); shift ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#bins[@]} -gt 0 ] || bins=("$repo/build/rel/sshm")
ulimit -n "$(ulimit -Hn)" 2>/dev/null
source "$repo/tests/e2e/lib/fleet.sh"
fleet_init
fleet_add_hosts "$hosts" host || exit 1
fleet_write_files
chatty="yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 204800"
echo "| sshm | job | N | concurrency | peak RSS MB (each run) | sshm CPU s (each run) | Success |"
echo "|---|---|---|---|---|---|---|"
for conc in $concs; do
  for job in true 200k; do
    cmd=true
    [ "$job" = 200k ] && cmd=$chatty
    for b in "${bins[@]}"; do
      rss=() cpu=() ok=""
      for ((r = 0; r < runs; r++)); do
        rm -rf "$FLEET_DIR/st"
        m=$(SSH_AUTH_SOCK= python3 -c '
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
print(f"{ru.ru_maxrss / 1024:.1f} {ru.ru_utime + ru.ru_stime:.2f}")' \
          "$b" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --state-dir "$FLEET_DIR/st" exec "$cmd" -t all \
          --max-concurrency "$conc" --no-progress -q)
        rss+=("${m% *}") cpu+=("${m#* }")
        ok+="$(SSH_AUTH_SOCK= "$b" --state-dir "$FLEET_DIR/st" -o json commands list 2>/dev/null |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["Commands"][0]["CompletedCount"], end="")' 2>/dev/null) "
      done
      echo "| $b | $job | $hosts | $conc | ${rss[*]} | ${cpu[*]} | ${ok% } |"
    done
  done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(date -u +%FT%TZ)"
