# shellcheck shell=bash
# A throwaway fleet of real OpenSSH servers on 127.0.0.1, for e2e suites and the quickstart.
#
# Source it, then call the functions below. Everything lives in one temp dir ($FLEET_DIR)
# and is removed by fleet_cleanup, which fleet_init installs as an EXIT trap.
#
#   fleet_init                       temp dir, test user, client keys, empty known_hosts
#   fleet_add_hosts N [PREFIX]       N healthy hosts (PREFIX-001 ...); one sshd (and host key)
#                                    serves FLEET_HOSTS_PER_SSHD of them (default and max 16)
#   fleet_add_changed_key NAME       a host whose known_hosts entry holds another key
#   fleet_add_refused NAME           a port where nothing listens
#   fleet_add_silent NAME            a TCP listener that accepts and never speaks
#   fleet_add_wrong_key NAME         a host that does not accept the client key
#   fleet_add_bastion NAME           a host that forwards TCP (a jump host)
#   fleet_add_behind NAME BASTION    a host reached with ProxyJump BASTION
#   fleet_add_unknown_key NAME       a healthy host that is not in known_hosts
#   fleet_write_files                writes $FLEET_INVENTORY and $FLEET_SSH_CONFIG
#   fleet_sshm ARGS...               runs $SSHM with the fleet's inventory and ssh config
#
# Results: FLEET_DIR, FLEET_USER, FLEET_KEY (client key), FLEET_WRONG_KEY, FLEET_KNOWN_HOSTS,
# FLEET_INVENTORY, FLEET_SSH_CONFIG, FLEET_PORT[name], FLEET_LOG[name] (sshd log of a host),
# FLEET_HOSTS (names in order).
#
# As root (CI), hosts log in as a dedicated unprivileged user (FLEET_TEST_USER, default
# sshm-test, shell /bin/sh, created once and kept). Otherwise sshd runs as the current user
# and the fleet logs in as that user. Ports come from 20000-32000, locked across parallel
# suites by mkdir under /tmp/sshm-fleet-ports, and are checked free before use.

FLEET_SSHD=${FLEET_SSHD:-/usr/sbin/sshd}
FLEET_TEST_USER=${FLEET_TEST_USER:-sshm-test}
FLEET_PORT_LOCKS=/tmp/sshm-fleet-ports
declare -gA FLEET_PORT=() FLEET_LOG=() FLEET_KIND=() FLEET_JUMP=() FLEET_IDENTITY=()
declare -ga FLEET_HOSTS=() FLEET_PIDS=() FLEET_MY_PORTS=()

# Says why the fleet cannot start and exits with the skip status.
fleet_skip() {
  echo "SKIP: $*" >&2
  exit 125
}

# Creates the fleet directory, user and client keys, and the cleanup trap.
fleet_init() {
  [ -x "$FLEET_SSHD" ] || fleet_skip "OpenSSH server ($FLEET_SSHD) is not installed"
  command -v ssh-keygen >/dev/null || fleet_skip "ssh-keygen (openssh-client) is not installed"
  command -v python3 >/dev/null || fleet_skip "python3 is not installed"
  FLEET_DIR=$(mktemp -d /tmp/sshm-fleet.XXXXXX)
  chmod 755 "$FLEET_DIR"
  trap fleet_cleanup EXIT
  trap 'exit 130' INT TERM
  if [ "$(id -u)" -eq 0 ]; then
    FLEET_USER=$FLEET_TEST_USER
    mkdir -p /run/sshd && chmod 755 /run/sshd
    (
      flock 9
      if ! id "$FLEET_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$FLEET_USER"
      fi
      # A locked password ('!') makes sshd refuse the account even for keys; '*' does not.
      usermod -p '*' "$FLEET_USER"
    ) 9>/tmp/sshm-fleet-user.lock
  else
    FLEET_USER=$(id -un)
  fi
  mkdir -p "$FLEET_PORT_LOCKS" 2>/dev/null && chmod 1777 "$FLEET_PORT_LOCKS" 2>/dev/null
  FLEET_KEY=$FLEET_DIR/client_key
  FLEET_WRONG_KEY=$FLEET_DIR/wrong_key
  ssh-keygen -q -t ed25519 -N '' -C sshm-fleet -f "$FLEET_KEY"
  ssh-keygen -q -t ed25519 -N '' -C sshm-fleet-wrong -f "$FLEET_WRONG_KEY"
  cp "$FLEET_KEY.pub" "$FLEET_DIR/authorized_keys"
  chmod 644 "$FLEET_DIR/authorized_keys"
  FLEET_KNOWN_HOSTS=$FLEET_DIR/known_hosts
  : >"$FLEET_KNOWN_HOSTS"
  FLEET_INVENTORY=$FLEET_DIR/inventory.yaml
  FLEET_SSH_CONFIG=$FLEET_DIR/ssh_config
  FLEET_GROUP=0
}

# Stops every server the fleet started and removes its files and port locks.
fleet_cleanup() {
  local pid port
  for pid in "${FLEET_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${FLEET_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for port in "${FLEET_MY_PORTS[@]}"; do rm -rf "$FLEET_PORT_LOCKS/$port"; done
  [ -n "${FLEET_DIR:-}" ] && rm -rf "$FLEET_DIR"
  return 0
}

# Prints N free TCP ports on 127.0.0.1, each locked for this shell (its pid).
fleet_free_ports() {
  python3 - "$1" "$FLEET_PORT_LOCKS" "$$" <<'EOF'
import os, random, socket, sys
count, locks, owner = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def stale(path):
    try:
        pid = int(open(os.path.join(path, "pid")).read())
        os.kill(pid, 0)
        return False
    except (OSError, ValueError):
        return True
found = []
candidates = list(range(20000, 32000))
random.shuffle(candidates)
for port in candidates:
    if len(found) == count:
        break
    path = os.path.join(locks, str(port))
    try:
        os.mkdir(path)
    except FileExistsError:
        if not stale(path):
            continue
        try:
            os.rename(path, path + ".stale.%d" % os.getpid())
            os.system("rm -rf '%s.stale.%d'" % (path, os.getpid()))
            os.mkdir(path)
        except OSError:
            continue
    with open(os.path.join(path, "pid"), "w") as f:
        f.write(owner)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        found.append(port)
    except OSError:
        os.system("rm -rf '%s'" % path)
    finally:
        s.close()
if len(found) < count:
    sys.exit("no free ports")
print(" ".join(map(str, found)))
EOF
}

# Starts one sshd serving `names` (at most 16: sshd's limit of listen sockets).
# Options: a host key file (made if missing) and extra sshd_config lines.
#   _fleet_sshd KIND HOSTKEY EXTRA NAME...
_fleet_sshd() {
  local kind=$1 hostkey=$2 extra=$3
  shift 3
  local group=$((FLEET_GROUP += 1))
  local dir=$FLEET_DIR/sshd$group
  mkdir -p "$dir"
  [ -f "$hostkey" ] || ssh-keygen -q -t ed25519 -N '' -C "sshm-fleet-host-$group" -f "$hostkey"
  local ports
  ports=$(fleet_free_ports $#) || { echo "fleet: no free ports" >&2; return 1; }
  read -r -a ports <<<"$ports"
  FLEET_MY_PORTS+=("${ports[@]}")
  {
    echo "ListenAddress 127.0.0.1"
    for p in "${ports[@]}"; do echo "Port $p"; done
    echo "HostKey $hostkey"
    echo "PidFile none"
    echo "AuthorizedKeysFile $FLEET_DIR/authorized_keys"
    echo "StrictModes no"
    echo "PubkeyAuthentication yes"
    echo "PasswordAuthentication no"
    echo "KbdInteractiveAuthentication no"
    echo "UsePAM no"
    echo "PermitRootLogin prohibit-password"
    echo "MaxStartups 2000"
    echo "MaxSessions 100"
    echo "MaxAuthTries 10"
    echo "LoginGraceTime 60"
    echo "PrintMotd no"
    echo "LogLevel ${FLEET_SSHD_LOGLEVEL:-VERBOSE}"
    printf '%s\n' "$extra"
  } >"$dir/sshd_config"
  "$FLEET_SSHD" -D -e -f "$dir/sshd_config" >"$dir/log" 2>&1 &
  FLEET_PIDS+=($!)
  local i=0 name
  for name in "$@"; do
    FLEET_HOSTS+=("$name")
    FLEET_PORT[$name]=${ports[$i]}
    FLEET_LOG[$name]=$dir/log
    FLEET_KIND[$name]=$kind
    i=$((i + 1))
    if [ "$kind" != changed_key ] && [ "$kind" != unknown_key ]; then
      echo "[127.0.0.1]:${ports[$i - 1]} $(cut -d' ' -f1,2 "$hostkey.pub")" >>"$FLEET_KNOWN_HOSTS"
    fi
  done
  # Wait until sshd listens on every port (it logs each one).
  local tries=0
  local up
  while up=$(grep -c 'Server listening on' "$dir/log" 2>/dev/null); [ "${up:-0}" -lt $# ]; do
    tries=$((tries + 1))
    if [ $tries -gt 200 ] || ! kill -0 "${FLEET_PIDS[-1]}" 2>/dev/null; then
      echo "fleet: sshd for $* did not start:" >&2
      cat "$dir/log" >&2
      return 1
    fi
    sleep 0.05
  done
}

# N healthy hosts named PREFIX-001 ... (default prefix "host").
fleet_add_hosts() {
  local n=$1 prefix=${2:-host} names=() i
  for ((i = 1; i <= n; i++)); do names+=("$(printf '%s-%03d' "$prefix" "$i")"); done
  local start=0 per=${FLEET_HOSTS_PER_SSHD:-16}
  while [ $start -lt $n ]; do
    local batch=("${names[@]:$start:$per}")
    _fleet_sshd ok "$FLEET_DIR/hostkey$((FLEET_GROUP + 1))" "" "${batch[@]}" || return 1
    start=$((start + per))
  done
}

# A healthy sshd, but known_hosts lists a different key for it (a changed host key).
fleet_add_changed_key() {
  local name=$1
  _fleet_sshd changed_key "$FLEET_DIR/hostkey_$name" "" "$name" || return 1
  ssh-keygen -q -t ed25519 -N '' -C "sshm-fleet-impostor" -f "$FLEET_DIR/oldkey_$name"
  echo "[127.0.0.1]:${FLEET_PORT[$name]} $(cut -d' ' -f1,2 "$FLEET_DIR/oldkey_$name.pub")" >>"$FLEET_KNOWN_HOSTS"
}

# A healthy sshd that is not in known_hosts at all.
fleet_add_unknown_key() {
  _fleet_sshd unknown_key "$FLEET_DIR/hostkey_$1" "" "$1"
}

# A port where nothing listens (locked, so no other suite takes it meanwhile).
fleet_add_refused() {
  local name=$1 port
  port=$(fleet_free_ports 1) || return 1
  FLEET_MY_PORTS+=("$port")
  FLEET_HOSTS+=("$name")
  FLEET_PORT[$name]=$port
  FLEET_KIND[$name]=refused
}

# A TCP listener that accepts connections and never says a word.
fleet_add_silent() {
  local name=$1 port
  port=$(fleet_free_ports 1) || return 1
  FLEET_MY_PORTS+=("$port")
  python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$port" >"$FLEET_DIR/silent_$name.log" 2>&1 &
  FLEET_PIDS+=($!)
  local tries=0
  until grep -q listening "$FLEET_DIR/silent_$name.log" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -gt 200 ] && { echo "fleet: silent listener did not start" >&2; return 1; }
    sleep 0.05
  done
  FLEET_HOSTS+=("$name")
  FLEET_PORT[$name]=$port
  FLEET_KIND[$name]=silent
}

# A healthy sshd reached with a key it does not accept.
fleet_add_wrong_key() {
  local name=$1
  fleet_add_hosts_named wrong_key "$name" || return 1
  FLEET_IDENTITY[$name]=$FLEET_WRONG_KEY
}

# Hosts of a given kind served by one sshd.
fleet_add_hosts_named() {
  local kind=$1
  shift
  _fleet_sshd "$kind" "$FLEET_DIR/hostkey$((FLEET_GROUP + 1))" "" "$@"
}

# A jump host: forwards TCP for the client (AllowTcpForwarding).
fleet_add_bastion() {
  _fleet_sshd bastion "$FLEET_DIR/hostkey_$1" "AllowTcpForwarding yes" "$1"
}

# A host reached through BASTION with ProxyJump.
fleet_add_behind() {
  local name=$1 bastion=$2
  fleet_add_hosts_named behind "$name" || return 1
  FLEET_JUMP[$name]=$bastion
}

# Writes the inventory (every host, tagged with its kind) and an ssh config that knows
# every host too (so `ssh -F $FLEET_SSH_CONFIG NAME` works and jump hosts resolve).
fleet_write_files() {
  local name
  {
    echo "# Written by tests/e2e/lib/fleet.sh"
    for name in "${FLEET_HOSTS[@]}"; do
      echo "Host $name"
      echo "  HostName 127.0.0.1"
      echo "  Port ${FLEET_PORT[$name]}"
      echo "  User $FLEET_USER"
      echo "  IdentityFile ${FLEET_IDENTITY[$name]:-$FLEET_KEY}"
      [ -n "${FLEET_JUMP[$name]:-}" ] && echo "  ProxyJump ${FLEET_JUMP[$name]}"
    done
    echo "Host *"
    echo "  IdentitiesOnly yes"
    echo "  UserKnownHostsFile $FLEET_KNOWN_HOSTS"
    echo "  StrictHostKeyChecking yes"
  } >"$FLEET_SSH_CONFIG"
  {
    echo "# Written by tests/e2e/lib/fleet.sh"
    echo "defaults:"
    echo "  user: $FLEET_USER"
    echo "hosts:"
    for name in "${FLEET_HOSTS[@]}"; do
      echo "  $name:"
      echo "    address: 127.0.0.1"
      echo "    port: ${FLEET_PORT[$name]}"
      [ -n "${FLEET_IDENTITY[$name]:-}" ] && echo "    identity_file: ${FLEET_IDENTITY[$name]}"
      [ -n "${FLEET_JUMP[$name]:-}" ] && echo "    proxy_jump: ${FLEET_JUMP[$name]}"
      echo "    tags: {Kind: ${FLEET_KIND[$name]}}"
    done
  } >"$FLEET_INVENTORY"
}

# Runs sshm against the fleet (no agent: only the fleet's keys count).
fleet_sshm() {
  SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" "$@"
}
