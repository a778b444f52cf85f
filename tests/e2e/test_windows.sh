#!/usr/bin/env bash
# sshm windows: a maintenance window with a cron schedule, a window target by tag and two
# Run Command tasks of different priority, run by `sshm tick` at a time set with the
# test-only SSHM_TEST_NOW; executions, execution-tasks and task-invocations in SSM's JSON
# shapes, linked to `sshm commands show`; a disabled window; SSM's errors for bad input.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"
command -v jq >/dev/null || { echo "SKIP: jq is not installed" >&2; exit 125; }

fleet_init
fleet_add_hosts 2 web
fleet_add_hosts 1 db
fleet_write_files
# The web hosts are one patch group.
awk '/^  web-/ { web = 1 } /^  db-/ { web = 0 } { if (web) sub(/tags: \{Kind: ok\}/, "tags: {Kind: ok, PatchGroup: web}"); print }' \
  "$FLEET_INVENTORY" >"$FLEET_INVENTORY.new" && mv "$FLEET_INVENTORY.new" "$FLEET_INVENTORY"
export SSHM_STATE_DIR=$FLEET_DIR/state XDG_CONFIG_HOME=$FLEET_DIR/config
w() { fleet_sshm windows "$@"; }
# The tick at a wall-clock time of the test's choosing (test-only override).
tick_at() { SSHM_TEST_NOW=$1 fleet_sshm tick --state-dir "$SSHM_STATE_DIR"; }
sshd_lines() { cat "${FLEET_LOG[@]}" 2>/dev/null | wc -l; }

# Where the tasks' commands write, in the order they run (the hosts share this machine).
order=$(mktemp /tmp/sshm-windows-order.XXXXXX)
chmod 666 "$order"
trap 'rm -f "$order"; fleet_cleanup' EXIT

case_begin "create a window, register a target by tag and two tasks"
# Fires once, on 2030-03-15 at 10:00 UTC: a date the test controls with SSHM_TEST_NOW.
out=$(w create --name nightly-web --schedule 'cron(0 10 15 3 ? 2030)' --duration 2 --cutoff 1 -o json); rc=$?
check_eq "create exits 0" 0 "$rc"
window=$(jq -r .WindowId <<<"$out")
check_match "WindowId is mw- and 17 hex digits" '^mw-[0-9a-f]{17}$' "$window"
got=$(w get "$window" -o json)
check_eq "GetMaintenanceWindow.Name" "nightly-web" "$(jq -r .Name <<<"$got")"
check_eq "Duration / Cutoff" "2/1" "$(jq -r '"\(.Duration)/\(.Cutoff)"' <<<"$got")"
check_eq "Enabled by default" "true" "$(jq -r .Enabled <<<"$got")"
check_eq "NextExecutionTime" "2030-03-15T10:00:00+00:00" "$(jq -r .NextExecutionTime <<<"$got")"
check_eq "found by name too" "$window" "$(w get nightly-web -o json | jq -r .WindowId)"

target=$(w register-targets "$window" --targets Key=tag:PatchGroup,Values=web --owner-information web-owner -o json |
  jq -r .WindowTargetId)
check_match "WindowTargetId is a UUID" '^[0-9a-f-]{36}$' "$target"
check_eq "targets lists it" "tag:PatchGroup=web" \
  "$(w targets "$window" -o json | jq -r '.Targets[0].Targets[0] | "\(.Key)=\(.Values | join(","))"')"

second=$(w register-task "$window" --task-arn AWS-RunShellScript --targets "Key=WindowTargetIds,Values=$target" \
  --priority 2 --max-concurrency 2 --max-errors 0 \
  --parameters "commands=echo second-{{WINDOW_EXECUTION_ID}} >> $order" -o json | jq -r .WindowTaskId)
first=$(w register-task "$window" --task-arn AWS-RunShellScript --targets "Key=WindowTargetIds,Values=$target" \
  --priority 1 --max-concurrency 1 --max-errors 0 --cutoff-behavior CANCEL_TASK \
  --parameters "{\"commands\":[\"sleep 1; echo first-{{WINDOW_EXECUTION_ID}} >> $order\", \"echo exec={{WINDOW_EXECUTION_ID}} type={{TARGET_TYPE}}\"]}" \
  -o json | jq -r .WindowTaskId)
tasks=$(w tasks "$window" -o json)
check_eq "two tasks, by priority" "$first $second" "$(jq -r '[.Tasks[].WindowTaskId] | join(" ")' <<<"$tasks")"
check_eq "CutoffBehavior" "CANCEL_TASK" "$(jq -r '.Tasks[0].CutoffBehavior' <<<"$tasks")"
check_eq "parameters kept with their pseudo-parameters" "echo exec={{WINDOW_EXECUTION_ID}} type={{TARGET_TYPE}}" \
  "$(jq -r '.Tasks[0].TaskInvocationParameters.RunCommand.Parameters.commands[1]' <<<"$tasks")"

case_begin "a tick before the fire time runs nothing and connects to nothing"
before=$(sshd_lines)
err=$(tick_at 2030-03-15T09:59:00Z 2>&1); rc=$?
check_eq "tick exits 0" 0 "$rc"
check_eq "no execution" 0 "$(w executions "$window" -o json | jq '.WindowExecutions | length')"
check_eq "no command" 0 "$(fleet_sshm commands list -o json | jq ".Commands | length")"
check_eq "no connection to any host" "$before" "$(sshd_lines)"

case_begin "the tick at the fire time runs the execution: both tasks, in priority order, SUCCESS"
err=$(tick_at 2030-03-15T10:00:30Z 2>&1); rc=$?
check_eq "tick exits 0" 0 "$rc"
check_contains "the tick says it started" "execution" "$err"
check_contains "the tick says it finished" "finished SUCCESS" "$err"
execs=$(w executions "$window" -o json)
check_eq "one execution" 1 "$(jq '.WindowExecutions | length' <<<"$execs")"
exec_id=$(jq -r '.WindowExecutions[0].WindowExecutionId' <<<"$execs")
check_eq "execution SUCCESS" "SUCCESS" "$(jq -r '.WindowExecutions[0].Status' <<<"$execs")"
check_eq "StartTime is the fire time" "2030-03-15T10:00:00.000Z" "$(jq -r '.WindowExecutions[0].StartTime' <<<"$execs")"
check_eq "the hosts ran priority 1, then priority 2" \
  "first-$exec_id first-$exec_id second-$exec_id second-$exec_id" "$(tr '\n' ' ' <"$order" | sed 's/ $//')"

etasks=$(w execution-tasks "$exec_id" -o json)
check_eq "two task executions" 2 "$(jq '.WindowExecutionTaskIdentities | length' <<<"$etasks")"
check_eq "task ARNs and priorities" "1:AWS-RunShellScript:SUCCESS 2:AWS-RunShellScript:SUCCESS" \
  "$(jq -r '[.WindowExecutionTaskIdentities[] | "\(.Priority):\(.TaskArn):\(.Status)"] | join(" ")' <<<"$etasks")"
task_exec=$(jq -r '.WindowExecutionTaskIdentities[0].TaskExecutionId' <<<"$etasks")
check_eq "the first is the priority 1 task" "$first" "$(jq -r '.WindowExecutionTaskIdentities[0].WindowTaskId' <<<"$etasks")"

invs=$(w task-invocations "$exec_id" "$task_exec" -o json);
check_eq "one invocation (one window target)" 1 "$(jq '.WindowExecutionTaskInvocationIdentities | length' <<<"$invs")"
inv=$(jq '.WindowExecutionTaskInvocationIdentities[0]' <<<"$invs")
check_eq "invocation SUCCESS" "SUCCESS" "$(jq -r .Status <<<"$inv")"
check_eq "WindowTargetId" "$target" "$(jq -r .WindowTargetId <<<"$inv")"
check_eq "OwnerInformation" "web-owner" "$(jq -r .OwnerInformation <<<"$inv")"
check_eq "TaskType" "RUN_COMMAND" "$(jq -r .TaskType <<<"$inv")"
check_contains "Parameters (a JSON string) as sent" "exec=$exec_id type=INSTANCE" "$(jq -r .Parameters <<<"$inv")"
command_id=$(jq -r .ExecutionId <<<"$inv")
check_match "ExecutionId is the CommandId" '^[0-9a-f-]{36}$' "$command_id"

shown=$(fleet_sshm commands show "$command_id" -o json)
check_eq "the command ran AWS-RunShellScript" "AWS-RunShellScript" "$(jq -r '.Command.DocumentName // .DocumentName' <<<"$shown")"
out=$(fleet_sshm commands output "$command_id" web-001 2>&1)
check_contains "its output has the execution id" "exec=$exec_id type=INSTANCE" "$out"
text=$(fleet_sshm commands show "$command_id" 2>&1)
check_contains "commands show lists the window's hosts" "web-002" "$text"
check_not_contains "not the db host (not a window target)" "db-001" "$text"

case_begin "a later tick does not run the same fire time again"
err=$(tick_at 2030-03-15T10:05:00Z 2>&1)
check_eq "still one execution" 1 "$(w executions "$window" -o json | jq '.WindowExecutions | length')"

case_begin "a disabled window does not run"
dis=$(w create --name disabled-web --schedule 'cron(0 11 15 3 ? 2030)' --duration 2 --cutoff 0 --disabled -o json |
  jq -r .WindowId)
t2=$(w register-targets "$dis" -t tag:PatchGroup=web -o json | jq -r .WindowTargetId)
w register-task "$dis" --task-arn AWS-RunShellScript --targets "Key=WindowTargetIds,Values=$t2" \
  --max-concurrency 1 --max-errors 0 -p "commands=echo disabled >> $order" >/dev/null
check_eq "Enabled false" "false" "$(w get "$dis" -o json | jq -r .Enabled)"
before=$(fleet_sshm commands list -o json | jq ".Commands | length")
err=$(tick_at 2030-03-15T11:00:30Z 2>&1)
check_contains "the tick says it is disabled" "disabled" "$err"
check_eq "no execution" 0 "$(w executions "$dis" -o json | jq '.WindowExecutions | length')"
check_eq "no new command" "$before" "$(fleet_sshm commands list -o json | jq ".Commands | length")"
check_not_contains "nothing ran" "disabled" "$(cat "$order")"

case_begin "overlapping, cancelled and abandoned executions"
long=$(w create --name long-web --schedule 'rate(1 day)' --start-date 2030-03-20T00:00:00Z --duration 4 --cutoff 1 -o json |
  jq -r .WindowId)
lt=$(w register-targets "$long" -t tag:PatchGroup=web -o json | jq -r .WindowTargetId)
w register-task "$long" --task-arn AWS-RunShellScript --targets "Key=WindowTargetIds,Values=$lt" \
  --max-concurrency 2 --max-errors 0 -p "commands=sleep 60" >/dev/null
lock=$SSHM_STATE_DIR/windows/$long.lock
# Waits until the window's first execution is IN_PROGRESS (no time limit of its own: the
# suite's timeout ends a hung run).
wait_in_progress() {
  until [ "$(w executions "$long" -o json | jq -r '[.WindowExecutions[] | select(.Status == "IN_PROGRESS")] | length')" = 1 ]; do
    sleep 0.2
  done
}
# The first fire time is StartDate, 2030-03-20T00:00; the next ones a day apart. This one runs in the background.
SSHM_TEST_NOW=2030-03-20T00:00:10Z fleet_sshm tick --state-dir "$SSHM_STATE_DIR" 2>"$FLEET_DIR/tick1.err" &
tick_pid=$!
wait_in_progress
exec1=$(w executions "$long" -o json | jq -r '.WindowExecutions[0].WindowExecutionId')
# The next day's fire time comes while it still runs (its lock is held): SKIPPED_OVERLAPPING.
err=$(tick_at 2030-03-21T00:00:10Z 2>&1)
check_contains "the tick says it skipped" "SKIPPED_OVERLAPPING" "$err"
check_eq "the second execution is SKIPPED_OVERLAPPING" "IN_PROGRESS SKIPPED_OVERLAPPING" \
  "$(w executions "$long" -o json | jq -r '[.WindowExecutions[].Status] | join(" ")')"
out=$(w cancel-execution "$exec1" -o json); rc=$?
check_eq "cancel-execution exits 0" 0 "$rc"
check_eq "cancel-execution answers the id" "$exec1" "$(jq -r .WindowExecutionId <<<"$out")"
wait "$tick_pid"
check_eq "the running tick ended the execution CANCELLED" "CANCELLED" \
  "$(w executions "$long" -o json | jq -r '.WindowExecutions[0].Status')"
te=$(w execution-tasks "$exec1" -o json | jq -r '.WindowExecutionTaskIdentities[0]')
check_eq "its task CANCELLED" "CANCELLED" "$(jq -r .Status <<<"$te")"
cmd=$(w task-invocations "$exec1" "$(jq -r .TaskExecutionId <<<"$te")" -o json |
  jq -r '.WindowExecutionTaskInvocationIdentities[0].ExecutionId')
check_eq "its command Cancelled" "Cancelled" "$(fleet_sshm commands show "$cmd" -o json | jq -r '.Command.Status // .Status')"
err=$(w cancel-execution "$exec1" 2>&1); rc=$?
check_eq "cancelling an ended execution exits 2" 2 "$rc"

# A tick killed while it runs an execution leaves it IN_PROGRESS; the next tick marks it.
# (sshm itself in the background, not a shell function's subshell, so kill -9 reaches it.)
SSH_AUTH_SOCK= SSHM_TEST_NOW=2030-03-23T00:00:10Z "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" tick \
  --state-dir "$SSHM_STATE_DIR" 2>/dev/null &
tick_pid=$!
wait_in_progress
exec3=$(w executions "$long" -o json | jq -r '.WindowExecutions[] | select(.Status == "IN_PROGRESS") | .WindowExecutionId')
# Killed once its task runs too (on a loaded machine the execution's row comes well before the task's).
until [ "$(w execution-tasks "$exec3" -o json | jq -r '.WindowExecutionTaskIdentities[0].Status')" = IN_PROGRESS ]; do
  sleep 0.2
done
kill -9 "$tick_pid"
wait "$tick_pid" 2>/dev/null
err=$(tick_at 2030-03-23T00:30:00Z 2>&1)
check_contains "the tick says it marked it" "marked TIMED_OUT" "$err"
check_eq "the abandoned execution is TIMED_OUT" "TIMED_OUT" \
  "$(w executions "$long" -o json | jq -r --arg id "$exec3" '.WindowExecutions[] | select(.WindowExecutionId == $id) | .Status')"
check_eq "the fire time missed before it is recorded skipped" "TIMED_OUT" \
  "$(w executions "$long" -o json | jq -r '.WindowExecutions[] | select(.StartTime == "2030-03-22T00:00:00.000Z") | .Status')"
check_eq "its task FAILED" "FAILED" \
  "$(w execution-tasks "$exec3" -o json | jq -r '.WindowExecutionTaskIdentities[0].Status')"

case_begin "bad input exits 2 with SSM's wording"
err=$(w create --name bad-cutoff --schedule 'cron(0 2 ? * SAT *)' --duration 2 --cutoff 2 2>&1); rc=$?
check_eq "Cutoff >= Duration exits 2" 2 "$rc"
check_contains "Cutoff wording" "Cutoff was 2 but must be smaller than 2" "$err"
err=$(w create --name bad-schedule --schedule 'rate(1 hours)' --duration 2 --cutoff 1 2>&1); rc=$?
check_eq "rate(1 hours) exits 2" 2 "$rc"
check_contains "ValidationException" "ValidationException" "$err"
err=$(w create --name bad-duration --schedule 'cron(0 2 ? * SAT *)' --duration 25 --cutoff 1 2>&1); rc=$?
check_eq "Duration 25 exits 2" 2 "$rc"
check_contains "Duration wording" "Member must have value less than or equal to 24" "$err"
err=$(w register-task "$window" --task-arn AWS-RunShellScript --targets Key=InstanceIds,Values=web-001 \
  --max-concurrency 1 --max-errors 0 -p commands=true 2>&1); rc=$?
check_eq "InstanceIds without AllowUnassociatedTargets exits 2" 2 "$rc"
check_contains "says why" "does not allow unassociated targets" "$err"
err=$(w register-task "$window" --task-arn AWS-RunPatchBaseline --targets "Key=WindowTargetIds,Values=$target" \
  --max-concurrency 1 --max-errors 0 -p Operation=Instal 2>&1); rc=$?
check_eq "a parameter the document refuses exits 2" 2 "$rc"
check_contains "says which" "did you mean 'Install'" "$err"
err=$(w get mw-00000000000000000 2>&1); rc=$?
check_eq "unknown window exits 2" 2 "$rc"
check_contains "DoesNotExistException" "DoesNotExistException" "$err"
check_eq "no bad window was created" "disabled-web long-web nightly-web" \
  "$(w list -o json | jq -r '[.WindowIdentities[].Name] | sort | join(" ")')"

checks_done
