#!/usr/bin/env bash
# One command split over the pods of a Kubernetes Indexed Job, without Kubernetes: the pod
# command line is read from examples/kubernetes/job.yaml and run as 4 local processes with
# JOB_COMPLETION_INDEX=0..3 and a state dir each, over a loopback fleet and moto S3 (SigV4
# checked). Every host runs once; `commands import` joins the shards into one command; a pod
# killed with kill -9 and restarted on a fresh state dir finishes its shard without running
# a host twice; --global-errors stops every shard once the fleet's errors pass the threshold.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/moto.sh"
marks=$(mktemp -d /tmp/sshm-shards-marks.XXXXXX)
chmod 1777 "$marks"
moto_cleanup_and_fleet() {
  fleet_cleanup
  cleanup
  rm -rf "$marks"
}
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

# The Python that has PyYAML: the system's, else pyenv's.
py=
for candidate in /usr/bin/python3 /root/.pyenv/shims/python3 python3; do
  if "$candidate" -c 'import yaml' >/dev/null 2>&1; then py=$candidate; break; fi
done
[ -n "$py" ] || { echo "FAIL: no python3 here imports yaml (apt-get install python3-yaml)"; exit 1; }

HOSTS=40
[ -n "${SSHM_SANITIZED:-}" ] && HOSTS=16
MANIFEST=$SSHM_SOURCE_DIR/examples/kubernetes/job.yaml
fleet_init
trap moto_cleanup_and_fleet EXIT
fleet_add_hosts "$HOSTS" node || exit 1
fleet_write_files
start_moto "$(free_port)"
awsm s3api create-bucket --bucket sshm-results >/dev/null || { echo "FAIL: cannot create the bucket"; exit 1; }
export AWS_ENDPOINT_URL=$endpoint AWS_REGION=us-east-1
W=$FLEET_DIR/work
mkdir -p "$W"

# The container's command and args from the manifest, with $(VAR) expanded from this
# environment as the kubelet expands them from the container's env. NUL-separated.
pod_argv() {
  "$py" - "$MANIFEST" <<'PY'
import os, re, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
c = job["spec"]["template"]["spec"]["containers"][0]
expand = lambda s: re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: os.environ.get(m.group(1), m.group(0)), s)
for a in c.get("command", [])[1:] + c.get("args", []):
    sys.stdout.write(expand(str(a)) + "\0")
PY
}

# run_pod CASE INDEX STATE: one pod of case CASE (its command ID, script and limits in CASE_*).
run_pod() {
  local case=$1 index=$2 state=$3 argv
  mapfile -d '' -t argv < <(export SSHM_COMMAND_ID="$CMD" SSHM_SHARDS=4 SSHM_TARGETS=all SSHM_MAX_CONCURRENCY="$CONC" \
    SSHM_MAX_ERRORS="$MAXERR" SSHM_S3_BUCKET=sshm-results SSHM_S3_PREFIX=runs SSHM_SCRIPT="$marks/$case/script.sh"; pod_argv)
  timeout 600 env SSH_AUTH_SOCK= JOB_COMPLETION_INDEX="$index" SSHM_SHARDS=4 SSHM_STATE_DIR="$state" \
    SSHM_INVENTORY="$FLEET_INVENTORY" SSHM_SSH_CONFIG="$FLEET_SSH_CONFIG" "$SSHM" "${argv[@]}" \
    >"$W/$case-$index.out" 2>"$W/$case-$index.err"
}

# new_case NAME: a marks dir and a script that counts its runs per host, fails where a
# fail-HOST file exists and waits (at most 2 minutes) while a hold-HOST file exists.
new_case() {
  mkdir -p "$marks/$1"
  chmod 1777 "$marks/$1"
  cat >"$marks/$1/script.sh" <<SH
d=$marks/$1
echo run >>"\$d/ran-\$AWS_SSM_INSTANCE_ID"
n=0
while [ -e "\$d/hold-\$AWS_SSM_INSTANCE_ID" ] && [ \$n -lt 1200 ]; do sleep 0.1; n=\$((n+1)); done
[ -e "\$d/fail-\$AWS_SSM_INSTANCE_ID" ] && exit 1
echo "ok from \$AWS_SSM_INSTANCE_ID"
SH
}

# How many hosts ran N times in case CASE: runs_histogram CASE -> "count times" lines.
runs_of() { for h in "${FLEET_HOSTS[@]}"; do wc -l <"$marks/$1/ran-$h" 2>/dev/null || echo 0; done | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' '; }
# The hosts of shard I of 4, as the pod computes them (a dry run connects to nothing).
shard_hosts() {
  SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" -o json exec x -t all --shard "$1/4" --dry-run |
    jq -r '.Targets[]'
}
importer() { SSHM_STATE_DIR=$W/import "$SSHM" "$@"; }

case_begin "the manifest: an Indexed Job whose pods run one command by shard"
check "manifest parses; kind" "Job" "$("$py" -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["kind"])' "$MANIFEST")"
fields=$("$py" - "$MANIFEST" <<'PY'
import sys, yaml
j = yaml.safe_load(open(sys.argv[1]))
s = j["spec"]; p = s["template"]["spec"]; c = p["containers"][0]
env = {e["name"]: e.get("value") for e in c.get("env", [])}
mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
secrets = {v["name"] for v in p.get("volumes", []) if "secret" in v}
args = c.get("args", [])
print("mode", s.get("completionMode"))
print("shards-match", str(s.get("completions")) == str(env.get("SSHM_SHARDS")))
print("parallelism-ok", 1 <= int(s.get("parallelism", 0)) <= int(s.get("completions", 0)))
print("restart", p.get("restartPolicy"))
print("from-env", "--shard-from-env" in args)
print("command-id", args[args.index("--command-id") + 1] if "--command-id" in args else None)
print("s3", "--s3-bucket" in args)
print("image", bool(c.get("image")))
print("inventory-from-secret", any(env.get("SSHM_INVENTORY", "").startswith(mounts[n] + "/") for n in secrets if n in mounts))
print("ssh-config-from-secret", any(env.get("SSHM_SSH_CONFIG", "").startswith(mounts[n] + "/") for n in secrets if n in mounts))
PY
)
check "manifest fields" "mode Indexed
shards-match True
parallelism-ok True
restart Never
from-env True
command-id \$(SSHM_COMMAND_ID)
s3 True
image True
inventory-from-secret True
ssh-config-from-secret True" "$fields"
check_contains "the image is built on Debian 12 from the .deb" "FROM debian:12" "$(cat "$SSHM_SOURCE_DIR/examples/kubernetes/Dockerfile")"

case_begin "four pods run every host exactly once; import joins them into one command"
new_case one
CMD=$(cat /proc/sys/kernel/random/uuid) CONC=5 MAXERR=0
A=$CMD
pids=()
for k in 0 1 2 3; do run_pod one "$k" "$W/one-state-$k" & pids+=($!); done
for k in 0 1 2 3; do wait "${pids[$k]}"; check "pod $k exit status" 0 $?; done
check "every host ran once" "1x$HOSTS" "$(runs_of one)"
total=0
for k in 0 1 2 3; do
  n=$(SSHM_STATE_DIR=$W/one-state-$k "$SSHM" -o json commands show "$A" | jq '.Invocations | length')
  total=$((total + n))
done
check "the pods' local histories split the fleet" "$HOSTS" "$total"
keys=$(awsm s3api list-objects-v2 --bucket sshm-results --output json | jq -r '.Contents[].Key' | grep "^runs/$A/")
check "one record per shard" "4" "$(grep -c "^runs/$A/sshm/shard-[1-4]-of-4.json$" <<<"$keys")"
check "outputs in SSM's layout" "$HOSTS" "$(grep -c "^runs/$A/node-[0-9]*/awsrunShellScript/0.awsrunShellScript/stdout$" <<<"$keys")"
j=$(importer -o json commands import "s3://sshm-results/runs/$A")
check "import exit status" 0 $?
check "import: status, invocations, shards" "Success $HOSTS 4 0" \
  "$(jq -r '"\(.Status) \(.Invocations) \(.Shards) \(.MissingShards | length)"' <<<"$j")"
show=$(importer -o json commands show "$A")
check "commands show: one command of all hosts" "Success $HOSTS $HOSTS" \
  "$(jq -r '"\(.Status) \(.TargetCount) \(.Invocations | length)"' <<<"$show")"
check "a host's output came with it" "ok from node-001" "$(importer -o json commands get-invocation "$A" node-001 | jq -r .StandardOutputContent | head -1)"
importer -o json commands import "s3://sshm-results/runs/$A" >/dev/null
check "a second import updates the same command" "1" "$(importer -o json commands list | jq --arg a "$A" '[.Commands[] | select(.CommandId == $a)] | length')"
importer report "$W/report.md" >/dev/null 2>&1
check "sshm report sees the imported command" "0" "$?"
check_contains "the report names it" "${A:0:8}" "$(cat "$W/report.md")"

case_begin "the same --command-id with another command is refused; with the same one it resumes"
SSHM_STATE_DIR=$W/one-state-0 SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" exec 'echo other' -t all \
  --command-id "$A" >"$W/refused.out" 2>&1
check "exit status" 2 $?
check_contains "says why" "another document, parameters" "$(cat "$W/refused.out")"
run_pod one 0 "$W/one-state-0"
check "the same pod again: exit status" 0 $?
check "nothing ran twice" "1x$HOSTS" "$(runs_of one)"
SSHM_STATE_DIR=$W/x "$SSHM" -i "$FLEET_INVENTORY" exec x -t all --command-id not-a-uuid >"$W/bad.out" 2>&1
check "a malformed --command-id: exit status" 2 $?

case_begin "a pod killed with kill -9 and restarted on a fresh state dir finishes its shard, no host twice"
new_case kill
CMD=$(cat /proc/sys/kernel/random/uuid) CONC=3 MAXERR=0
B=$CMD
mapfile -t s2 < <(shard_hosts 2)
for h in "${s2[@]}"; do touch "$marks/kill/hold-$h"; done
pids=()
for k in 0 1 2 3; do run_pod kill "$k" "$W/kill-state-$k" & pids+=($!); done
started=0
for _ in $(seq 1 600); do
  started=0
  for h in "${s2[@]}"; do [ -e "$marks/kill/ran-$h" ] && started=$((started + 1)); done
  [ "$started" -ge 3 ] && break
  sleep 0.1
done
check "three hosts of shard 2 in flight" 3 "$started"
# The pod's process itself (the leaf under the background job and its timeout).
leaf=${pids[1]}
while child=$(pgrep -P "$leaf" | head -1); [ -n "$child" ]; do leaf=$child; done
check "the pod's process is sshm" "$(basename "$SSHM")" "$(cat /proc/"$leaf"/comm 2>/dev/null)"
kill -9 "$leaf"
wait "${pids[1]}" 2>/dev/null
for k in 0 2 3; do wait "${pids[$k]}"; check "pod $k exit status" 0 $?; done
rm -f "$marks"/kill/hold-*
run_pod kill 1 "$W/kill-state-1-restarted"
check "the restarted pod's exit status (its in-flight hosts are Incomplete)" 1 $?
check_contains "it says what it resumed" "3 were in flight and are NOT run again" "$(cat "$W/kill-1.err")"
check "every host ran exactly once" "1x$HOSTS" "$(runs_of kill)"
j=$(importer -o json commands import "s3://sshm-results/runs/$B")
check "import: all hosts, Incomplete for the hosts cut off" "Failed Incomplete $HOSTS" \
  "$(jq -r '"\(.Status) \(.StatusDetails) \(.Invocations)"' <<<"$j")"
check "the three hosts cut off are reported, not re-run" 3 \
  "$(importer -o json commands show "$B" | jq '[.Invocations[] | select(.StatusDetails == "InFlightAtInterruption")] | length')"

case_begin "--global-errors: one shard's errors stop every shard"
new_case global
mapfile -t s1 < <(shard_hosts 1)
# Every host of shard 1 fails: the threshold (3, or less in a small shard) is passed while
# shard 1 still has a host left to leave out, whatever the fleet's size splits it into (16
# hosts under the sanitizers, 40 otherwise).
[ "${#s1[@]}" -ge 3 ] || { echo "FAIL: shard 1 has ${#s1[@]} hosts, this case needs 3"; exit 1; }
MAXERR=$((${#s1[@]} - 2))
[ "$MAXERR" -gt 3 ] && MAXERR=3
CMD=$(cat /proc/sys/kernel/random/uuid) CONC=1
C=$CMD
for h in "${s1[@]}"; do touch "$marks/global/fail-$h" "$marks/global/hold-$h"; done
others=()
for i in 2 3 4; do
  mapfile -t hs < <(shard_hosts "$i")
  others+=("${hs[*]}")
  for h in "${hs[@]}"; do touch "$marks/global/hold-$h"; done
done
pids=()
for k in 0 1 2 3; do run_pod global "$k" "$W/global-state-$k" & pids+=($!); done
# Shard 1's hosts fail only once every other shard has its one host in flight: a pod still
# starting when the fleet passes the threshold rightly dispatches nothing at all.
in_flight=0
for _ in $(seq 1 1200); do
  in_flight=0
  for hs in "${others[@]}"; do
    for h in $hs; do [ -e "$marks/global/ran-$h" ] && { in_flight=$((in_flight + 1)); break; }; done
  done
  [ "$in_flight" -eq 3 ] && break
  sleep 0.1
done
check "shards 2-4 each have a host in flight before shard 1 fails" 3 "$in_flight"
for h in "${s1[@]}"; do rm -f "$marks/global/hold-$h"; done
wait "${pids[0]}"
check "shard 1 stops at its threshold (exit 3)" 3 $?
# Every other shard polls the counts at least once a second: let each see shard 1's final count.
sleep 3
rm -f "$marks"/global/hold-*
for k in 1 2 3; do wait "${pids[$k]}"; check "pod $k stopped by the fleet's errors (exit 3)" 3 $?; done
for k in 1 2 3; do
  c=$(SSHM_STATE_DIR=$W/global-state-$k "$SSHM" -o json commands show "$C" |
    jq -r '[.Invocations[] | select(.Status == "Success")] | length')
  check "shard $((k + 1)): its one host in flight finished, nothing more was dispatched" "1" "$c"
  check_contains "shard $((k + 1)): says why it stopped" "fleet-wide error threshold" \
    "$(SSHM_STATE_DIR=$W/global-state-$k "$SSHM" commands show "$C")"
done
j=$(importer -o json commands import "s3://sshm-results/runs/$C")
failed=$(importer -o json commands show "$C" | jq '[.Invocations[] | select(.Status == "Failed")] | length')
check "the fleet's errors: the threshold plus one (bound: threshold + 1 + the shards' windows)" "$((MAXERR + 1))" "$failed"
check "the joined command failed" "Failed" "$(jq -r .Status <<<"$j")"
n=$(SSHM_STATE_DIR=$W/import SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" -o json exec x \
  -t "@failed:$C" --dry-run | jq .TargetCount)
check "-t @failed:ID selects the failed hosts of every shard" "$((MAXERR + 1))" "$n"

checks_done
