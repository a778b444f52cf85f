#!/usr/bin/env bash
# `sshm report` at fleet scale, written to bench/report-results.md: a synthetic store of N
# hosts (default 5,000; tests/unit/test_report_bench.cpp fills it: inventory, a patch scan
# per host, 20 fleet-wide commands, association compliance), then the HTML report, the
# Markdown report and -o json, each timed 3 times (median wall, peak memory) with the page
# size. Goals: under 2 s and under 5 MB for the HTML page.
#   bench/report.sh [--hosts N] [--build DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
hosts=5000 build=$repo/build/rel
while [ $# -gt 0 ]; do
  case $1 in
  --hosts) hosts=$2; shift ;;
  --build) build=$2; shift ;;
  *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
sshm=$build/sshm unit=$build/tests/unit/sshm_unit
[ -x "$sshm" ] && [ -x "$unit" ] || { echo "build sshm and sshm_unit in $build first" >&2; exit 2; }
work=$(mktemp -d /tmp/sshm-report-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "filling a store of $hosts hosts" >&2
start=$(date +%s.%N)
SSHM_BENCH_STATE_DIR=$work/state SSHM_BENCH_HOSTS=$hosts "$unit" --no-skip -tc='bench: report store*' >/dev/null
fill=$(echo "$(date +%s.%N) - $start" | bc)
db_mb=$(du -sm "$work/state" | cut -f1)

# median wall seconds and max RSS (MB) of 3 runs of: sshm ARGS
measure() {
  local walls=() rss=0 i
  for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$work/time" "$sshm" --state-dir "$work/state" "$@" >"$work/stdout" 2>/dev/null
    read -r wall kb <"$work/time"
    walls+=("$wall")
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  printf '%s %d\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 2p)" $((rss / 1024))
}
read -r html_s html_mb < <(measure report --package openssl --package pkg-0001 "$work/report.html")
html_bytes=$(stat -c %s "$work/report.html")
read -r md_s md_mb < <(measure report --package openssl "$work/report.md")
md_bytes=$(stat -c %s "$work/report.md")
read -r json_s json_mb < <(measure -o json report --package openssl)
json_bytes=$(stat -c %s "$work/stdout")

verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v + 0 < lim + 0) ? "yes" : "NO" }'; }
{
  echo "# sshm report at fleet scale"
  echo
  echo "Made by \`bench/report.sh --hosts $hosts\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
  echo "release build (RelWithDebInfo). Median of 3 runs; memory is the peak RSS of the sshm process."
  echo
  echo "The store: $hosts hosts, each with instance information and 300 packages of inventory, one"
  echo "patch scan (a third non-compliant, 3 missing security patches each), 20 fleet-wide commands"
  echo "in the last 5 days (2% of invocations failed with stderr), one association's compliance."
  echo "Filling it took ${fill%.*} s; the state dir is $db_mb MB."
  echo
  echo "| output | wall (s) | peak RSS (MB) | size (bytes) | goal met (< 2 s, < 5 MB) |"
  echo "|---|---:|---:|---:|---|"
  echo "| HTML (\`--package openssl --package pkg-0001\`) | $html_s | $html_mb | $html_bytes | $(verdict "$html_s" 2) / $(verdict "$html_bytes" 5000000) |"
  echo "| Markdown (\`--package openssl\`) | $md_s | $md_mb | $md_bytes | $(verdict "$md_s" 2) / $(verdict "$md_bytes" 5000000) |"
  echo "| \`-o json\` (\`--package openssl\`) | $json_s | $json_mb | $json_bytes | $(verdict "$json_s" 2) / - |"
  echo
  echo "Lists on the page are cut at 25 rows and the heat map at 40 hosts x 12 commands (the JSON says"
  echo "how many there were), so the page's size depends on the number of commands and packages shown,"
  echo "not on the number of hosts."
} >"$here/report-results.md"
cat "$here/report-results.md"
