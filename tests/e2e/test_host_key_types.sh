#!/usr/bin/env bash
# Host key types: a host whose known_hosts entry is of another type than the one sshm would
# pick by default. Like ssh, sshm asks first for the key types known_hosts lists for the
# host, so a host known only by its ECDSA key (it also has an Ed25519 one) verifies; `ssh`
# against the same known_hosts is the oracle.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

fleet_init
trap fleet_cleanup EXIT
fleet_add_hosts 2 plain || exit 1
ssh-keygen -q -t ecdsa -b 256 -N '' -C sshm-fleet-ecdsa -f "$FLEET_DIR/hostkey_ecdsa"
# Both keys on the server; only the ECDSA one in known_hosts.
_fleet_sshd unknown_key "$FLEET_DIR/hostkey_ed_of_ecdsa" "HostKey $FLEET_DIR/hostkey_ecdsa" ecdsaonly || exit 1
echo "[127.0.0.1]:${FLEET_PORT[ecdsaonly]} $(cut -d' ' -f1,2 "$FLEET_DIR/hostkey_ecdsa.pub")" >>"$FLEET_KNOWN_HOSTS"
# Many unrelated entries before it, as in a long-lived known_hosts.
for i in $(seq 1 300); do
  echo "[10.9.$((i / 250)).$((i % 250))]:22 $(cut -d' ' -f1,2 "$FLEET_DIR/hostkey_ecdsa.pub")"
done >>"$FLEET_KNOWN_HOSTS"
fleet_write_files
OUT=$FLEET_DIR/out
sshm_fleet() {
  timeout 120 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 5 "$@"
}

case_begin "a host known only by its ECDSA key verifies (ssh agrees)"
ssh -F "$FLEET_SSH_CONFIG" -o BatchMode=yes ecdsaonly true >"$OUT" 2>&1
check "ssh oracle exit" 0 $?
sshm_fleet ping -t all -o json >"$OUT" 2>&1
check "ping exit" 0 $?
check "every host ok" "ok ok ok" "$(jq -r '.[].Status' "$OUT" | sort | xargs)"
sshm_fleet exec -t ecdsaonly 'echo via-ecdsa' >"$OUT" 2>&1
check "exec exit" 0 $?
check_contains "exec output" "via-ecdsa" "$(cat "$OUT")"

case_begin "the same host with its ECDSA entry replaced by another key: changed, both fingerprints"
sed -i "/^\[127.0.0.1\]:${FLEET_PORT[ecdsaonly]} /d" "$FLEET_KNOWN_HOSTS"
ssh-keygen -q -t ecdsa -b 256 -N '' -C impostor -f "$FLEET_DIR/impostor_ecdsa"
echo "[127.0.0.1]:${FLEET_PORT[ecdsaonly]} $(cut -d' ' -f1,2 "$FLEET_DIR/impostor_ecdsa.pub")" >>"$FLEET_KNOWN_HOSTS"
sshm_fleet ping -t ecdsaonly -o json >"$OUT" 2>&1
check "ping exit (no host reachable: 4)" 4 $?
check "failure kind" "host_key_changed" "$(jq -r '.[0].Failure' "$OUT")"
check_contains "known fingerprint shown" "$(ssh-keygen -lf "$FLEET_DIR/impostor_ecdsa.pub" | cut -d' ' -f2)" "$(cat "$OUT")"

checks_done
