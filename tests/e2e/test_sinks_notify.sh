#!/usr/bin/env bash
# Notifications (--notify) as SSM's SNS messages: to a webhook and to exec:CMD, per
# command and per invocation; an unreachable webhook is spooled and `outputs flush`
# delivers it.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/check.sh
source "$here/lib/check.sh"
: "${SSHM:?SSHM must name the sshm binary}" "${SSHM_SINK_DRIVER:?SSHM_SINK_DRIVER must name the sink driver}"
command -v python3 >/dev/null || { echo "FAIL: python3 is needed for the test webhook"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq is needed"; exit 1; }
work=$(mktemp -d /tmp/sshm-notify.XXXXXX)
hook_pid=
trap '[ -n "$hook_pid" ] && kill $hook_pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_hook() {
  # Appends every POST body as one line to $work/hook.jsonl.
  python3 - "$port" "$work/hook.jsonl" <<'PY' &
import sys, http.server
port, path = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(path, "ab") as f: f.write(body + b"\n")
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  hook_pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null -X POST "http://127.0.0.1:$port/" && break; sleep 0.05; done
  : >"$work/hook.jsonl"
}
printf 'hi\n' >"$work/o"; : >"$work/e"
steps=(--step "web-1,aws:runShellScript,run,$work/o,$work/e" --step "web-2,aws:runShellScript,run,$work/o,$work/e")

case_begin "Invocation notifications to a webhook"
start_hook
"$SSHM_SINK_DRIVER" --state-dir "$work/state" --command-id cmd-1 --notify "http://127.0.0.1:$port/hook" \
  --notify-type Invocation --notify-events Success,Failed --chunk-size 0 "${steps[@]}" >/dev/null
check_eq "driver exit status" "0" "$?"
check_eq "one message per host" "web-1 Success
web-2 Success" "$(jq -r '"\(.instanceId) \(.status)"' "$work/hook.jsonl" | sort)"
check_eq "SSM's invocation message fields" "commandId,documentName,eventTime,instanceId,requestedDateTime,status" \
  "$(head -1 "$work/hook.jsonl" | jq -r 'keys | join(",")')"

case_begin "Command notifications to exec:CMD, filtered by event"
"$SSHM_SINK_DRIVER" --state-dir "$work/state" --command-id cmd-2 --notify "exec:cat >> $work/exec.jsonl" \
  --notify-events Failed --status Failed --chunk-size 0 "${steps[@]}" >/dev/null
check_eq "driver exit status" "0" "$?"
check_eq "only the Failed command event" "cmd-2 Failed" "$(jq -r '"\(.commandId) \(.status)"' "$work/exec.jsonl")"
check_eq "SSM's command message fields" \
  "commandId,documentName,eventTime,expiresAfter,instanceIds,outputS3BucketName,outputS3KeyPrefix,requestedDateTime,status" \
  "$(jq -r 'keys | join(",")' "$work/exec.jsonl")"

case_begin "an unreachable webhook is spooled, flush delivers"
kill "$hook_pid"; wait "$hook_pid" 2>/dev/null; hook_pid=
report=$("$SSHM_SINK_DRIVER" --state-dir "$work/state" --command-id cmd-3 --notify "http://127.0.0.1:$port/hook?token=s3cr3t" \
  --chunk-size 0 "${steps[@]}")
check_eq "driver exit status" "1" "$?"
check_eq "notify sink failed once, both command events spooled" "true 2" "$(jq -r '.Sinks[0] | "\(.Failed) \(.Spooled)"' <<<"$report")"
check_not_contains "webhook token kept out of the report" "s3cr3t" "$report"
"$SSHM" --state-dir "$work/state" outputs flush >/dev/null
check_eq "flush with the webhook still down exits 1" "1" "$?"
start_hook
out=$("$SSHM" --state-dir "$work/state" outputs flush)
check_eq "flush exits 0" "0" "$?"
check_not_contains "webhook token kept out of flush output" "s3cr3t" "$out"
check_eq "spooled messages delivered in order" "InProgress
Success" "$(jq -r '.status' "$work/hook.jsonl")"

checks_done
