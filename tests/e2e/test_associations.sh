#!/usr/bin/env bash
# sshm associations and sshm tick on the loopback fleet, with the tick's clock set by the
# test-only SSHM_TEST_NOW: create, list/describe JSON, the run at the next tick, a host
# that was unreachable retried until it gets it (and no host run twice), the schedule,
# missed times, start-once, Parameter Store changes, two ticks at once, apply -f, delete.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"
command -v jq >/dev/null || { echo "SKIP: jq is not installed" >&2; exit 125; }

fleet_init
fleet_add_hosts 2 web
fleet_add_refused db-001
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state XDG_CONFIG_HOME=$FLEET_DIR/config
unset SSHM_TEST_NOW
sm() { fleet_sshm "$@"; }
# tick MINUTES: one tick at that many minutes after nightly was created (T0, set below from
# its Date, which its rate times count from); sets out, err and rc.
T0=$(date -u +%s)
tick() {
  local at
  at=$(date -u -d "@$((T0 + $1 * 60))" +%Y-%m-%dT%H:%M:%SZ)
  out=$(SSHM_TEST_NOW=$at fleet_sshm tick --log "$FLEET_DIR/tick.log" 2>"$FLEET_DIR/err"); rc=$?
  err=$(cat "$FLEET_DIR/err")
}
executions() { sm associations executions "$1" -o json | jq -r "$2"; }

case_begin "create: AssociationDescription, and bad input exits 2 with SSM's error names"
out=$(sm associations create --name AWS-RunShellScript --association-name nightly -t all \
  -p commands='echo applied' --schedule-expression 'rate(30 minutes)' --compliance-severity HIGH -o json); rc=$?
check_eq "exit 0" 0 "$rc"
id=$(jq -r .AssociationDescription.AssociationId <<<"$out")
T0=$(date -u -d "$(jq -r .AssociationDescription.Date <<<"$out")" +%s)
check_match "AssociationId is a UUID" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$id"
check_eq "AssociationVersion" '"1"' "$(jq -c .AssociationDescription.AssociationVersion <<<"$out")"
check_eq "Targets in SSM's shape" '[{"Key":"InstanceIds","Values":["*"]}]' "$(jq -c .AssociationDescription.Targets <<<"$out")"
check_eq "Parameters as lists of strings" '{"commands":["echo applied"]}' "$(jq -c .AssociationDescription.Parameters <<<"$out")"
check_eq "Overview before any run" "Pending" "$(jq -r .AssociationDescription.Overview.Status <<<"$out")"
err=$(sm associations create --name AWS-RunShellScript --association-name nightly -t all -p commands=x 2>&1); rc=$?
check_eq "same name: exit 2" 2 "$rc"
check_contains "AssociationAlreadyExists" "AssociationAlreadyExists" "$err"
err=$(sm associations create --name AWS-RunShellScript --association-name hourly -t all -p commands=x \
  --schedule-expression 'rate(1 hours)' 2>&1); rc=$?
check_eq "rate(1 hours): exit 2" 2 "$rc"
check_contains "InvalidSchedule" "InvalidSchedule" "$err"
err=$(sm associations create --name AWS-RunShellScript --association-name cronish -t all -p commands=x \
  --schedule-expression 'rate(30 minutes)' --apply-only-at-cron-interval 2>&1); rc=$?
check_eq "ApplyOnlyAtCronInterval with rate: exit 2" 2 "$rc"
err=$(sm associations create --name AWS-RunShellScript --association-name badparam -t all -p nope=1 2>&1); rc=$?
check_eq "unknown parameter: exit 2" 2 "$rc"
check_contains "InvalidParameters" "InvalidParameters" "$err"
check_eq "nothing else was stored" "nightly" "$(sm associations list -o json | jq -r '[.Associations[].AssociationName]|join(",")')"

case_begin "the next tick runs it; the unreachable host stays Pending"
tick 1
check_eq "tick exits 0" 0 "$rc"
check_contains "log line: started" "association nightly: started (created) on 3 host(s)" "$err"
check_contains "log line: finished" "association nightly: finished Failed: 1 Pending, 2 Success (command " "$err"
check_eq "one execution" 1 "$(executions nightly 'length as $n | .AssociationExecutions | length')"
exec1=$(executions nightly '.AssociationExecutions[0].ExecutionId')
check_eq "ResourceCountByStatus" '{"Pending":1,"Success":2}' "$(executions nightly '.AssociationExecutions[0].ResourceCountByStatus')"
tj=$(sm associations execution-targets nightly "$exec1" -o json)
check_eq "db-001 Pending, Undeliverable" "Pending Undeliverable" \
  "$(jq -r '.AssociationExecutionTargets[] | select(.ResourceId=="db-001") | "\(.Status) \(.DetailedStatus)"' <<<"$tj")"
check_eq "ResourceType" "ManagedInstance" "$(jq -r '.AssociationExecutionTargets[0].ResourceType' <<<"$tj")"
cmd=$(jq -r '.AssociationExecutionTargets[] | select(.ResourceId=="web-001") | .OutputSource.OutputSourceId' <<<"$tj")
check_eq "OutputSource is the Run Command" "RunCommand" "$(jq -r '.AssociationExecutionTargets[0].OutputSource.OutputSourceType' <<<"$tj")"
check_contains "the command is in sshm commands, with the hosts' output" "applied" \
  "$(sm commands show "$cmd" -o json | jq -r '.Invocations[] | select(.InstanceId=="web-001") | .StandardOutputContent')"
check_contains "the log file has the same lines" "association nightly: started" "$(cat "$FLEET_DIR/tick.log")"

case_begin "SyncCompliance AUTO: an Association compliance item per host that ran it"
cj=$(sm compliance list --type Association -o json)
check_eq "web hosts COMPLIANT, with the association's Id and severity" "web-001 COMPLIANT HIGH $id,web-002 COMPLIANT HIGH $id" \
  "$(jq -r '[.ComplianceItems[] | "\(.ResourceId) \(.Status) \(.Severity) \(.Id)"] | join(",")' <<<"$cj")"
out=$(sm compliance summary --type Association); rc=$?
check_eq "compliance summary exits 0: nothing NON_COMPLIANT yet" 0 "$rc"

case_begin "Pending host retried on later ticks, alone, until it gets it"
tick 2
check_eq "2nd execution on the Pending host only" '{"Pending":1}' "$(executions nightly '.AssociationExecutions[0].ResourceCountByStatus')"
check_eq "trigger" "pending hosts" "$(executions nightly '.AssociationExecutions[0].Trigger')"
# db-001 comes back: its address now points at a live sshd.
sed -i "s/${FLEET_PORT[db-001]}/${FLEET_PORT[web-001]}/" "$FLEET_INVENTORY" "$FLEET_SSH_CONFIG"
tick 3
check_eq "3rd execution: db-001 only, Success" '{"Success":1}' "$(executions nightly '.AssociationExecutions[0].ResourceCountByStatus')"
exec3=$(executions nightly '.AssociationExecutions[0].ExecutionId')
check_eq "its one target is db-001" "db-001" "$(sm associations execution-targets nightly "$exec3" -o json | jq -r '[.AssociationExecutionTargets[].ResourceId]|join(",")')"
check_eq "Overview: every host Success" "Success" "$(sm associations describe nightly -o json | jq -r .AssociationDescription.Overview.Status)"

case_begin "nothing due: no run, no output"
tick 4
check_eq "exit 0" 0 "$rc"
check_eq "nothing logged" "" "$err"
check_eq "still 3 executions" 3 "$(executions nightly '.AssociationExecutions | length')"

case_begin "on schedule: every host again at the next rate time"
tick 30
check_eq "the 30-minute time runs" 4 "$(executions nightly '.AssociationExecutions | length')"
check_eq "on all three hosts" '{"Success":3}' "$(executions nightly '.AssociationExecutions[0].ResourceCountByStatus')"
check_eq "trigger" "scheduled" "$(executions nightly '.AssociationExecutions[0].Trigger')"

case_begin "missed times (no tick ran): run once, the others recorded as skipped"
tick 185
# Rate times at 60, 90, 120, 150 and 180 minutes passed: the latest runs, four were missed.
check_contains "says what was missed" "4 scheduled time(s) missed while no tick ran" "$err"
check_eq "one run" 1 "$(executions nightly '[.AssociationExecutions[] | select(.Status=="Success" and .Trigger=="scheduled")] | length - 1')"
check_eq "four skipped" 4 "$(executions nightly '[.AssociationExecutions[] | select(.Status=="Skipped")] | length')"
check_eq "why" "MissedWhileStopped" "$(executions nightly '[.AssociationExecutions[] | select(.Status=="Skipped")][0].DetailedStatus')"

case_begin "start-once and update: run at the next tick"
sm associations start-once nightly 2>/dev/null
tick 186
check_eq "start-once ran" "start-once" "$(executions nightly '.AssociationExecutions[0].Trigger')"
out=$(sm associations update nightly -p commands='echo v2' -o json)
check_eq "AssociationVersion 2" "2" "$(jq -r .AssociationDescription.AssociationVersion <<<"$out")"
tick 187
check_eq "the edit ran" "updated" "$(executions nightly '.AssociationExecutions[0].Trigger')"
sm associations update nightly --compliance-severity LOW >/dev/null
tick 188
check_eq "a severity change does not run it" "updated" "$(executions nightly '.AssociationExecutions[0].Trigger')"

case_begin "a changed Parameter Store value runs it again"
sm params put-parameter --name /app/msg --value one --type String >/dev/null
sm associations update nightly -p 'commands=echo {{ssm:/app/msg}}' >/dev/null
tick 189
check_eq "ran after the update" "updated" "$(executions nightly '.AssociationExecutions[0].Trigger')"
tick 190
n=$(executions nightly '.AssociationExecutions | length')
sm params put-parameter --name /app/msg --value two --type String --overwrite >/dev/null
tick 191
check_eq "ran once more" $((n + 1)) "$(executions nightly '.AssociationExecutions | length')"
check_eq "because the value changed" "Parameter Store values changed" "$(executions nightly '.AssociationExecutions[0].Trigger')"
c=$(executions nightly '.AssociationExecutions[0].CommandId')
check_contains "with the new value" "two" "$(sm commands show "$c" -o json | jq -r '.Invocations[0].StandardOutputContent')"

case_begin "two ticks at once run an association once"
sm associations create --name AWS-RunShellScript --association-name slow -t web-001 -p 'commands=sleep 3' >/dev/null
at=$(date -u -d "@$((T0 + 192 * 60))" +%Y-%m-%dT%H:%M:%SZ)
SSHM_TEST_NOW=$at fleet_sshm tick 2>"$FLEET_DIR/a.err" & p1=$!
SSHM_TEST_NOW=$at fleet_sshm tick 2>"$FLEET_DIR/b.err" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check_eq "both exit 0" "0 0" "$r1 $r2"
check_eq "one execution of slow" 1 "$(executions slow '.AssociationExecutions | length')"
check_eq "it succeeded" "Success" "$(executions slow '.AssociationExecutions[0].Status')"

case_begin "a run still going when the next is due: that time is skipped, and said so"
# Another sshm holds nightly's lock (as a tick running it would) while its 210-minute time comes.
n=$(executions nightly '.AssociationExecutions | length')
out=$(SSHM_TEST_NOW=$(date -u -d "@$((T0 + 210 * 60))" +%Y-%m-%dT%H:%M:%SZ) \
  flock "$SSHM_STATE_DIR/locks/association-$id.lock" "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" tick 2>&1)
check_contains "the log says why" "association nightly: skipped the run due at" "$out"
check_eq "recorded as skipped" "Skipped PreviousExecutionStillRunning" \
  "$(executions nightly '.AssociationExecutions[0] | "\(.Status) \(.DetailedStatus)"')"
tick 211
check_eq "not run later for that time" $((n + 1)) "$(executions nightly '.AssociationExecutions | length')"

case_begin "apply -f: --dry-run shows the diff and changes nothing; then makes the set equal"
cat >"$FLEET_DIR/associations.yaml" <<'EOF'
associations:
  - AssociationName: nightly
    Name: AWS-RunShellScript
    Targets: [all]
    Parameters:
      commands: "echo {{ssm:/app/msg}}"
    ScheduleExpression: rate(1 day)
    ComplianceSeverity: LOW
  - AssociationName: weekly
    Name: AWS-RunShellScript
    Targets: ["tag:Kind=healthy"]
    Parameters:
      commands: ["uptime"]
    ScheduleExpression: cron(0 3 ? * SUN *)
    ApplyOnlyAtCronInterval: true
EOF
before=$(sm associations list -o json | jq -c '[.Associations[] | [.AssociationName, .AssociationVersion]]')
out=$(sm associations apply -f "$FLEET_DIR/associations.yaml" --dry-run); rc=$?
check_eq "exit 0" 0 "$rc"
check_contains "update with the field" "~ update nightly: ScheduleExpression" "$out"
check_contains "create" "+ create weekly" "$out"
check_contains "delete" "- delete slow" "$out"
check_contains "says dry run" "dry run: nothing changed" "$out"
check_eq "nothing changed" "$before" "$(sm associations list -o json | jq -c '[.Associations[] | [.AssociationName, .AssociationVersion]]')"
sm associations apply -f "$FLEET_DIR/associations.yaml" >/dev/null; rc=$?
check_eq "apply exits 0" 0 "$rc"
check_eq "the stored set is the file's" "nightly,weekly" "$(sm associations list -o json | jq -r '[.Associations[].AssociationName]|join(",")')"
check_eq "nightly's new schedule" "rate(1 day)" "$(sm associations describe nightly -o json | jq -r .AssociationDescription.ScheduleExpression)"
tick 212
check_eq "the schedule edit runs nightly at the next tick" "updated" "$(executions nightly '.AssociationExecutions[0].Trigger')"
check_eq "weekly (ApplyOnlyAtCronInterval) waits for its cron time" 0 "$(executions weekly '.AssociationExecutions | length')"
out=$(sm associations apply -f "$FLEET_DIR/associations.yaml" --dry-run)
check_contains "applied again: nothing to change" "0 change(s)" "$out"
printf 'associations:\n  - AssociationName: x1x\n    Name: AWS-RunShellScript\n    Targets: [all]\n    Bogus: 1\n' >"$FLEET_DIR/bad.yaml"
err=$(sm associations apply -f "$FLEET_DIR/bad.yaml" 2>&1); rc=$?
check_eq "bad file: exit 2" 2 "$rc"
check_contains "file:line:col" "bad.yaml:" "$err"
printf 'associations:\n  - AssociationName: x1x\n    Name: AWS-RunShellScript\n    Targets: [all]\n    ScheduleExpression: rate(5 minutes)\n    Parameters: {commands: x}\n' >"$FLEET_DIR/bad2.yaml"
err=$(sm associations apply -f "$FLEET_DIR/bad2.yaml" 2>&1); rc=$?
check_eq "bad schedule: exit 2" 2 "$rc"
check_contains "InvalidSchedule at its place" "bad2.yaml:2:" "$err"
check_eq "a bad file changes nothing" "nightly,weekly" "$(sm associations list -o json | jq -r '[.Associations[].AssociationName]|join(",")')"

case_begin "delete"
sm associations delete weekly 2>/dev/null; rc=$?
check_eq "exit 0" 0 "$rc"
check_eq "gone" "nightly" "$(sm associations list -o json | jq -r '[.Associations[].AssociationName]|join(",")')"
err=$(sm associations describe weekly 2>&1); rc=$?
check_eq "describe a deleted one: exit 2" 2 "$rc"
check_contains "AssociationDoesNotExist" "AssociationDoesNotExist" "$err"

checks_done
