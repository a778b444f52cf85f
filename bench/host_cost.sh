#!/usr/bin/env bash
# Host-side cost of one invocation: the CPU of one sshd listener and everything it starts
# (sshd's session processes, the shell, sshm's wrapper, its watchdog, orphans included: the
# listener runs under bench/subreaper.py) per run of `true`, for a bare `ssh host true` and for
# `sshm exec true`; and the processes each starts (strace of the listener's tree, one run).
#
#   bench/host_cost.sh [--runs N] [--sshm PATH]... (each --sshm adds a binary to compare)
# Prints a markdown table. CPU is user+sys from the kernel's accounting (load-independent in
# principle; a loaded machine still adds cache misses and scheduler work).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=40
bins=()
while [ $# -gt 0 ]; do
  case $1 in
  --runs) runs=$2; shift ;;
  --sshm) bins+=("$2"); shift ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#bins[@]} -gt 0 ] || bins=("$repo/build/rel/sshm")
source "$repo/tests/e2e/lib/fleet.sh"
source "$here/lib_host_cpu.sh"
fleet_init
host_cpu_fleet h || exit 1
reaper=$HOST_CPU_REAPER
tree_cpu() { host_cpu_now; }
# Runs one client RUNS times; prints ms of host CPU per run.
per_run() {
  local before after i
  "$@" >/dev/null 2>&1  # warm-up (page cache, known_hosts)
  sleep 0.5
  before=$(tree_cpu)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1; done
  sleep 1  # let watchdogs and orphans end and be reaped
  after=$(tree_cpu)
  python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000 / int(sys.argv[3]):.1f}')" \
    "$before" "$after" "$runs"
}
# The programs each client's run starts on the host (strace -f of the listener, one run).
execs() {
  local log=$FLEET_DIR/strace.log sshd_pid
  sshd_pid=$(pgrep -P "$reaper" -x sshd | head -1)
  strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$log" -p "$sshd_pid" &
  local st=$!
  sleep 1
  "$@" >/dev/null 2>&1
  sleep 1
  kill "$st" 2>/dev/null
  wait "$st" 2>/dev/null
  local forks execs progs
  forks=$(grep -cE '(clone|clone3|fork|vfork)\(.*= [0-9]+$' "$log")
  execs=$(grep -cE 'execve\(.*= 0$' "$log")
  progs=$(grep -E 'execve\(.*= 0$' "$log" | sed -E 's/.*execve\("([^"]*)".*/\1/' | xargs -n1 basename | sort | uniq -c |
    awk '{printf "%s%s×%s", (NR>1?", ":""), $2, $1}')
  echo "$forks | $execs | $progs"
}
ssh_cmd=(ssh -F "$FLEET_SSH_CONFIG" -o BatchMode=yes h-001 true)
echo "| client | host CPU per run, ms | forks | execs | programs started on the host |"
echo "|---|---|---|---|---|"
echo "| \`ssh h true\` (OpenSSH client) | $(per_run "${ssh_cmd[@]}") | $(execs "${ssh_cmd[@]}") |"
for b in "${bins[@]}"; do
  cmd=(env SSH_AUTH_SOCK= "$b" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --state-dir "$FLEET_DIR/st" exec true -t h-001 --no-progress -q)
  echo "| \`sshm exec true\` ($b) | $(per_run "${cmd[@]}") | $(execs "${cmd[@]}") |"
done
echo
echo "runs: $runs per client; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
