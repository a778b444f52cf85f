#!/usr/bin/env bash
# sshm ping against a real loopback fleet: healthy hosts, each kind of misbehaving host,
# a shared jump host, host key policies, JSON shape, exit statuses and --sudo.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

fleet_init
fleet_add_hosts 20 web || exit 1
fleet_add_changed_key changed || exit 1
fleet_add_refused refused || exit 1
fleet_add_silent silent || exit 1
fleet_add_wrong_key wrongkey || exit 1
fleet_add_bastion bastion || exit 1
fleet_add_behind inner1 bastion || exit 1
fleet_add_behind inner2 bastion || exit 1
_fleet_sshd unknown_key "$FLEET_DIR/hostkey_unknown" "" new1 new2 new3 || exit 1
fleet_write_files
OUT=$FLEET_DIR/out

# Runs sshm ping with a hard stop: a hang fails the check instead of the whole suite.
ping_fleet() {
  timeout 120 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 3 "$@"
}
# Prints "host kind" for each host of a JSON ping result, sorted.
kinds() {
  python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])): print(r["Host"], r["Failure"] or r["Status"])' "$1" | sort
}

case_begin "healthy fleet: every host ok, exit 0"
ping_fleet ping -t 'web-*' >"$OUT"
check "exit status" 0 $?
check "ok lines" 20 "$(grep -c '  ok  [0-9]* ms$' "$OUT")"
check "summary" "20 hosts: 20 ok, 0 failed" "$(tail -1 "$OUT")"

case_begin "misbehaving hosts: each gets its own failure kind, exit 1"
ping_fleet ping -t all -o json >"$OUT"
check "exit status" 1 $?
check "kinds" "$(printf '%s\n' 'bastion ok' 'changed host_key_changed' 'inner1 ok' 'inner2 ok' 'new1 host_key_unknown' \
  'new2 host_key_unknown' 'new3 host_key_unknown' 'refused connect_refused' 'silent connect_timeout' \
  'wrongkey auth_denied' | sort)" "$(kinds "$OUT" | grep -v '^web-')"
msg() { python3 -c 'import json,sys
print(next(r["Message"] for r in json.load(open(sys.argv[1])) if r["Host"] == sys.argv[2]))' "$OUT" "$1"; }
check_contains "unknown key says how to fix" "ssh-keyscan -p ${FLEET_PORT[new1]} 127.0.0.1 >> $FLEET_KNOWN_HOSTS" "$(msg new1)"
check_contains "unknown key suggests accept-new" "--host-key-policy accept-new" "$(msg new1)"
old_fp=$(ssh-keygen -lf "$FLEET_DIR/oldkey_changed.pub" | cut -d' ' -f2)
new_fp=$(ssh-keygen -lf "$FLEET_DIR/hostkey_changed.pub" | cut -d' ' -f2)
check_contains "changed key shows the recorded fingerprint" "$old_fp" "$(msg changed)"
check_contains "changed key shows the offered fingerprint" "$new_fp" "$(msg changed)"
check_contains "changed key says how to fix" "ssh-keygen -R '[127.0.0.1]:${FLEET_PORT[changed]}'" "$(msg changed)"
check_contains "refused names the port" "port ${FLEET_PORT[refused]}" "$(msg refused)"
check_contains "auth denied lists the key tried" "$FLEET_WRONG_KEY" "$(msg wrongkey)"

case_begin "json shape"
check "fields of every record" "ConnectMs Failure Host Message Status" \
  "$(python3 -c 'import json,sys
print(" ".join(sorted(set(k for r in json.load(open(sys.argv[1])) for k in r))))' "$OUT")"
check "ok record" "ok None None True" "$(python3 -c 'import json,sys
r = next(r for r in json.load(open(sys.argv[1])) if r["Host"] == "web-001")
print(r["Status"], r["Failure"], r["Message"], isinstance(r["ConnectMs"], int))' "$OUT")"
check "failed record" "failed connect_refused None" "$(python3 -c 'import json,sys
r = next(r for r in json.load(open(sys.argv[1])) if r["Host"] == "refused")
print(r["Status"], r["Failure"], r["ConnectMs"])' "$OUT")"
check "records in inventory order" "$(printf '%s\n' "${FLEET_HOSTS[@]}")" "$(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])): print(r["Host"])' "$OUT")"

case_begin "nothing reachable: exit 4"
ping_fleet ping -t refused,silent >"$OUT"
check "exit status" 4 $?
check "summary" "2 hosts: 0 ok, 2 failed (1 connect_refused, 1 connect_timeout)" "$(tail -1 "$OUT")"

case_begin "jump host: hosts behind one bastion share one bastion session"
before=$(grep -c 'Accepted publickey' "${FLEET_LOG[bastion]}")
ping_fleet ping -t inner1,inner2 >"$OUT"
check "exit status" 0 $?
after=$(grep -c 'Accepted publickey' "${FLEET_LOG[bastion]}")
check "logins on the bastion for two hosts" 1 $((after - before))
check "the inner hosts saw logins" 2 "$(grep -c 'Accepted publickey' "${FLEET_LOG[inner1]}")"

case_begin "StrictHostKeyChecking no in the ssh config does not weaken sshm"
{ echo "StrictHostKeyChecking no"; cat "$FLEET_SSH_CONFIG"; } >"$FLEET_DIR/lax_config"
timeout 60 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_DIR/lax_config" --connect-timeout 3 \
  ping -t new1 -o json >"$OUT"
check "unknown host still refused" "new1 host_key_unknown" "$(kinds "$OUT")"

case_begin "--host-key-policy off: unknown accepted without recording, changed still fails"
lines=$(wc -l <"$FLEET_KNOWN_HOSTS")
ping_fleet --host-key-policy off ping -t new1,changed -o json >"$OUT"
check "kinds" "$(printf '%s\n' 'changed host_key_changed' 'new1 ok')" "$(kinds "$OUT")"
check "known_hosts unchanged" "$lines" "$(wc -l <"$FLEET_KNOWN_HOSTS")"

case_begin "--host-key-policy accept-new: records new keys once, changed still fails"
ping_fleet --host-key-policy accept-new ping -t new1,new2,new3,changed -o json >"$OUT"
check "kinds" "$(printf '%s\n' 'changed host_key_changed' 'new1 ok' 'new2 ok' 'new3 ok')" "$(kinds "$OUT")"
check "three lines added" $((lines + 3)) "$(wc -l <"$FLEET_KNOWN_HOSTS")"
for n in new1 new2 new3; do
  check "one line for $n" 1 "$(grep -c "^\[127.0.0.1\]:${FLEET_PORT[$n]} " "$FLEET_KNOWN_HOSTS")"
done
ping_fleet ping -t new1,new2,new3 >"$OUT"
check "strict now accepts them" 0 $?
ping_fleet --host-key-policy accept-new ping -t new1,new2,new3 >"$OUT"
check "no duplicates on a second run" $((lines + 3)) "$(wc -l <"$FLEET_KNOWN_HOSTS")"

# Starts sshm in the background (no `timeout` in between, so SIGINT reaches it) and waits
# until it holds a connection to the silent host: that host is then in flight.
start_on_silent() {
  SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 60 "$@" >"$OUT" 2>"$OUT.err" &
  bg=$!
  for _ in $(seq 200); do
    ss -tn state established "( dport = :${FLEET_PORT[silent]} )" | grep -q 127.0.0.1 && break
    sleep 0.05
  done
}

case_begin "Ctrl-C: the host in flight is cancelled, the rest are not contacted, exit 130"
start_on_silent ping -t silent,wrongkey,bastion --max-concurrency 1
kill -INT $bg
wait $bg
check "exit status" 130 $?
check_contains "says it is cancelling" "interrupted: cancelling in-flight hosts" "$(cat "$OUT.err")"
check "the host in flight" 1 "$(grep -cE '^silent +FAILED cancelled: cancelled while' "$OUT")"
check "hosts not started" 2 "$(grep -c 'FAILED cancelled: not contacted: interrupted' "$OUT")"
check "summary counts every host" "3 hosts: 0 ok, 3 failed (3 cancelled)" "$(tail -1 "$OUT")"

case_begin "Ctrl-C during the host key pre-flight: no answer, exit 130"
start_on_silent hosts keys -t silent,web-001
kill -INT $bg
wait $bg
check "exit status" 130 $?
check_contains "says why" "host key pre-flight interrupted: nothing was run" "$(cat "$OUT.err")"

case_begin "--sudo"
if [ "$(id -u)" -ne 0 ] || ! command -v sudo >/dev/null; then
  echo "  (skipped: needs root and sudo to write a sudoers rule)"
else
  ping_fleet ping --sudo -t web-001,web-002 -o json >"$OUT"
  check "exit status without a sudoers rule" 1 $?
  check "kinds without a rule" "$(printf '%s\n' 'web-001 sudo' 'web-002 sudo')" "$(kinds "$OUT")"
  check_contains "message says what to do" "NOPASSWD" "$(python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))[0]["Message"])' "$OUT")"
  rule=/etc/sudoers.d/sshm-e2e-ping-$$
  trap 'rm -f "$rule"; fleet_cleanup' EXIT
  echo "$FLEET_USER ALL=(ALL) NOPASSWD: ALL" >"$rule"
  chmod 440 "$rule"
  ping_fleet ping --sudo -t web-001,web-002 >"$OUT"
  check "exit status with a NOPASSWD rule" 0 $?
  rm -f "$rule"
fi

checks_done
