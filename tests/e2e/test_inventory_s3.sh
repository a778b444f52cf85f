#!/usr/bin/env bash
# sshm inventory export s3://bucket/prefix against moto_server with SigV4 checking: one
# host collected over real sshd, then its inventory uploaded in Resource Data Sync's layout.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/moto.sh"
moto_cleanup_and_fleet() {
  fleet_cleanup
  cleanup
}
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

fleet_init
trap moto_cleanup_and_fleet EXIT
fleet_add_hosts 1 node || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
OUT=$FLEET_DIR/out
inv() {
  timeout 300 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 5 "$@"
}

start_moto "$(free_port)"
awsm s3api create-bucket --bucket sshm-inventory >/dev/null || { echo "FAIL: cannot create the bucket"; exit 1; }

case_begin "export to s3://bucket/prefix: Resource Data Sync keys, JSON Lines bodies"
inv inventory collect -t all --types AWS:Application,network >"$OUT" 2>&1
check "collect exit" 0 $?
inv inventory export s3://sshm-inventory/ssm-inventory --account-id 123456789012 --region eu-west-1 \
  --endpoint-url "$endpoint" >"$OUT" 2>&1
check "export exit" 0 $?
keys=$(awsm s3api list-objects-v2 --bucket sshm-inventory --output json | jq -r '.Contents // [] | .[].Key' | sort)
check "keys" "$(printf '%s\n' \
  ssm-inventory/AWS:Application/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/node-001.json \
  ssm-inventory/AWS:InstanceInformation/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/node-001.json \
  ssm-inventory/AWS:Network/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/node-001.json)" "$keys"
awsm s3 cp "s3://sshm-inventory/ssm-inventory/AWS:Application/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/node-001.json" \
  "$FLEET_DIR/apps.json" >/dev/null
check "one line per package" "$(dpkg-query -W | wc -l)" "$(wc -l <"$FLEET_DIR/apps.json")"
check "resourceId on every line" "node-001" "$(jq -r .resourceId "$FLEET_DIR/apps.json" | sort -u)"

case_begin "a refused upload is an error with the key, exit 1"
inv inventory export s3://no-such-bucket/x --endpoint-url "$endpoint" >"$OUT" 2>&1
check "exit" 1 $?
check_contains "message" "cannot upload s3://no-such-bucket/x/" "$(cat "$OUT")"

checks_done
