#!/usr/bin/env bash
# Session logs to S3 (<s3KeyPrefix>/<SessionId>.log) and CloudWatch Logs (stream <SessionId>)
# against moto_server with SigV4 checking on, from sessions through a real terminal (tmux) on
# a loopback host: streamed events arrive while the session runs, in SSM's JSON shape; the
# object and the events hold the output and never a `read -s` password; without streaming
# the log goes at the end; s3EncryptionEnabled refuses an unencrypted bucket and asks for SSE
# on an encrypted one; with the endpoint down the uploads are spooled, the record says so and
# `sshm outputs flush` delivers them once it is back.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/moto.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"
command -v tmux >/dev/null || fleet_skip "tmux is not installed"

fleet_init
sock=$FLEET_DIR/tmux.sock
source "$SSHM_SOURCE_DIR/tests/e2e/lib/terminal.sh"
cleanup_all() {
  tm kill-server 2>/dev/null
  fleet_cleanup
  cleanup
}
trap cleanup_all EXIT
fleet_add_hosts 1 web || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state

start_moto "$(free_port)"
bucket=sshm-sessions
group=/sshm/sessions
awsm s3api create-bucket --bucket "$bucket" >/dev/null || { echo "FAIL: cannot create the bucket"; exit 1; }

# Preferences in SSM-SessionManagerRunShell's schema. prefs FILE STREAMING [ENCRYPTION]
prefs() {
  cat >"$1" <<JSON
{"schemaVersion": "1.0", "sessionType": "Standard_Stream",
 "inputs": {"s3BucketName": "$bucket", "s3KeyPrefix": "audit/", "s3EncryptionEnabled": ${3:-false},
            "cloudWatchLogGroupName": "$group", "cloudWatchStreamingEnabled": $2}}
JSON
}
prefs "$FLEET_DIR/stream.json" true
prefs "$FLEET_DIR/end.json" false
prefs "$FLEET_DIR/encrypted.json" false true

# The messages of the stream, one a line (JSON events stay one line each).
events_of() {
  awsm logs get-log-events --log-group-name "$group" --log-stream-name "$1" --start-from-head --output json 2>/dev/null |
    jq -r '.events[].message'
}
object_of() { awsm s3 cp "s3://$bucket/audit/$1.log" - 2>/dev/null; }
session_cmd="SSH_AUTH_SOCK= $SSHM -i $FLEET_INVENTORY -F $FLEET_SSH_CONFIG session web-001 --endpoint-url $endpoint"
aws_env="AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY AWS_REGION=us-east-1"
aws_env+=" AWS_CONFIG_FILE=$AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED=true"
tm -f /dev/null new-session -d -s main -x 100 -y 30 \
  "env -i PATH=$PATH HOME=$FLEET_DIR TERM=xterm SSHM_STATE_DIR=$SSHM_STATE_DIR $aws_env bash --norc --noprofile"
tm set-option -t main remain-on-exit on >/dev/null
type_line "PS1='outer> '"

case_begin "streaming: events in SSM's shape arrive while the session runs; no password anywhere"
type_line "$session_cmd --preferences $FLEET_DIR/stream.json; echo \"rc=\$?\""
check "session started" 0 "$(screen_has 'Starting session with SessionId')"
type_line "exec bash --norc --noprofile"
type_line "PS1='inner''> '"
wait_screen '^inner> ' >/dev/null
type_line 'echo "marker-$((6*7))"'
check "the command ran" 0 "$(screen_has '^marker-42')"
id=$(last_session)
seen=no
for _ in $(seq 1 600); do
  events_of "$id" | grep -q 'marker-42' && { seen=yes; break; }
  sleep 0.1
done
check "the output is in CloudWatch before the session ends" yes "$seen"
check "the session is still open then" Connected "$(fleet_sshm -o json sessions show "$id" | json_get - 'd["Status"]')"
type_line 'read -s -p "pass""word: " PW; echo "len=${#PW}"'
wait_screen '^password: ' >/dev/null
type_line 'hunter2-secret'
check "the host got the password" 0 "$(screen_has 'len=14')"
type_line 'exit'
check "sshm ended" 0 "$(screen_has '^rc=0')"
events=$(events_of "$id")
check_contains "events hold the command's output" "marker-42" "$events"
check_contains "events hold the echoed command" 'inner> echo "marker-$((6*7))"' "$(jq -r '.sessionData[]' <<<"$events")"
check_not_contains "no password in the events" "hunter2" "$events"
shape=$(jq -sr --arg id "$id" '[.[] | (keys == ["awsRegion","eventTime","eventVersion","runAsUser","sessionData","sessionId","target","userIdentity"])
  and .eventVersion == "1.0" and .sessionId == $id and .target.id == "web-001" and .awsRegion == "us-east-1"
  and (.userIdentity.arn | length > 0) and (.runAsUser | length > 0) and (.eventTime | test("^[0-9-]+T[0-9:.]+Z$"))
  and (.sessionData | type == "array")] | all' <<<"$events")
check "every event has SSM's shape" true "$shape"
check_contains "the prompt's line, typed text applied" "inner> exit" "$(jq -r '.sessionData[]' <<<"$events")"
log=$(object_of "$id")
check_contains "S3 object holds the output" "marker-42" "$log"
check_contains "S3 object holds the echoed command" 'inner> echo "marker-$((6*7))"' "$log"
check_contains "S3 object holds the password prompt" "password: len=14" "$log"
check_not_contains "no password in the S3 object" "hunter2" "$log"
check "no escape or carriage-return bytes in the S3 object" 0 "$(printf '%s' "$log" | tr -cd '\033\r' | wc -c)"
fleet_sshm -o json sessions show "$id" >"$FLEET_DIR/show.json"
check "record: S3 uploaded" Uploaded "$(json_get "$FLEET_DIR/show.json" 'd["Details"]["Uploads"]["S3"]["Status"]')"
check "record: S3 destination" "s3://$bucket/audit/$id.log" "$(json_get "$FLEET_DIR/show.json" 'd["Details"]["Uploads"]["S3"]["Destination"]')"
check "record: streamed" Streamed "$(json_get "$FLEET_DIR/show.json" 'd["Details"]["Uploads"]["CloudWatchLogs"]["Status"]')"
check_not_contains "no password in the state dir" "hunter2" "$(grep -ra hunter2 "$SSHM_STATE_DIR" || true)"

case_begin "without streaming the whole log goes at the end, one event a line"
out=$(fleet_sshm session web-001 --endpoint-url "$endpoint" --preferences "$FLEET_DIR/end.json" \
  --document AWS-StartNonInteractiveCommand -p command='printf "one\033[1m bold\033[0m\ntwo\n"' </dev/null 2>/dev/null)
check "exit status" 0 "$?"
id2=$(last_session)
check "events, plain lines" "$(printf 'one bold\ntwo')" "$(events_of "$id2")"
check "S3 object" "$(printf 'one bold\ntwo')" "$(object_of "$id2")"

case_begin "s3EncryptionEnabled: an unencrypted bucket is refused, an encrypted one gets SSE objects"
awsm s3api delete-bucket-encryption --bucket "$bucket" >/dev/null 2>&1
err=$(fleet_sshm session web-001 --endpoint-url "$endpoint" --preferences "$FLEET_DIR/encrypted.json" \
  --document AWS-StartNonInteractiveCommand -p command='echo never' </dev/null 2>&1)
check "refused" 1 "$?"
check_contains "says why" "is not encrypted" "$err"
check_not_contains "nothing ran" "never" "$err"
awsm s3api put-bucket-encryption --bucket "$bucket" \
  --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
fleet_sshm session web-001 --endpoint-url "$endpoint" --preferences "$FLEET_DIR/encrypted.json" \
  --document AWS-StartNonInteractiveCommand -p command='echo sealed' </dev/null >/dev/null 2>&1
check "runs on an encrypted bucket" 0 "$?"
id3=$(last_session)
check "the object asked for SSE" AES256 \
  "$(awsm s3api head-object --bucket "$bucket" --key "audit/$id3.log" --query ServerSideEncryption --output text)"
check "and holds the output" sealed "$(object_of "$id3")"

case_begin "the endpoint down: uploads spooled, the record says so, outputs flush delivers"
old_port=$moto_port
stop_moto
err=$(fleet_sshm session web-001 --endpoint-url "$endpoint" --preferences "$FLEET_DIR/stream.json" \
  --document AWS-StartNonInteractiveCommand -p command='echo kept-for-later' </dev/null 2>&1 >/dev/null)
check "the session itself succeeds" 0 "$?"
check_contains "a warning says it was spooled" "spooled for \`sshm outputs flush\`" "$err"
id4=$(last_session)
fleet_sshm -o json sessions show "$id4" >"$FLEET_DIR/show4.json"
check "record: S3 spooled" Spooled "$(json_get "$FLEET_DIR/show4.json" 'd["Details"]["Uploads"]["S3"]["Status"]')"
check "record: CloudWatch spooled" Spooled "$(json_get "$FLEET_DIR/show4.json" 'd["Details"]["Uploads"]["CloudWatchLogs"]["Status"]')"
check_contains "outputs list shows the object" "s3://$bucket/audit/$id4.log" "$(fleet_sshm outputs list)"
check_contains "outputs list shows the stream" "logs:$group:$id4" "$(fleet_sshm outputs list)"
start_moto "$old_port"
awsm s3api create-bucket --bucket "$bucket" >/dev/null
flush=$(fleet_sshm outputs flush 2>&1)
check "flush exits 0" 0 "$?"
check "flushed object" kept-for-later "$(object_of "$id4")"
check "flushed events" kept-for-later "$(events_of "$id4" | jq -r '.sessionData[]')"
check_eq "spool empty" "0 pending" "$(fleet_sshm outputs list | tail -1)"

case_begin "AWS-StartSSHSession as ssh's ProxyCommand: stdin and stdout to the host's sshd, not logged"
proxy="env SSH_AUTH_SOCK= $SSHM -i $FLEET_INVENTORY -F $FLEET_SSH_CONFIG session %n --document AWS-StartSSHSession"
proxy+=" -p portNumber=%p --preferences $FLEET_DIR/stream.json --endpoint-url $endpoint"
out=$(SSH_AUTH_SOCK= ssh -F "$FLEET_SSH_CONFIG" -o BatchMode=yes -o ProxyCommand="$proxy" web-001 'echo "via-$((40+2))"' \
  </dev/null 2>"$FLEET_DIR/proxy.err")
check "ssh exit status" 0 "$?"
check "the command ran through the proxy" via-42 "$out"
id5=$(last_session)
# ssh hangs up on its ProxyCommand when it is done; wait (never a timed assertion) for its record.
for _ in $(seq 1 600); do
  fleet_sshm -o json sessions show "$id5" >"$FLEET_DIR/show5.json"
  [ "$(json_get "$FLEET_DIR/show5.json" 'd["Status"]')" != Connected ] && break
  sleep 0.1
done
check "recorded" AWS-StartSSHSession "$(json_get "$FLEET_DIR/show5.json" 'd["DocumentName"]')"
check "ended" Terminated "$(json_get "$FLEET_DIR/show5.json" 'd["Status"]')"
check_contains "not logged, and the record says why" "does not log" "$(json_get "$FLEET_DIR/show5.json" 'd["Details"]["Uploads"]')"
check "no object" "" "$(object_of "$id5")"
big=$(SSH_AUTH_SOCK= ssh -F "$FLEET_SSH_CONFIG" -o BatchMode=yes -o ProxyCommand="$proxy" web-001 'head -c 3000000 /dev/zero | tr "\\0" x' \
  </dev/null 2>/dev/null | wc -c)
check "3 MB through the proxy intact" 3000000 "$big"

checks_done
