#!/usr/bin/env bash
# The state store under documents that write their own tables while the run records its
# invocations: AWS-RunPatchBaseline (Operation=Scan, compliance) and
# AWS-GatherSoftwareInventory (inventory snapshots) at --max-concurrency 16 over a loopback
# fleet, each on a fresh state directory (every table must exist before the first command),
# then two sshm processes on one state directory. 20 runs; none may abort, every host's
# result must be in the store.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

command -v dpkg-query >/dev/null || fleet_skip "dpkg-query is not installed (the scan and the gatherer read dpkg)"

HOSTS=6
# Runs per fresh-state case; the ThreadSanitizer pass (10x slower) sets fewer.
RUNS=${SSHM_E2E_RUNS:-8}
fleet_init
fleet_add_hosts "$HOSTS" node || exit 1
fleet_write_files
OUT=$FLEET_DIR/out
ERR=$FLEET_DIR/err

# Runs sshm on a state directory with the fleet's files and a hard stop, so a hang fails a check.
sshm_in() {
  local state=$1
  shift
  timeout 600 env SSH_AUTH_SOCK= SSHM_STATE_DIR="$state" "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" \
    --connect-timeout 10 "$@"
}

# Checks one finished run: it exited by itself with success and said nothing of an abort.
check_run() {
  local what=$1 rc=$2 err_file=$3
  check "$what: exit status (134/139 would be an abort)" 0 "$rc"
  check_not_contains "$what: no terminate on stderr" "terminate called" "$(cat "$err_file")"
  check_not_contains "$what: no store error on stderr" "state store" "$(cat "$err_file")"
}

# How many hosts of the fleet the store holds a compliance summary for, and an inventory of.
compliance_hosts() {
  sshm_in "$1" -o json patch compliance | json_get - 'sum(1 for h in d["Hosts"] if h["ComplianceStatus"] != "NOT_SCANNED")'
}
inventory_hosts() {
  sshm_in "$1" -o json inventory query --count-by AWS:InstanceInformation.PlatformType | json_get - 'sum(v["Count"] for v in d)'
}
# How many commands of the store ended in Success.
successful_commands() { sshm_in "$1" -o json commands list | json_get - 'sum(1 for c in d["Commands"] if c["Status"] == "Success")'; }

case_begin "AWS-RunPatchBaseline Operation=Scan on fresh state directories ($RUNS runs)"
for i in $(seq 1 "$RUNS"); do
  state=$FLEET_DIR/state-patch-$i
  sshm_in "$state" run AWS-RunPatchBaseline -p Operation=Scan -t all --max-concurrency 16 >"$OUT" 2>"$ERR"
  check_run "patch run $i" $? "$ERR"
done
check "every host has a compliance summary" "$HOSTS" "$(compliance_hosts "$FLEET_DIR/state-patch-$RUNS")"

case_begin "AWS-GatherSoftwareInventory on fresh state directories ($RUNS runs)"
for i in $(seq 1 "$RUNS"); do
  state=$FLEET_DIR/state-inventory-$i
  sshm_in "$state" run AWS-GatherSoftwareInventory -t all --max-concurrency 16 >"$OUT" 2>"$ERR"
  check_run "inventory run $i" $? "$ERR"
done
check "every host has an inventory" "$HOSTS" "$(inventory_hosts "$FLEET_DIR/state-inventory-$RUNS")"
sshm_in "$FLEET_DIR/state-inventory-$RUNS" -o json inventory show node-003 --type AWS:Application >"$OUT"
check "node-003's packages equal dpkg-query -W on this machine" "$(dpkg-query -W -f='${Package}\n' | sort -u | wc -l)" \
  "$(json_get "$OUT" 'len({r["Name"] for r in d[0]["Content"]})')"

case_begin "two sshm processes at once on one fresh state directory, twice (4 runs)"
for i in 1 2; do
  state=$FLEET_DIR/state-both-$i
  sshm_in "$state" run AWS-RunPatchBaseline -p Operation=Scan -t all --max-concurrency 16 >"$OUT.p" 2>"$ERR.p" &
  patch_pid=$!
  sshm_in "$state" run AWS-GatherSoftwareInventory -t all --max-concurrency 16 >"$OUT.i" 2>"$ERR.i" &
  inventory_pid=$!
  wait "$patch_pid"
  check_run "patch process $i" $? "$ERR.p"
  wait "$inventory_pid"
  check_run "inventory process $i" $? "$ERR.i"
  check "both commands recorded as Success ($i)" 2 "$(successful_commands "$state")"
  check "compliance of every host ($i)" "$HOSTS" "$(compliance_hosts "$state")"
  check "inventory of every host ($i)" "$HOSTS" "$(inventory_hosts "$state")"
done

checks_done
