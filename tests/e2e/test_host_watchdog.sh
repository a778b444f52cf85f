#!/usr/bin/env bash
# The host ends a step on its own: when the controller is killed (kill -9) mid-step, every
# process the step started is killed on the host 10 s after the step's timeout, background
# children included, with no controller left to send the kill command. The script runs in a
# process group of its own, never in argv. Checked both with coreutils' timeout on the host
# and (PATH cannot hide it: the wrapper looks at /usr/bin and /bin) via the unit tests'
# fallback case for hosts without it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"

fleet_init
fleet_add_hosts 1 wd || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
shared=$FLEET_DIR/shared
mkdir -p "$shared" && chmod 1777 "$shared"

case_begin "controller killed mid-step: the host kills the step's whole group after its timeout"
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" exec \
  "secret_marker_8121=1; sleep 3191 & (sleep 3192 &); ps -o pgid= -p \$\$ >$shared/pgid; ps -o sid= -p \$\$ >$shared/sid; sleep 3193" \
  -t wd-001 --execution-timeout 5 --no-progress >/dev/null 2>&1 &
pid=$!
for _ in $(seq 400); do [ -s "$shared/sid" ] && pgrep -xf 'sleep 319[3]' >/dev/null && break; sleep 0.05; done
check_eq "the step runs" 3 "$(pgrep -xfc 'sleep 319[123]')"
# (sshm's own command line holds it: that is the controller's, not the host's.)
check_eq "the script is on no command line of the host" "" "$(pgrep -f 'secret_marker_812[1]' | grep -vx "$pid" || true)"
pgid=$(tr -d ' ' <"$shared/pgid")
sleeper=$(pgrep -xf 'sleep 319[3]' | head -1)
check_eq "the script leads a process group of its own, not sshd's" yes \
  "$([ -n "$pgid" ] && [ "$(ps -o pgid= -p "$(ps -o ppid= -p "$sleeper" | tr -d ' ')" | tr -d ' ')" = "$pgid" ] &&
    ! pgrep -g "$pgid" -x sshd >/dev/null && echo yes || echo "no (pgid $pgid, sleeper $sleeper)")"
kill -9 $pid
wait $pid 2>/dev/null
check_eq "still running right after the controller died" 3 "$(pgrep -xfc 'sleep 319[123]')"
# timeout 5 s + 10 s on the host; the bound is generous for a loaded machine.
for _ in $(seq 1200); do pgrep -xf 'sleep 319[123]' >/dev/null || break; sleep 0.1; done
check_eq "nothing of the step is left on the host" "" "$(pgrep -axf 'sleep 319[123]' || true)"

checks_done
