#!/usr/bin/env bash
# `sshm hosts show NAME` must agree with OpenSSH's own resolver, `ssh -G -F CONFIG NAME`,
# on hostname, port, user, identity files and proxy jump, for hosts only the config knows.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
command -v ssh >/dev/null || { echo "SKIP: ssh (openssh-client) is not installed" >&2; exit 125; }

WORK=$(mktemp -d /tmp/sshm-hosts-show.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1  # no ./inventory.yaml here: hosts come from the ssh config only

mkdir -p "$WORK/conf.d"
cat >"$WORK/conf.d/10-db.conf" <<'EOF'
Host db-*
  User dbadmin
  Port 5022
  IdentityFile ~/.ssh/db_key
EOF
cat >"$WORK/conf.d/20-cache.conf" <<'EOF'
Host cache1
  HostName cache1.internal
EOF
cat >"$WORK/config" <<EOF
# Several patterns, negation, tokens, includes and first-match-wins.
Include $WORK/conf.d/*.conf

Host web-* !web-legacy
  HostName %h.example.com
  User deploy
  IdentityFile ~/.ssh/web_ed25519
  IdentityFile %d/.ssh/shared_%u

Host web-legacy
  HostName 10.1.2.3
  Port 2222
  ProxyJump jump1

Host inner-?
  ProxyJump admin@jump1:2200,jump2

Host db-* web-01
  User second-match-loses
  Port 9999
  IdentityFile ~/.ssh/extra

Host jump*
  HostName %h.bastions.example.com
  User hop

Host *
  User everyone
  IdentitiesOnly yes
EOF

# Prints the five compared settings from `ssh -G`, identity files expanded as ssh expands them.
ssh_g() {
  ssh -G -F "$WORK/config" "$1" 2>/dev/null | python3 "$SSHM_SOURCE_DIR/tests/e2e/lib/ssh_g.py" "$1"
}

# The same five settings from `sshm hosts show NAME -o json`.
sshm_show() {
  "$SSHM" -F "$WORK/config" hosts show "$1" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("hostname", d["hostname"])
print("port", d["port"])
print("user", d["user"])
print("identity_files", " ".join(d["identity_files"]))
print("proxy_jump", d["proxy_jump"] or "none")
'
}

for name in web-01 web-02 web-legacy db-main cache1 inner-a jump1 plain.example.org; do
  case_begin "hosts show $name agrees with ssh -G"
  expected=$(ssh_g "$name")
  actual=$(sshm_show "$name")
  for field in hostname port user identity_files proxy_jump; do
    check "$field" "$(grep "^$field " <<<"$expected")" "$(grep "^$field " <<<"$actual")"
  done
done

case_begin "text form: one key value per line"
out=$("$SSHM" -F "$WORK/config" hosts show web-01)
check "hostname line" "hostname web-01.example.com" "$(grep '^hostname ' <<<"$out")"
check "identity file lines" 3 "$(grep -c '^identityfile ' <<<"$out")"
check "host key policy" "hostkeypolicy strict" "$(grep '^hostkeypolicy ' <<<"$out")"

case_begin "json form has every documented field"
check "fields" "connect_timeout host_key_policy hostname identities_only identity_files in_inventory known_hosts_files name port proxy_jump user vars" \
  "$("$SSHM" -F "$WORK/config" hosts show web-01 -o json | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')"

case_begin "inventory settings win over the ssh config"
cat >"$WORK/inventory.yaml" <<'EOF'
hosts:
  web-01:
    address: 192.0.2.10
    port: 2200
    user: inv-user
    identity_file: /keys/inventory_key
EOF
out=$("$SSHM" -F "$WORK/config" -i "$WORK/inventory.yaml" hosts show web-01 -o json)
check "settings" "192.0.2.10 2200 inv-user ['/keys/inventory_key']" \
  "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["hostname"], d["port"], d["user"], d["identity_files"])' <<<"$out")"

case_begin "a bad ssh config is an input error with its location"
printf 'Host x\n  Port many\n' >"$WORK/bad_config"
err=$("$SSHM" -F "$WORK/bad_config" hosts show x 2>&1)
check "exit status" 2 $?
check "message" "sshm: error: $WORK/bad_config:2:3: Port wants a number from 1 to 65535, not 'many'" "$err"

checks_done
