#!/usr/bin/env bash
# Round trips per host, from TCP connect to exit status: one loopback host reached directly
# and through bench/delay_proxy.py (DELAY ms each way), the fastest of RUNS runs each; the
# extra wall time divided by the added round-trip time is the number of times the client
# waited for the host. Compares OpenSSH's `ssh host true` with `sshm exec true`.
#
#   bench/round_trips.sh [--runs N] [--delay MS] [--sshm PATH]...
# Prints a markdown table. With a delay far above the loopback's own latency (default 100 ms
# each way) the count is robust to load: a run adds whole round trips or nothing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=5
delay=100
bins=()
while [ $# -gt 0 ]; do
  case $1 in
  --runs) runs=$2; shift ;;
  --delay) delay=$2; shift ;;
  --sshm) bins+=("$2"); shift ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#bins[@]} -gt 0 ] || bins=("$repo/build/rel/sshm")
source "$repo/tests/e2e/lib/fleet.sh"
fleet_init
trap fleet_cleanup EXIT
fleet_add_hosts 1 h || exit 1
proxy_port=$(fleet_free_ports 1) || exit 1
FLEET_MY_PORTS+=("$proxy_port")
FLEET_HOSTS+=(slow)
FLEET_PORT[slow]=$proxy_port
FLEET_KIND[slow]=slow
grep "^\[127\.0\.0\.1\]:${FLEET_PORT[h-001]} " "$FLEET_KNOWN_HOSTS" |
  sed "s/^\[127\.0\.0\.1\]:[0-9]*/[127.0.0.1]:$proxy_port/" >>"$FLEET_KNOWN_HOSTS"
fleet_write_files
python3 "$here/delay_proxy.py" "$delay" "$proxy_port:${FLEET_PORT[h-001]}" >"$FLEET_DIR/proxy.log" 2>&1 &
FLEET_PIDS+=($!)
for ((i = 0; i < 100; i++)); do grep -q ready "$FLEET_DIR/proxy.log" && break; sleep 0.1; done

# fastest HOST CMD...: the shortest wall time in seconds of RUNS runs of CMD with @H@ as the host.
fastest() {
  local host=$1 best= t0 t1 i
  shift
  local cmd=("${@//@H@/$host}")
  "${cmd[@]}" >/dev/null 2>&1  # warm-up: page cache, keys
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s.%N)
    "${cmd[@]}" >/dev/null 2>&1 || { echo "fail"; return; }
    t1=$(date +%s.%N)
    best=$(python3 -c "import sys; a=float(sys.argv[1]); b=float(sys.argv[2]) - float(sys.argv[3]); print(b if not a or b < a else a)" "${best:-0}" "$t1" "$t0")
  done
  echo "$best"
}
row() {
  local label=$1 direct slow
  shift
  direct=$(fastest h-001 "$@")
  slow=$(fastest slow "$@")
  python3 - "$label" "$direct" "$slow" "$delay" <<'PY'
import sys
label, direct, slow, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
if "fail" in (direct, slow):
    print(f"| {label} | failed | | | |")
else:
    d, s = float(direct), float(slow)
    rtt = 2 * delay / 1000
    print(f"| {label} | {d * 1000:.0f} | {s * 1000:.0f} | {(s - d) / rtt:.2f} | {round((s - d) / rtt)} |")
PY
}
echo "| client | wall direct, ms | wall at +$((2 * delay)) ms RTT, ms | extra ÷ RTT | round trips |"
echo "|---|---|---|---|---|"
row '`ssh host true` (OpenSSH client)' ssh -F "$FLEET_SSH_CONFIG" -o BatchMode=yes @H@ true
for b in "${bins[@]}"; do
  row "\`sshm exec true\` ($(basename "$(dirname "$b")")/$(basename "$b"))" env SSH_AUTH_SOCK= "$b" -i "$FLEET_INVENTORY" \
    -F "$FLEET_SSH_CONFIG" --state-dir "$FLEET_DIR/st" exec true -t @H@ --no-progress -q
done
echo
echo "fastest of $runs runs each; delay_proxy.py holds each chunk $delay ms each way (the TCP connect itself is not delayed, the banner is)"
