#!/usr/bin/env bash
# The ssh config read as `ssh -G` reads it, Match included: `sshm hosts show NAME` agrees
# with OpenSSH over a config of more than thirty Host and Match blocks; and a name only the
# ssh config defines is a target (`sshm exec -t alias1`) on a real sshd.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"
command -v ssh >/dev/null || { echo "SKIP: ssh (openssh-client) is not installed" >&2; exit 125; }

fleet_init
WORK=$FLEET_DIR/sshcfg
mkdir -p "$WORK/conf.d" "$WORK/empty" "$WORK/xdg"
export XDG_CONFIG_HOME=$WORK/xdg
unset SSHM_INVENTORY SSHM_SSH_CONFIG
me=$(id -un)

# 36 blocks: Host patterns, every Match criterion sshm reads, negations, an Include.
cat >"$WORK/conf.d/extra.conf" <<'EOF'
Match originalhost inc-*
  Port 3100
Host inc-b
  User incuser
EOF
{
  for i in $(seq 1 12); do
    printf 'Host box%02d\n  HostName 10.0.0.%d\n' "$i" "$i"
    [ $((i % 3)) = 0 ] && printf '  Port %d\n' $((2000 + i))
  done
  cat <<EOF
Host alias1
  HostName real1.example.com
Match host real1.example.com
  User matchuser
Match originalhost alias1
  IdentityFile ~/.ssh/alias1_key
Match host 10.0.0.1,10.0.0.2
  User lownet
Match host 10.0.0.* !host 10.0.0.4
  IdentityFile ~/.ssh/ten_%h
Match !originalhost box0*
  ProxyJump jump-any
Match user matchuser
  Port 2222
Match localuser $me
  IdentityFile ~/.ssh/local_%u
Match localuser nobody-else
  User never
Match exec "test %n = box05"
  User byexec
Match exec "false"
  User neverexec
Match originalhost web-*,!web-9
  HostName %h.web.example
Match final host *.web.example
  User finaluser
Match canonical
  Port 4444
Include $WORK/conf.d/*.conf
Host web-*
  User webdefault
Match user webdefault
  Port 2323
Host db-1 db-2
  HostName db.internal
  User dba
Match host db.internal
  Port 5433
Host jump-*
  HostName %h.bastion
Match all
  IdentitiesOnly yes
Host *
  User everyone
EOF
} >"$WORK/config"
blocks=$(grep -cE '^(Host|Match) ' "$WORK/config")
[ "$blocks" -ge 30 ] && check "at least 30 blocks ($blocks)" yes yes || check "at least 30 blocks" ">= 30" "$blocks"

# hostname, port, user, identity files and proxy jump from `ssh -G`, files expanded as ssh does.
ssh_g() {
  ssh -G -F "$WORK/config" "$1" 2>/dev/null | python3 "$SSHM_SOURCE_DIR/tests/e2e/lib/ssh_g.py" "$1"
}

# The same from `sshm hosts show NAME` (text: one `key value` line per setting, as ssh -G).
sshm_show() {
  (cd "$WORK/empty" && "$SSHM" -F "$WORK/config" hosts show "$1") | python3 -c '
import sys
kv, ids = {}, []
for line in sys.stdin:
    k, _, v = line.rstrip("\n").partition(" ")
    if k == "identityfile": ids.append(v)
    else: kv.setdefault(k, v)
print("hostname", kv.get("hostname")); print("port", kv.get("port")); print("user", kv.get("user"))
print("identity_files", " ".join(ids)); print("proxy_jump", kv.get("proxyjump", "none") or "none")
'
}

for name in box01 box02 box03 box04 box05 box06 box12 alias1 web-1 web-9 db-1 db-2 inc-a inc-b jump-x other.example; do
  case_begin "hosts show $name agrees with ssh -G"
  expected=$(ssh_g "$name")
  actual=$(sshm_show "$name")
  for field in hostname port user identity_files proxy_jump; do
    check "$field" "$(grep "^$field " <<<"$expected")" "$(grep "^$field " <<<"$actual")"
  done
done

case_begin "a bad Match line is an input error with its location"
printf 'Match host\n  Port 1\n' >"$WORK/bad"
err=$(cd "$WORK/empty" && "$SSHM" -F "$WORK/bad" hosts show x 2>&1)
check "exit status" 2 $?
check_contains "file:line" "$WORK/bad:1:1" "$err"

# ---- A name only the ssh config defines is a target --------------------------------------
fleet_add_hosts 1 real
fleet_write_files
port=${FLEET_PORT[real-001]}
cat >"$WORK/alias_config" <<EOF
Host alias1
  HostName 127.0.0.1
  Port $port
Match originalhost alias1
  User $FLEET_USER
  IdentityFile $FLEET_KEY
Host *
  IdentitiesOnly yes
  UserKnownHostsFile $FLEET_KNOWN_HOSTS
  StrictHostKeyChecking yes
EOF

case_begin "exec -t alias1: a host only the ssh config names, reached through a Match block"
out=$(cd "$WORK/empty" && SSH_AUTH_SOCK= "$SSHM" -F "$WORK/alias_config" --state-dir "$WORK/state" \
  exec -t alias1 'echo "hello from $(id -un)"' 2>"$WORK/err")
rc=$?
check "exit status" 0 "$rc"
check_contains "the host's output" "hello from $FLEET_USER" "$out"
check_contains "named as alias1" "alias1" "$out"

case_begin "exec -t on a name neither the inventory nor the ssh config knows"
(cd "$WORK/empty" && SSH_AUTH_SOCK= "$SSHM" -F "$WORK/alias_config" --state-dir "$WORK/state" \
  exec -t alias2 true >/dev/null 2>"$WORK/err")
check "exit status" 2 $?
check_contains "names the target" "alias2" "$(cat "$WORK/err")"

checks_done
