#!/usr/bin/env bash
# What a tick with nothing due costs: `sshm tick` against a state dir holding N associations
# and M maintenance windows none of which is due, over a 200-host inventory, timed over 40
# runs (median and p90, whole process), next to `sshm --version` (the process start alone).
# Also checks that such a tick makes no network connection (strace, when installed).
# Appends to bench/tick-results.md.
#
#   bench/tick.sh [--sshm PATH] [--runs N] [--associations N] [--windows M]   (default 5 and 2)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
sshm=$repo/build/rel/sshm
runs=40
associations=5
windows=2
while [ $# -gt 0 ]; do
  case $1 in
    --sshm) sshm=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --associations) associations=$2; shift 2 ;;
    --windows) windows=$2; shift 2 ;;
    *) echo "usage: bench/tick.sh [--sshm PATH] [--runs N] [--associations N] [--windows M]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SSHM_STATE_DIR=$work/state XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state-home
{
  echo "hosts:"
  for i in $(seq -w 1 200); do echo "  web-$i: {address: 192.0.2.$((10#$i % 250 + 1)), tags: {Role: web}}"; done
} >"$work/inventory.yaml"
export SSHM_INVENTORY=$work/inventory.yaml
# Due on Sundays at 03:00 only, and never at creation (ApplyOnlyAtCronInterval).
for i in $(seq 1 "$associations"); do
  "$sshm" associations create --name AWS-RunShellScript --association-name "a-$i" -t tag:Role=web \
    -p commands=true --schedule-expression 'cron(0 3 ? * SUN *)' --apply-only-at-cron-interval >/dev/null ||
    { echo "bench/tick.sh: could not create association a-$i" >&2; exit 1; }
done
for i in $(seq 1 "$windows"); do
  "$sshm" windows create --name "w-$i" --schedule 'cron(0 2 ? * SAT *)' --duration 4 --cutoff 1 >/dev/null ||
    { echo "bench/tick.sh: could not create window w-$i" >&2; exit 1; }
done
# The first tick may settle state; the timed ones are the steady state of a quiet minute.
"$sshm" tick 2>/dev/null
python3 - "$sshm" "$runs" "$associations" "$windows" <<'PY' | tee -a "$here/tick-results.md"
import statistics, subprocess, sys, time, datetime
sshm, runs, n_assoc, n_windows = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def times(args):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sshm] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.9) - 1]
tick = times(["tick"])
start = times(["--version"])
print(f"\n## {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {runs} runs, {n_assoc} associations + {n_windows} windows, 200 hosts, nothing due\n")
print("| | median | p90 |\n|---|---|---|")
print(f"| `sshm tick` (whole process) | {tick[0]:.1f} ms | {tick[1]:.1f} ms |")
print(f"| `sshm --version` (process start) | {start[0]:.1f} ms | {start[1]:.1f} ms |")
print(f"| the tick's own work (difference of medians) | {tick[0] - start[0]:.1f} ms | |")
PY
if command -v strace >/dev/null; then
  n=$(strace -f -e trace=connect "$sshm" tick 2>&1 | grep -c 'connect(.*AF_INET' || true)
  echo "| network connections opened by the tick (strace) | $n | |" | tee -a "$here/tick-results.md"
fi
