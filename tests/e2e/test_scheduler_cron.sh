#!/usr/bin/env bash
# sshm scheduler install --cron with the real cron daemon: the crontab line is installed, a
# rate(30 minutes) association created now is run by cron's next `sshm tick` on the loopback
# fleet, and --remove takes the line out again. The user's crontab is restored afterwards.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"
command -v jq >/dev/null || { echo "SKIP: jq is not installed" >&2; exit 125; }
command -v crontab >/dev/null || { echo "SKIP: crontab (the cron package) is not installed" >&2; exit 125; }
command -v cron >/dev/null || [ -x /usr/sbin/cron ] || { echo "SKIP: the cron daemon is not installed" >&2; exit 125; }

fleet_init
fleet_add_hosts 2 web
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state XDG_CONFIG_HOME=$FLEET_DIR/config
unset SSHM_TEST_NOW
sm() { fleet_sshm "$@"; }

# The crontab the user had, put back however the suite ends; a cron daemon this suite
# started is stopped (by its pid).
had_crontab=0
if crontab -l >"$FLEET_DIR/crontab.before" 2>/dev/null; then had_crontab=1; fi
cron_pid=""
restore() {
  if [ "$had_crontab" = 1 ]; then crontab "$FLEET_DIR/crontab.before"; else crontab -r 2>/dev/null; fi
  [ -n "$cron_pid" ] && kill "$cron_pid" 2>/dev/null
  fleet_cleanup
}
trap restore EXIT

if ! pgrep -x cron >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: cron is not running and only root can start it" >&2; exit 125; }
  # Foreground, so this suite knows the pid it started.
  "$(command -v cron || echo /usr/sbin/cron)" -f >/dev/null 2>&1 &
  cron_pid=$!
  sleep 1
  kill -0 "$cron_pid" 2>/dev/null || { echo "SKIP: the cron daemon would not start" >&2; exit 125; }
fi

case_begin "install --cron prints the line with absolute paths"
line=$(sm scheduler install --cron); rc=$?
check_eq "exit 0" 0 "$rc"
check_match "every minute, sshm tick, the state dir, the inventory, the log" \
  "^\* \* \* \* \* /[^ ]*sshm tick --state-dir $FLEET_DIR/state -i $FLEET_INVENTORY -F $FLEET_SSH_CONFIG >>$FLEET_DIR/state/tick.log 2>&1 # sshm scheduler$" \
  "$line"

case_begin "install --cron --write puts it in the crontab, once, beside the user's lines"
printf '# a line of the user\n17 4 * * * true\n' | crontab -
sm scheduler install --cron --write 2>/dev/null; rc=$?
check_eq "exit 0" 0 "$rc"
sm scheduler install --cron --write 2>/dev/null
tab=$(crontab -l)
check_contains "the user's line is kept" "17 4 * * * true" "$tab"
check_eq "one sshm line after two installs" 1 "$(grep -c 'sshm scheduler' <<<"$tab")"

case_begin "cron's tick runs a rate(30 minutes) association created now"
sm associations create --name AWS-RunShellScript --association-name cron-made -t all \
  -p 'commands=echo from-cron' --schedule-expression 'rate(30 minutes)' >/dev/null
n=0
for _ in $(seq 1 75); do
  n=$(sm associations executions cron-made -o json | jq '[.AssociationExecutions[] | select(.Status=="Success")] | length')
  [ "$n" -ge 1 ] && break
  sleep 2
done
check_eq "an execution succeeded within ~150 s" 1 "$n"
check_eq "on both hosts" '{"Success":2}' \
  "$(sm associations executions cron-made -o json | jq -r '.AssociationExecutions[0].ResourceCountByStatus')"
check_contains "the tick's log says so" "association cron-made: finished Success" "$(cat "$FLEET_DIR/state/tick.log" 2>/dev/null)"

case_begin "install --cron --remove takes out only its line"
sm scheduler install --cron --remove 2>/dev/null; rc=$?
check_eq "exit 0" 0 "$rc"
tab=$(crontab -l)
check_not_contains "no sshm line" "sshm scheduler" "$tab"
check_contains "the user's line is kept" "17 4 * * * true" "$tab"

case_begin "install refuses unclear requests"
err=$(sm scheduler install 2>&1); rc=$?
check_eq "neither --cron nor --systemd: exit 2" 2 "$rc"
out=$(sm scheduler install --systemd --user); rc=$?
check_eq "--systemd prints units: exit 0" 0 "$rc"
check_contains "a timer every minute" "OnCalendar=*-*-* *:*:00" "$out"
check_contains "the service runs sshm tick" "ExecStart=/" "$out"

checks_done
