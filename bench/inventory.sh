#!/usr/bin/env bash
# Inventory at fleet scale, written to bench/inventory-results.md (figures only, nothing asserted):
#  1. collection over real SSH: `sshm inventory collect -t all` on a loopback fleet of N sshd
#     hosts (this machine's packages, services and processes on every host): wall, hosts per
#     second, client CPU per host, peak memory, bytes received per host; 3 runs, medians;
#  2. the store and the query engine at 5,000 simulated hosts x 2,000 packages
#     (bench/inventory_query.sh): insert rate, size per host, query latency.
#
#   bench/inventory.sh [--hosts N] [--conc C] [--runs R] [--sim-hosts H] [--sim-packages P] [--sshm PATH]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
hosts=200 conc=64 runs=3 sim_hosts=5000 sim_packages=2000
sshm_bin=${SSHM:-$repo/build/rel/sshm}
out=$here/inventory-results.md
cmdline="bench/inventory.sh $*"
while [ $# -gt 0 ]; do
  case $1 in
  --hosts) hosts=$2; shift ;;
  --conc) conc=$2; shift ;;
  --runs) runs=$2; shift ;;
  --sim-hosts) sim_hosts=$2; shift ;;
  --sim-packages) sim_packages=$2; shift ;;
  --sshm) sshm_bin=$2; shift ;;
  --out) out=$2; shift ;;
  *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$sshm_bin" ] || { echo "sshm binary $sshm_bin not found: build it (cmake --build build/rel) or pass --sshm" >&2; exit 2; }
build=$(cd "$(dirname "$sshm_bin")" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null

source "$repo/tests/e2e/lib/fleet.sh"
fleet_init
trap fleet_cleanup EXIT
echo "starting $hosts loopback hosts" >&2
fleet_add_hosts "$hosts" inv >/dev/null || exit 1
fleet_write_files
sshd_pids=$(IFS=,; echo "${FLEET_PIDS[*]}")
data=$FLEET_DIR/inventory-bench.jsonl
: >"$data"
for ((run = 1; run <= runs; run++)); do
  w=$FLEET_DIR/run$run
  mkdir -p "$w"
  m=$(python3 "$here/measure.py" --sshd-pids "$sshd_pids" --stdout "$w/out" --stderr "$w/err" -- \
    env SSH_AUTH_SOCK= "$sshm_bin" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --state-dir "$w/state" \
    -o json inventory collect -t all --max-concurrency "$conc" </dev/null)
  summary=$(python3 -c '
import json, sys
hosts = json.load(open(sys.argv[1]))
ok = [h for h in hosts if h["Status"] == "Success"]
rows = sum(sum(h["Types"].values()) for h in ok)
print(json.dumps({"ok": len(ok), "bytes": sum(h["Bytes"] for h in ok), "rows": rows}))' "$w/out" 2>/dev/null || echo '{"ok": 0, "bytes": 0, "rows": 0}')
  db=$(du -sk "$w/state" | cut -f1)
  echo "{\"m\": $m, \"s\": $summary, \"state_kb\": $db}" >>"$data"
  echo "collect run $run: $m $summary" >&2
  rm -rf "$w/state"
done

echo "store and query bench: $sim_hosts x $sim_packages (a few minutes)" >&2
sim=$(SSHM_BENCH_HOSTS=$sim_hosts SSHM_BENCH_PACKAGES=$sim_packages "$here/inventory_query.sh" "$build" 2>&1 |
  sed -n '/^inventory bench:/,/^count-by\|^  count-by/p')

python3 - "$data" "$out" "$hosts" "$conc" "$cmdline" "$sshm_bin" "$sim" <<'PY'
import datetime, json, os, platform, statistics, sys
data, out, n, conc, cmd, sshm, sim = sys.argv[1:8]
n = int(n)
rows = [json.loads(l) for l in open(data) if l.strip()]
def col(f):
    v = [f(r) for r in rows]
    return statistics.median(v), min(v), max(v)
def cell(t, d=2):
    return f"{t[0]:.{d}f} ({t[1]:.{d}f}–{t[2]:.{d}f})"
wall = col(lambda r: r["m"]["wall_s"])
lines = ["# sshm inventory benchmarks\n",
         "Written by `bench/inventory.sh`; figures only, nothing here is asserted by a test.\n",
         f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; machine: "
         f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}; load average at the end: "
         f"{' '.join(open('/proc/loadavg').read().split()[:3])}",
         f"- command: `{cmd}`; sshm: {sshm}\n",
         f"## Collection over SSH: `sshm inventory collect -t all`, N={n} loopback hosts, concurrency {conc}\n",
         "Every type the gatherer knows (this machine's dpkg packages, network, CPU, services, processes) on every host; "
         "one SSH session and one POSIX-sh gatherer per host. Medians of the runs, (min–max) after.\n",
         "| wall s | hosts/s | client CPU/host ms | peak RSS MB | KB received/host | rows stored/host | sshd CPU/host ms | ok/N | store growth KB/host |",
         "|---|---|---|---|---|---|---|---|---|",
         f"| {cell(wall)} | {cell(col(lambda r: n / r['m']['wall_s']), 1)} "
         f"| {cell(col(lambda r: r['m']['cpu_s'] * 1000 / n), 1)} | {cell(col(lambda r: r['m']['peak_rss_mb']), 1)} "
         f"| {cell(col(lambda r: r['s']['bytes'] / 1024 / max(1, r['s']['ok'])), 1)} "
         f"| {cell(col(lambda r: r['s']['rows'] / max(1, r['s']['ok'])), 0)} "
         f"| {cell(col(lambda r: r['m']['sshd_cpu_s'] * 1000 / n), 1)} "
         f"| {min(r['s']['ok'] for r in rows)}–{max(r['s']['ok'] for r in rows)}/{n} "
         f"| {cell(col(lambda r: r['state_kb'] / n), 1)} |\n",
         "## Store and query at fleet scale (bench/inventory_query.sh)\n",
         "Simulated hosts filled straight into an on-disk store, then `inventory query` expressions:\n",
         "```", sim.strip(), "```\n"]
open(out, "w").write("\n".join(lines))
print(f"wrote {out}", file=sys.stderr)
PY
