#!/usr/bin/env bash
# The connect timeout bounds a silent or stalled server, not a slow one: a host behind a
# link with 0.8 s of round-trip time needs several seconds for its SSH handshake, longer than
# --connect-timeout 1, but it keeps sending, so it is reached; a host that accepts TCP and
# then says nothing still fails at the timeout. (bench/delay_proxy.py holds every chunk
# 400 ms in each direction.)
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

fleet_init
fleet_add_hosts 1 direct || exit 1
fleet_add_silent silent || exit 1
# A port for the slow path, its known_hosts line copied from the direct host's.
slow_port=$(fleet_free_ports 1) || exit 1
FLEET_MY_PORTS+=("$slow_port")
python3 "$SSHM_SOURCE_DIR/bench/delay_proxy.py" 400 "$slow_port:${FLEET_PORT[direct-001]}" >"$FLEET_DIR/proxy.log" 2>&1 &
proxy=$!
trap 'kill $proxy 2>/dev/null; fleet_cleanup' EXIT
for _ in $(seq 1 100); do grep -q ready "$FLEET_DIR/proxy.log" && break; sleep 0.1; done
FLEET_HOSTS+=(slow)
FLEET_PORT[slow]=$slow_port
FLEET_KIND[slow]=slow
grep "^\[127\.0\.0\.1\]:${FLEET_PORT[direct-001]} " "$FLEET_KNOWN_HOSTS" |
  sed "s/^\[127\.0\.0\.1\]:[0-9]*/[127.0.0.1]:$slow_port/" >>"$FLEET_KNOWN_HOSTS"
fleet_write_files
OUT=$FLEET_DIR/out

case_begin "a slow host is reached past --connect-timeout; a silent one fails at it"
timeout 120 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 1 \
  ping -t all -o json >"$OUT" 2>&1
check "exit (one host failed)" 1 $?
check "slow host" "ok" "$(jq -r '.[] | select(.Host == "slow") | .Status' "$OUT")"
check "direct host" "ok" "$(jq -r '.[] | select(.Host == "direct-001") | .Status' "$OUT")"
check "silent host" "connect_timeout" "$(jq -r '.[] | select(.Host == "silent") | .Failure' "$OUT")"
check_contains "silent host message" "did not finish the SSH handshake within 1 s" "$(cat "$OUT")"

checks_done
