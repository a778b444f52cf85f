#!/usr/bin/env bash
# Run Command on a real loopback fleet: success at scale, rate control measured on the hosts,
# the error threshold, execution timeouts that leave nothing behind, Ctrl-C, SSM's output
# truncation, bounded memory with huge output, hosts that drop, run-as, dash and bash.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"

fleet_init
fleet_add_hosts 50 web
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
shared=$FLEET_DIR/shared
mkdir -p "$shared" && chmod 1777 "$shared"

case_begin "50 hosts succeed, each output line prefixed by its host"
out=$(fleet_sshm exec 'echo "hello from $AWS_SSM_INSTANCE_ID"' -t all --max-concurrency 25 --no-progress 2>"$FLEET_DIR/err")
rc=$?
check_eq "exit status" 0 "$rc"
check_eq "lines" 50 "$(grep -c '^web-[0-9]*: hello from web-' <<<"$out")"
check_contains "host-prefixed" "web-017: hello from web-017" "$out"
check_contains "summary" "Success [Success]: 50 targets: 50 Success" "$(cat "$FLEET_DIR/err")"

case_begin "-o json has SSM's Command and GetCommandInvocation fields"
fleet_sshm -o json exec 'echo out; echo err >&2' -t web-001,web-002 >"$FLEET_DIR/run.json"
check_eq "Status" Success "$(json_get "$FLEET_DIR/run.json" 'd["Status"]')"
check_eq "TargetCount" 2 "$(json_get "$FLEET_DIR/run.json" 'd["TargetCount"]')"
check_eq "DocumentName" AWS-RunShellScript "$(json_get "$FLEET_DIR/run.json" 'd["DocumentName"]')"
check_eq "stdout" "out" "$(json_get "$FLEET_DIR/run.json" 'd["Invocations"][0]["StandardOutputContent"].strip()')"
check_eq "stderr" "err" "$(json_get "$FLEET_DIR/run.json" 'd["Invocations"][0]["StandardErrorContent"].strip()')"
check_eq "ResponseCode" 0 "$(json_get "$FLEET_DIR/run.json" 'd["Invocations"][1]["ResponseCode"]')"
check_eq "plugin name" "aws:runShellScript" "$(json_get "$FLEET_DIR/run.json" 'd["Invocations"][0]["CommandPlugins"][0]["Name"]')"
id=$(json_get "$FLEET_DIR/run.json" 'd["CommandId"]')
check_eq "commands show gives the same object" "$(json_get "$FLEET_DIR/run.json" 'd["Invocations"][0]["StandardOutputContent"]')" \
  "$(fleet_sshm -o json commands show "$id" | json_get - 'd["Invocations"][0]["StandardOutputContent"]')"
check_contains "listed in history" "$id" "$(fleet_sshm commands list)"

case_begin "concurrency is never exceeded (measured on the hosts)"
cat >"$FLEET_DIR/count.sh" <<SCRIPT
mkdir -p $shared/active
touch $shared/active/\$AWS_SSM_INSTANCE_ID
ls $shared/active | wc -l >>$shared/counts
sleep 0.3
rm -f $shared/active/\$AWS_SSM_INSTANCE_ID
SCRIPT
fleet_sshm exec --script "$FLEET_DIR/count.sh" -t all --max-concurrency 5 --no-progress >/dev/null 2>&1
check_eq "every host counted" 50 "$(wc -l <"$shared/counts")"
check_le "peak concurrency on the hosts" 5 "$(sort -n "$shared/counts" | tail -1)"

case_begin "--max-concurrency 10% of 50 means 5"
: >"$shared/counts"
fleet_sshm exec --script "$FLEET_DIR/count.sh" -t all --max-concurrency 10% --no-progress >/dev/null 2>&1
check_le "peak concurrency on the hosts" 5 "$(sort -n "$shared/counts" | tail -1)"

case_begin "the error threshold stops dispatch; the rest are Terminated"
fleet_sshm -o json exec '[ "$AWS_SSM_INSTANCE_ID" != web-002 ]' -t 'web-00*,web-010' --max-concurrency 1 --max-errors 0 >"$FLEET_DIR/t.json"
rc=$?
check_eq "exit status 3" 3 "$rc"
check_eq "statuses" '{"Failed": 1, "Success": 1, "Terminated": 8}' \
  "$(json_get "$FLEET_DIR/t.json" 'dict(__import__("collections").Counter(i["Status"] for i in d["Invocations"]))')"
check_eq "command status" Failed "$(json_get "$FLEET_DIR/t.json" 'd["Status"]')"

case_begin "an execution timeout kills the whole remote process group"
fleet_sshm -o json exec 'sleep 313 & (sleep 314 &) ; sleep 315' -t web-003 --execution-timeout 5 >"$FLEET_DIR/to.json"
rc=$?
check_eq "exit status" 1 "$rc"
check_eq "TimedOut" TimedOut "$(json_get "$FLEET_DIR/to.json" 'd["Invocations"][0]["Status"]')"
check_eq "details" ExecutionTimedOut "$(json_get "$FLEET_DIR/to.json" 'd["Invocations"][0]["StatusDetails"]')"
sleep 0.5
check_eq "no sleep left on the host" "" "$(pgrep -af 'sleep 31[345]' || true)"
id=$(json_get "$FLEET_DIR/to.json" 'd["CommandId"]')
check_eq "private temp dir removed" "" "$(ls -d /tmp/sshm-"${id:0:8}"-* 2>/dev/null || true)"

case_begin "Ctrl-C cancels in-flight hosts, records Cancelled, exits 130"
# sshm itself in the background (not a function's subshell), so the signal reaches it.
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" exec 'touch '"$shared"'/started.$AWS_SSM_INSTANCE_ID; sleep 316' \
  -t web-004,web-005 --no-progress >/dev/null 2>"$FLEET_DIR/int.err" &
pid=$!
for _ in $(seq 100); do [ "$(ls "$shared"/started.* 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
kill -INT $pid
wait $pid
rc=$?
check_eq "exit status" 130 "$rc"
sleep 0.5
check_eq "no sleep left on the host" "" "$(pgrep -af 'sleep 316' || true)"
last=$(fleet_sshm -o json commands list --limit 1 | json_get - 'd["Commands"][0]["CommandId"]')
check_eq "recorded Cancelled" Cancelled "$(fleet_sshm -o json commands show "$last" | json_get - 'd["Status"]')"

case_begin "30,000 chars of stdout: truncated inline as SSM, whole in commands output"
fleet_sshm -o json exec 'i=0; while [ $i -lt 300 ]; do printf "%099d\n" $i; i=$((i+1)); done' -t web-006 >"$FLEET_DIR/big.json"
content=$(json_get "$FLEET_DIR/big.json" 'd["Invocations"][0]["StandardOutputContent"]' | head -c -1)
check_eq "inline length" 24000 "${#content}"
check_eq "marker" "--output truncated--" "${content: -20}"
id=$(json_get "$FLEET_DIR/big.json" 'd["CommandId"]')
check_eq "full output bytes" 30000 "$(fleet_sshm commands output "$id" web-006 | wc -c)"
check_eq "full output exact" "$(i=0; while [ $i -lt 300 ]; do printf "%099d\n" $i; i=$((i+1)); done | md5sum)" \
  "$(fleet_sshm commands output "$id" web-006 | md5sum)"

case_begin "huge output streams to disk with bounded memory"
mb=${SSHM_E2E_BIG_MB:-1000}
[ -n "${SSHM_SANITIZED:-}" ] && mb=200
fleet_sshm --no-progress -q exec "head -c ${mb}000000 /dev/zero" -t web-007 >/dev/null &
pid=$!
peak=0
while kill -0 $pid 2>/dev/null; do
  kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
  [ "${kb:-0}" -gt "$peak" ] && peak=$kb
  sleep 0.2
done
wait $pid
check_eq "exit status" 0 "$?"
limit_kb=$((120 * 1024))
[ -n "${SSHM_SANITIZED:-}" ] && limit_kb=$((600 * 1024))
check_le "peak RSS (KB)" $limit_kb "$peak"
last=$(fleet_sshm -o json commands list --limit 1 | json_get - 'd["Commands"][0]["CommandId"]')
check_eq "all bytes kept" "${mb}000000" "$(stat -c %s "$SSHM_STATE_DIR/outputs/$last/web-007/awsrunShellScript/0.awsrunShellScript/stdout")"
rm -rf "$SSHM_STATE_DIR/outputs/$last"

case_begin "a host that drops mid-command is Failed (connection lost), others go on"
fleet_sshm -o json exec 'if [ "$AWS_SSM_INSTANCE_ID" = web-008 ]; then echo before; kill -9 $(ps -o ppid= -p $PPID); sleep 5; fi; echo done' \
  -t web-008,web-009 --max-errors 1 >"$FLEET_DIR/drop.json"
check_eq "dropped host" Failed "$(json_get "$FLEET_DIR/drop.json" '[i for i in d["Invocations"] if i["InstanceId"]=="web-008"][0]["Status"]')"
check_eq "other host" Success "$(json_get "$FLEET_DIR/drop.json" '[i for i in d["Invocations"] if i["InstanceId"]=="web-009"][0]["Status"]')"

case_begin "dash runs plain scripts; a #! line picks bash"
out=$(fleet_sshm exec 'readlink -f /proc/$$/exe' -t web-010 --no-progress 2>/dev/null)
check_contains "sh is dash" "dash" "$out"
out=$(fleet_sshm exec "$(printf '#!/bin/bash\necho "bash ${BASH_VERSINFO[0]}"')" -t web-010 --no-progress 2>/dev/null)
check_contains "bash via #!" "web-010: bash 5" "$out"

case_begin "the script is never in argv; the environment is SSM's"
out=$(fleet_sshm exec 'ps -eo args | grep -c "[S]ECRET_MARK" ; echo "$SSM_COMMAND_ID" | wc -c; echo "$AWS_SSM_REGION_NAME"' -t web-011 --no-progress 2>/dev/null)
check_contains "not in any argv" "web-011: 0" "$out"
check_contains "SSM_COMMAND_ID is a UUID" "web-011: 37" "$out"

if [ "$(id -u)" -eq 0 ]; then
  case_begin "--run-as uses sudo -n; a refused sudo fails clearly"
  echo "$FLEET_USER ALL=(nobody) NOPASSWD: ALL" >/etc/sudoers.d/sshm-test-run
  chmod 440 /etc/sudoers.d/sshm-test-run
  out=$(fleet_sshm exec 'id -un' -t web-012 --run-as nobody --no-progress 2>/dev/null)
  check_eq "runs as nobody" "web-012: nobody" "$out"
  fleet_sshm -o json exec 'id -un' -t web-012 --run-as daemon >"$FLEET_DIR/sudo.json"
  check_eq "refused sudo is Failed" Failed "$(json_get "$FLEET_DIR/sudo.json" 'd["Invocations"][0]["Status"]')"
  check_contains "says sudo refused" "sudo" "$(json_get "$FLEET_DIR/sudo.json" 'd["Invocations"][0]["StandardErrorContent"]')"
  rm -f /etc/sudoers.d/sshm-test-run
fi

case_begin "bad input: exit 2, nothing run"
fleet_sshm exec 'true' -t web-1 2>"$FLEET_DIR/bad.err"
check_eq "unknown host exit" 2 "$?"
check_contains "suggestion" "did you mean" "$(cat "$FLEET_DIR/bad.err")"
fleet_sshm exec 'true' -t all --max-concurrency 0 2>"$FLEET_DIR/bad.err"
check_eq "bad concurrency exit" 2 "$?"

checks_done
