#!/usr/bin/env bash
# Patch scan cost per host against apt alone, on this machine's own Debian root: the wall time and
# the host CPU (everything the sshd listener starts, under bench/subreaper.py) of
# `sshm patch scan` on one loopback host, beside `apt-get -s dist-upgrade` run directly and through
# a bare `ssh host`, which is the work a scan must at least do (read dpkg's status and the
# package indexes, compute candidates). Figures only, no assertions.
# apt's cost grows with the upgrades it has to resolve, the scan's with the size of the indexes,
# so the row `apt-get -s check` (apt's cache loaded, nothing resolved) stands for a host that is
# up to date, the case least favourable to the scan.
#   bench/patch_scan.sh [--runs N] [--sshm PATH]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=5
sshm=$repo/build/rel/sshm
while [ $# -gt 0 ]; do
  case $1 in
  --runs) runs=$2; shift ;;
  --sshm) sshm=$2; shift ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
command -v apt-get >/dev/null || { echo "patch_scan.sh: needs a Debian host (apt-get)" >&2; exit 1; }
source "$repo/tests/e2e/lib/fleet.sh"
source "$here/lib_host_cpu.sh"
fleet_init
trap fleet_cleanup EXIT
host_cpu_fleet p || exit 1

# Runs a command RUNS times after a warm-up; prints "wall_ms host_cpu_ms" per run, where host
# CPU is the listener's tree (for commands that go over SSH) or the command's own children.
measure() {
  local kind=$1; shift
  "$@" >/dev/null 2>&1
  python3 - "$kind" "$runs" "$HOST_CPU_REAPER" "$HOST_CPU_FILE" "$@" <<'PY'
import os, signal, subprocess, sys, time
kind, runs, reaper, cpu_file, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
def tree():
    os.kill(reaper, signal.SIGUSR1); time.sleep(0.3)
    return float(open(cpu_file).read())
walls, cpus = [], []
for _ in range(runs):
    before_tree, before_own = tree(), os.times()
    t0 = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append((time.monotonic() - t0) * 1000)
    time.sleep(0.5)
    own = os.times()
    if kind == "local":
        cpus.append((own.children_user + own.children_system - before_own.children_user - before_own.children_system) * 1000)
    else:
        cpus.append((tree() - before_tree) * 1000)
walls.sort(); cpus.sort()
print(f"{walls[len(walls)//2]:.0f} | {cpus[len(cpus)//2]:.0f}")
PY
}
apt_local=$(measure local apt-get -s -q dist-upgrade)
# apt's floor on a host with nothing to upgrade: load the package cache and check it, no resolver.
apt_check=$(measure local apt-get -s -q check)
apt_ssh=$(measure ssh ssh -F "$FLEET_SSH_CONFIG" -o BatchMode=yes p-001 apt-get -s -q dist-upgrade)
scan=$(measure ssh env SSH_AUTH_SOCK= "$sshm" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --state-dir "$FLEET_DIR/st" \
  patch scan -t p-001 --no-progress -q)
ratio() { python3 -c "import sys; a=[float(x) for x in sys.argv[1].split('|')]; b=[float(x) for x in sys.argv[2].split('|')]; print(f'{a[0]/b[0]:.2f}× wall, {a[1]/b[1]:.2f}× host CPU')" "$1" "$2"; }
echo "| run | wall per host, ms | host CPU per host, ms |"
echo "|---|---|---|"
echo "| \`apt-get -s dist-upgrade\` on the host itself | $apt_local |"
echo "| \`ssh host apt-get -s dist-upgrade\` | $apt_ssh |"
echo "| \`apt-get -s check\` (apt's floor: the cache loaded, nothing to resolve) | $apt_check |"
echo "| \`sshm patch scan -t host\` | $scan |"
echo
echo "sshm patch scan against apt alone: $(ratio "$scan" "$apt_local"); against it over ssh: $(ratio "$scan" "$apt_ssh"); against apt's floor: $(ratio "$scan" "$apt_check") (target ≤ 1.5×)"
echo "pending upgrades on this host: $(apt-get -s -q dist-upgrade 2>/dev/null | grep -c '^Inst ')"
echo "medians of $runs runs; $(dpkg-query -f '.\n' -W | wc -l) packages installed; package indexes: $(du -ch /var/lib/apt/lists/*Packages* 2>/dev/null | tail -1 | cut -f1); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; commit $(git -C "$repo" rev-parse --short HEAD)"
