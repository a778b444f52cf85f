#!/usr/bin/env bash
# Issue 19's per-host figures next to their targets, from one run on this machine: round trips
# (bench/round_trips.sh), host-side CPU against a bare `ssh host true` (bench/host_cost.sh), and
# peak RSS with 200 KB of output per host at 256 in flight (bench/rss_chatty.sh); with the
# machine's fork+exec cost and the commit. Prints markdown.
#
#   bench/targets.sh [--sshm PATH] [--hosts 200]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
sshm=$repo/build/rel/sshm
hosts=200
while [ $# -gt 0 ]; do
  case $1 in
  --sshm) sshm=$2; shift ;;
  --hosts) hosts=$2; shift ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$sshm" ] || { echo "no sshm binary at $sshm (build it, or give --sshm)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What a process start costs here: 500 runs of /bin/true from one shell.
fork_ms=$(python3 - <<'PY'
import subprocess, time
t = time.monotonic()
subprocess.run(["sh", "-c", "i=0; while [ $i -lt 500 ]; do /bin/true; i=$((i+1)); done"], check=True)
print(f"{(time.monotonic() - t) * 1000 / 500:.2f}")
PY
)

"$here/round_trips.sh" --runs 3 --sshm "$sshm" >"$work/rt.md" 2>"$work/rt.err"
"$here/host_cost.sh" --runs 30 --sshm "$sshm" >"$work/hc.md" 2>"$work/hc.err"
"$here/rss_chatty.sh" --hosts "$hosts" --conc 256 --runs 1 --sshm "$sshm" >"$work/rss.md" 2>"$work/rss.err"

python3 - "$work" "$fork_ms" "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$hosts" <<'PY'
import re, sys
work, fork_ms, commit, hosts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

def rows(name):
    out = []
    for line in open(f"{work}/{name}"):
        if line.startswith("|") and not line.startswith("|---") and not line.startswith("| client") and not line.startswith("| sshm |"):
            out.append([c.strip() for c in line.strip().strip("|").split("|")])
    return out

def num(s):
    m = re.search(r"[0-9]+(\.[0-9]+)?", s or "")
    return float(m.group(0)) if m else None

table = []
rt = rows("rt.md")
ssh_rt = num(rt[0][4]) if rt else None
sshm_rt = num(rt[1][4]) if len(rt) > 1 else None
table.append(("round trips per host, connect to exit status", f"{sshm_rt:.0f} (ssh: {ssh_rt:.0f})" if sshm_rt and ssh_rt else "failed",
              "fewer than OpenSSH's (the ≤ 0.7× wall at 50 ms RTT: bench/run.sh --full)", sshm_rt is not None and ssh_rt is not None and sshm_rt < ssh_rt))
hc = rows("hc.md")
bare = num(hc[0][1]) if hc else None
mine = num(hc[1][1]) if len(hc) > 1 else None
ratio = mine / bare if bare and mine else None
table.append(("host CPU per invocation ÷ bare `ssh host true`", f"{ratio:.2f}× ({mine:.1f} / {bare:.1f} ms)" if ratio else "failed",
              "≤ 1.2×", ratio is not None and ratio <= 1.2))
rss = rows("rss.md")
peaks = {r[1]: num(r[4]) for r in rss if len(r) > 4}
chatty = peaks.get("200k")
table.append((f"peak RSS, 200 KB per host, {hosts} hosts, 256 in flight", f"{chatty:.1f} MB (floor with `true`: {peaks.get('true') or 0:.1f} MB)" if chatty else "failed",
              "< 32 MB", chatty is not None and chatty < 32))
print(f"| figure | measured | target | met |")
print("|---|---|---|---|")
for name, measured, target, met in table:
    print(f"| {name} | {measured} | {target} | {'yes' if met else '**no**'} |")
print()
print(f"commit {commit}; fork+exec of /bin/true here: {fork_ms} ms; details: bench/round_trips.sh, bench/host_cost.sh, bench/rss_chatty.sh")
PY
