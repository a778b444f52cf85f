#!/usr/bin/env bash
# sshm commands list | show | output against a state store seeded with the sqlite3 shell
# (the rows `sshm run` writes), with full outputs in SSM's key layout under outputs/.
set -uo pipefail

SSHM=${SSHM:?set SSHM to the sshm binary}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/check.sh
source "$here/lib/check.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 shell not installed (package sqlite3)"; exit 125; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 125; }

work=$(mktemp -d /tmp/sshm-e2e-commands-XXXXXX)
trap 'rm -rf "$work"' EXIT
state="$work/state"
sshm() { "$SSHM" --state-dir "$state" "$@"; }
# Runs sshm, keeping stdout, stderr and the exit status in $out, $err, $rc.
run() {
  out=$(sshm "$@" 2>"$work/stderr")
  rc=$?
  err=$(cat "$work/stderr")
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

case_begin "an empty history lists nothing"
run commands list
check_eq "exit status" 0 "$rc"
check_eq "stdout" "" "$out"
check_contains "stderr" "No commands match" "$err"
run -o json commands list
check_eq "json: list-commands' shape" '{
  "Commands": []
}' "$out"
check_eq "state store $state/sshm.db exists" yes "$([ -f "$state/sshm.db" ] && echo yes || echo no)"
check_eq "state dir mode" 700 "$(stat -c %a "$state")"
check_eq "db mode" 600 "$(stat -c %a "$state/sshm.db")"

# Two commands: an older success on one host, a newer incomplete one on two hosts.
c1=aaaa1111-0000-4000-8000-000000000001
c2=aaaa2222-0000-4000-8000-000000000002
sqlite3 "$state/sshm.db" <<SQL
INSERT INTO commands VALUES ('$c1','AWS-RunShellScript','\$DEFAULT','first','{"commands":["uptime"]}',
  '["web-1"]','2026-01-01T10:00:00.000Z','2026-01-01T10:00:01.000Z','Success','Success',1,1,0,0,'50','0',0,'','','','');
INSERT INTO commands VALUES ('$c2','AWS-RunShellScript','\$DEFAULT','second','{"commands":["big"]}',
  '["tag:Env=prod,stage"]','2026-01-05T10:00:00.000Z','2026-01-05T10:00:09.000Z','Failed','Incomplete',2,2,1,0,'10%','1',600,
  'bucket','runs','','');
INSERT INTO invocations VALUES ('$c1','web-1','AWS-RunShellScript','Success','Success',0,'2026-01-01T10:00:00.000Z',
  '2026-01-01T10:00:00.100Z','2026-01-01T10:00:00.350Z','up 3 days','','','','','');
INSERT INTO invocations VALUES ('$c2','web-1','AWS-RunShellScript','Success','Success',0,'2026-01-05T10:00:00.000Z',
  '2026-01-05T10:00:00.000Z','2026-01-05T10:00:02.500Z','(truncated copy)','','','','','');
INSERT INTO invocations VALUES ('$c2','web-2','AWS-RunShellScript','Failed','Failed',1,'2026-01-05T10:00:00.000Z',
  '2026-01-05T10:00:00.000Z','2026-01-05T10:00:01.000Z','','it broke','','','','');
INSERT INTO plugins VALUES ('$c2','web-1',0,'0.aws:runShellScript','aws:runShellScript','Success','Success',0,
  '2026-01-05T10:00:00.000Z','2026-01-05T10:00:02.500Z','x','','',30001,0,'','');
INSERT INTO plugins VALUES ('$c2','web-2',0,'setup','aws:runShellScript','Success','Success',0,'','','','','',0,0,'','');
INSERT INTO plugins VALUES ('$c2','web-2',1,'build','aws:runShellScript','Failed','Failed',1,'','','','',
  '$work/web-2-build-stderr',0,9,'','');
SQL
full="$state/outputs/$c2/web-1/awsrunShellScript/0.awsrunShellScript/stdout"
mkdir -p "$(dirname "$full")"
python3 -c "import sys; sys.stdout.write('x' * 29990 + 'é' * 5 + '\n')" >"$full"
printf 'it broke\n' >"$work/web-2-build-stderr"

case_begin "list shows the newest first with counts"
run commands list
check_eq "exit status" 0 "$rc"
check_contains "header" "CommandId" "$out"
check_eq "first row" "$c2" "$(echo "$out" | sed -n 2p | cut -d' ' -f1)"
check_eq "second row" "$c1" "$(echo "$out" | sed -n 3p | cut -d' ' -f1)"
check_contains "counts of $c2" "2/1/1" "$(echo "$out" | sed -n 2p)"

case_begin "list filters"
run -o json commands list --status Incomplete
check_eq "--status Incomplete" "$c2" "$(echo "$out" | json '" ".join(c["CommandId"] for c in d["Commands"])')"
run -o json commands list --status success
check_eq "--status success" "$c1" "$(echo "$out" | json '" ".join(c["CommandId"] for c in d["Commands"])')"
run -o json commands list --since 2026-01-03
check_eq "--since" "$c2" "$(echo "$out" | json '" ".join(c["CommandId"] for c in d["Commands"])')"
run -o json commands list --since 1d
check_eq "--since 1d (all are older)" "0" "$(echo "$out" | json 'len(d["Commands"])')"
run -o json commands list --limit 1
check_eq "--limit 1" "$c2" "$(echo "$out" | json '" ".join(c["CommandId"] for c in d["Commands"])')"
run -o json commands list --document Nope
check_eq "--document Nope" "0" "$(echo "$out" | json 'len(d["Commands"])')"
run commands list --status Sucess
check_eq "bad status exit" 2 "$rc"
check_contains "bad status suggestion" "did you mean 'Success'" "$err"
run commands list --since yesterday
check_eq "bad --since exit" 2 "$rc"

case_begin "list -o json has SSM's Command fields"
run -o json commands list --limit 1
check_eq "Targets" '[{"Key": "tag:Env", "Values": ["prod", "stage"]}]' "$(echo "$out" | json 'json.dumps(d["Commands"][0]["Targets"])')"
check_eq "StatusDetails" "Incomplete" "$(echo "$out" | json 'd["Commands"][0]["StatusDetails"]')"
check_eq "MaxConcurrency" "10%" "$(echo "$out" | json 'd["Commands"][0]["MaxConcurrency"]')"

case_begin "show by prefix prints the command with its invocations"
run -o json commands show aaaa2
check_eq "exit status" 0 "$rc"
check_eq "CommandId" "$c2" "$(echo "$out" | json 'd["CommandId"]')"
check_eq "hosts" "web-1 web-2" "$(echo "$out" | json '" ".join(i["InstanceId"] for i in d["Invocations"])')"
check_eq "web-2 plugins" "setup:Success build:Failed" \
  "$(echo "$out" | json '" ".join(p["Name"]+":"+p["Status"] for p in d["Invocations"][1]["CommandPlugins"])')"
check_eq "1.2 plugin name" "aws:runShellScript" "$(echo "$out" | json 'd["Invocations"][0]["PluginName"]')"
check_eq "elapsed" "PT2.5S" "$(echo "$out" | json 'd["Invocations"][0]["ExecutionElapsedTime"]')"
run commands show aaaa2
check_contains "text status" "Failed (Incomplete)" "$out"
check_contains "text host line" "web-2" "$out"
check_contains "text details" "Failed" "$(echo "$out" | grep '^web-2')"

case_begin "show refuses ambiguous and unknown IDs"
run commands show aaaa
check_eq "ambiguous exit" 2 "$rc"
check_contains "ambiguous lists" "$c1" "$err"
check_contains "ambiguous lists" "$c2" "$err"
run commands show bbbb
check_eq "unknown exit" 2 "$rc"
check_contains "unknown message" "no command 'bbbb'" "$err"

case_begin "output prints the full output byte for byte"
sshm commands output "$c2" web-1 >"$work/got" 2>"$work/stderr"
check_eq "exit status" 0 "$?"
check_same_file "stdout byte for byte" "$full" "$work/got"
sshm commands output "$c2" web-2 --stderr >"$work/got2"
check_same_file "stderr of web-2 byte for byte" "$work/web-2-build-stderr" "$work/got2"
run commands output "$c2" web-2 --step setup
check_eq "empty step exit" 0 "$rc"
check_eq "empty step output" "" "$out"

case_begin "output names the unknown host or step"
run commands output "$c2" web-3
check_eq "unknown host exit" 2 "$rc"
check_contains "host suggestion" "did you mean 'web-1'" "$err"
run commands output "$c2" web-2 --step biuld
check_eq "unknown step exit" 2 "$rc"
check_contains "step suggestion" "did you mean 'build'" "$err"

# Key sets of SSM's API reference (Command, CommandInvocation, GetCommandInvocation's response,
# CommandPlugin), so a jq script written for `aws ssm` reads sshm's output. Keys sshm leaves out
# are named: alarms and the S3 region have no meaning for a fleet without CloudWatch alarms.
keys_of() { python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(sorted($1)))"; }
aws_command="AlarmConfiguration CloudWatchOutputConfig CommandId Comment CompletedCount DeliveryTimedOutCount DocumentName DocumentVersion ErrorCount ExpiresAfter InstanceIds MaxConcurrency MaxErrors NotificationConfig OutputS3BucketName OutputS3KeyPrefix OutputS3Region Parameters RequestedDateTime ServiceRole Status StatusDetails TargetCount Targets TimeoutSeconds TriggeredAlarms"
aws_invocation="CloudWatchOutputConfig CommandId CommandPlugins Comment DocumentName DocumentVersion InstanceId InstanceName NotificationConfig RequestedDateTime ServiceRole StandardErrorUrl StandardOutputUrl Status StatusDetails TraceOutput"
aws_get="CloudWatchOutputConfig CommandId Comment DocumentName DocumentVersion ExecutionElapsedTime ExecutionEndDateTime ExecutionStartDateTime InstanceId PluginName ResponseCode StandardErrorContent StandardErrorUrl StandardOutputContent StandardOutputUrl Status StatusDetails"
aws_plugin="Name Output OutputS3BucketName OutputS3KeyPrefix OutputS3Region ResponseCode ResponseFinishDateTime ResponseStartDateTime StandardErrorUrl StandardOutputUrl Status StatusDetails"
without() { python3 -c 'import sys; a=sys.argv[1].split(); b=set(sys.argv[2].split()); print(" ".join(k for k in a if k not in b))' "$1" "$2"; }

case_begin "the AWS CLI's shapes: list-commands, list-command-invocations, get-command-invocation"
run -o json commands list
check_eq "Command keys are the API's, less alarms and S3 region" \
  "$(without "$aws_command" "AlarmConfiguration OutputS3Region TriggeredAlarms")" "$(echo "$out" | keys_of 'd["Commands"][0]')"
run -o json commands invocations "$c2"
check_eq "exit status" 0 "$rc"
check_eq "CommandInvocation keys are the API's" "$aws_invocation" "$(echo "$out" | keys_of 'd["CommandInvocations"][0]')"
check_eq "both hosts" "web-1 web-2" "$(echo "$out" | json '" ".join(i["InstanceId"] for i in d["CommandInvocations"])')"
check_eq "no plugins without --details" "0" "$(echo "$out" | json 'len(d["CommandInvocations"][1]["CommandPlugins"])')"
run -o json commands invocations "$c2" --details --host web-2
check_eq "--host" "web-2" "$(echo "$out" | json '" ".join(i["InstanceId"] for i in d["CommandInvocations"])')"
check_eq "--details: CommandPlugin keys are the API's, less the S3 region" "$(without "$aws_plugin" OutputS3Region)" \
  "$(echo "$out" | keys_of 'd["CommandInvocations"][0]["CommandPlugins"][0]')"
run -o json commands invocations
check_eq "no ID: the invocations of the newest commands" "3" "$(echo "$out" | json 'len(d["CommandInvocations"])')"
run -o jsonl commands invocations
check_eq "jsonl: one invocation per line" "3" "$(echo "$out" | grep -c '^{"')"
run -o json commands get-invocation "$c1" web-1
check_eq "exit status" 0 "$rc"
check_eq "GetCommandInvocation keys are the API's" "$aws_get" "$(echo "$out" | keys_of 'd')"
run -o json commands get-invocation "$c2" web-2
check_eq "several steps need --plugin-name" 2 "$rc"
check_contains "the steps are named" "setup, build" "$err"
run -o json commands get-invocation "$c2" web-2 --plugin-name build
check_eq "one step: its status and stderr" "Failed it broke" \
  "$(echo "$out" | json 'd["Status"] + " " + d["StandardErrorContent"].strip()')"
run -o json commands get-invocation "$c2" web-2 --plugin-name biuld
check_eq "unknown step exit" 2 "$rc"
check_contains "step suggestion" "did you mean 'build'" "$err"
run commands get-invocation "$c2" web-1
check_contains "text shows the status" "Status" "$out"

checks_done
