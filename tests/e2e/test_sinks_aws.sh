#!/usr/bin/env bash
# Results to S3 and CloudWatch Logs against moto_server with SigV4 checking on, through
# the sink driver (outputs fed as a run feeds them), checked with the aws CLI.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/moto.sh"
# shellcheck source=lib/check.sh
source "$here/lib/check.sh"
: "${SSHM:?SSHM must name the sshm binary}" "${SSHM_SINK_DRIVER:?SSHM_SINK_DRIVER must name the sink driver}"

start_moto "$(free_port)"
awsm s3api create-bucket --bucket sshm-results >/dev/null || { echo "FAIL: cannot create the bucket with the IAM key"; exit 1; }
state="$work/state"
out="$work/out"
mkdir -p "$out"

# Outputs of a two-host, two-step run.
seq 1 1000 | sed 's/^/line /' >"$out/web1.out"
printf 'warning: one\nwarning: two\n' >"$out/web1.err"
printf 'db says hi\n' >"$out/db1.out"
: >"$out/db1.err"
printf 'second step\n' >"$out/web1b.out"
: >"$out/web1b.err"
steps=(--step "web-1,aws:runShellScript,runShell:Script,$out/web1.out,$out/web1.err"
       --step "db-1,aws:runShellScript,runShell:Script,$out/db1.out,$out/db1.err"
       --step "web-1,aws:runShellScript,second step,$out/web1b.out,$out/web1b.err")
# Keys under PREFIX, sorted, one a line (listed whole: moto rejects the CLI's signature
# when --prefix holds a '/').
list_keys() {
  awsm s3api list-objects-v2 --bucket sshm-results --output json |
    jq -r --arg p "$1" '.Contents // [] | .[].Key | select(startswith($p))' | sort
}
cmd=11111111-2222-3333-4444-555555555555

case_begin "outputs land at SSM's S3 keys and CloudWatch streams"
report=$("$SSHM_SINK_DRIVER" --state-dir "$state" --command-id "$cmd" --document "My Doc" --chunk-size 97 \
  --endpoint-url "$endpoint" --s3-bucket sshm-results --s3-prefix runs/nightly --cloudwatch "${steps[@]}")
check_eq "driver reports no failed sink" "0" "$?"
keys=$(list_keys "runs/nightly/$cmd/")
expected_keys=$(printf '%s\n' \
  "runs/nightly/$cmd/db-1/awsrunShellScript/runShellScript/stdout" \
  "runs/nightly/$cmd/web-1/awsrunShellScript/runShellScript/stderr" \
  "runs/nightly/$cmd/web-1/awsrunShellScript/runShellScript/stdout" \
  "runs/nightly/$cmd/web-1/awsrunShellScript/second step/stdout" | sort)
check_eq "S3 keys (empty outputs not uploaded)" "$expected_keys" "$keys"
awsm s3 cp "s3://sshm-results/runs/nightly/$cmd/web-1/awsrunShellScript/runShellScript/stdout" "$work/got" >/dev/null
check_eq "S3 object holds the full stdout" "$(sha256sum <"$out/web1.out")" "$(sha256sum <"$work/got")"
check_eq "StandardOutputUrl" "$endpoint/sshm-results/runs/nightly/$cmd/web-1/awsrunShellScript/second%20step/stdout" \
  "$(jq -r '.Plugins[2].StandardOutputUrl' <<<"$report")"
check_eq "StandardErrorUrl empty for empty stderr" "" "$(jq -r '.Plugins[1].StandardErrorUrl' <<<"$report")"

streams=$(awsm logs describe-log-streams --log-group-name "/aws/ssm/My.Doc" --query 'logStreams[].logStreamName' --output text | tr '\t' '\n' | sort)
expected_streams=$(printf '%s\n' "$cmd/db-1/runShell-Script/stdout" "$cmd/web-1/runShell-Script/stderr" \
  "$cmd/web-1/runShell-Script/stdout" "$cmd/web-1/second step/stdout" | sort)
check_eq "CloudWatch group /aws/ssm/My.Doc has SSM's stream names" "$expected_streams" "$streams"
events=$(awsm logs get-log-events --log-group-name "/aws/ssm/My.Doc" --log-stream-name "$cmd/web-1/runShell-Script/stdout" \
  --start-from-head --query 'events[].message' --output json | jq -r '.[]')
check_eq "1000 lines streamed in 97-byte chunks read back in order" "$(cat "$out/web1.out")" "$events"

case_begin "--log-group and a stream name with '*'"
"$SSHM_SINK_DRIVER" --state-dir "$state" --command-id "$cmd-b" --endpoint-url "$endpoint" --cloudwatch \
  --log-group /sshm/custom --chunk-size 0 --step "web-1,aws:runShellScript,a*b:c,$out/db1.out,$out/db1.err" >/dev/null
check_eq "driver exit status" "0" "$?"
msg=$(awsm logs get-log-events --log-group-name /sshm/custom --log-stream-name "$cmd-b/web-1/a-b-c/stdout" \
  --query 'events[].message' --output text)
check_eq "whole-file events in the custom group" "db says hi" "$msg"

case_begin "a 20 MB output goes up in parts"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$out/big.out"
"$SSHM_SINK_DRIVER" --state-dir "$state" --command-id "$cmd-c" --endpoint-url "$endpoint" --s3-bucket sshm-results \
  --chunk-size 0 --step "big-1,aws:runShellScript,dump,$out/big.out,$out/db1.err" >/dev/null
check_eq "driver exit status" "0" "$?"
etag=$(awsm s3api head-object --bucket sshm-results --key "$cmd-c/big-1/awsrunShellScript/dump/stdout" --query ETag --output text | tr -d '"')
check_eq "multipart ETag has 3 parts (8 MiB parts)" "3" "${etag##*-}"
check_contains "multipart ETag form" "-" "$etag"
awsm s3 cp "s3://sshm-results/$cmd-c/big-1/awsrunShellScript/dump/stdout" "$work/big.got" >/dev/null
check_eq "20 MB object intact" "$(sha256sum <"$out/big.out")" "$(sha256sum <"$work/big.got")"
rm -f "$work/big.got"

case_begin "a wrong secret fails clearly, spools, and flush with the right key delivers"
good_secret=$AWS_SECRET_ACCESS_KEY
wrong_secret="WrongSecretWrongSecretWrongSecret0123456"
report=$(AWS_SECRET_ACCESS_KEY=$wrong_secret "$SSHM_SINK_DRIVER" --state-dir "$state" --command-id "$cmd-d" \
  --endpoint-url "$endpoint" --s3-bucket sshm-results --cloudwatch --chunk-size 50 "${steps[@]}" 2>&1)
check_eq "driver exit status when sinks fail" "1" "$?"
check_eq "S3 sink marked failed once" "true" "$(jq -r '.Sinks[] | select(.Sink=="s3") | .Failed' <<<"$report")"
check_contains "S3 failure names the cause" "SignatureDoesNotMatch" "$(jq -r '.Sinks[] | select(.Sink=="s3") | .Message' <<<"$report")"
check_eq "all 4 S3 objects spooled" "4" "$(jq -r '.Sinks[] | select(.Sink=="s3") | .Spooled' <<<"$report")"
check_eq "CloudWatch sink marked failed" "true" "$(jq -r '.Sinks[] | select(.Sink=="cloudwatch") | .Failed' <<<"$report")"
check_not_contains "the secret never appears in the report" "$wrong_secret" "$report"
check_not_contains "the secret never appears in the spool" "$wrong_secret" "$(cat "$state"/spool/*/meta.json)"
check_eq "nothing reached S3" "" "$(list_keys "$cmd-d/")"
listing=$(AWS_SECRET_ACCESS_KEY=$wrong_secret "$SSHM" --state-dir "$state" outputs list --command-id "$cmd-d")
check_contains "outputs list shows the pending S3 object" "s3://sshm-results/$cmd-d/web-1/awsrunShellScript/runShellScript/stdout" "$listing"
flush=$(AWS_SECRET_ACCESS_KEY=$wrong_secret "$SSHM" --state-dir "$state" outputs flush 2>&1)
check_eq "flush with the wrong secret exits 1" "1" "$?"
check_not_contains "flush output never shows the secret" "$wrong_secret" "$flush"
flush=$(AWS_SECRET_ACCESS_KEY=$good_secret "$SSHM" --state-dir "$state" outputs flush 2>&1)
check_eq "flush with the right key exits 0" "0" "$?"
check_contains "flush says all delivered" "0 still pending" "$flush"
keys=$(list_keys "$cmd-d/")
check_eq "flushed S3 keys" "$(sed "s|runs/nightly/$cmd/|$cmd-d/|" <<<"$expected_keys")" "$keys"
events=$(awsm logs get-log-events --log-group-name /aws/ssm/AWS-RunShellScript --log-stream-name "$cmd-d/web-1/runShell-Script/stdout" \
  --start-from-head --query 'events[].message' --output json | jq -r '.[]')
check_eq "flushed log events complete and in order" "$(cat "$out/web1.out")" "$events"
check_eq "spool empty after flush" "0 pending" "$("$SSHM" --state-dir "$state" outputs list | tail -1)"

case_begin "the endpoint stops mid-run and nothing is lost"
hosts=(h1 h2 h3 h4 h5)
many=()
for h in "${hosts[@]}"; do
  printf '%s out\n' "$h" >"$out/$h.out"; printf '%s err\n' "$h" >"$out/$h.err"
  many+=(--step "$h,aws:runShellScript,run,$out/$h.out,$out/$h.err")
done
"$SSHM_SINK_DRIVER" --state-dir "$state" --command-id "$cmd-e" --endpoint-url "$endpoint" --s3-bucket sshm-results \
  --cloudwatch --pause-file "$work/pause" "${many[@]}" >"$work/stop.json" 2>&1 &
driver=$!
extra_pids="$driver"
for _ in $(seq 1 600); do [ -e "$work/pause.ready" ] && break; sleep 0.05; done
# The first host's objects are in before the endpoint goes away.
for _ in $(seq 1 100); do
  [ "$(list_keys "$cmd-e/" | grep -c .)" = "2" ] && break; sleep 0.1
done
before=$(list_keys "$cmd-e/")
old_port=$moto_port
stop_moto
touch "$work/pause.go"
wait "$driver"
check_eq "driver exit status with the endpoint gone" "1" "$?"
extra_pids=
# Same endpoint back (fresh state: new user, key and bucket), then flush.
start_moto "$old_port"
awsm s3api create-bucket --bucket sshm-results >/dev/null
flush=$("$SSHM" --state-dir "$state" outputs flush 2>&1)
check_eq "flush after the endpoint is back exits 0" "0" "$?"
after=$(list_keys "$cmd-e/")
all=$(printf '%s\n%s\n' "$before" "$after" | grep -v '^$' | sort)
expected_all=$(for h in "${hosts[@]}"; do printf '%s\n' "$cmd-e/$h/awsrunShellScript/run/stderr" "$cmd-e/$h/awsrunShellScript/run/stdout"; done | sort)
check_eq "every object delivered, before the stop or by the flush" "$expected_all" "$all"
msg=$(awsm logs get-log-events --log-group-name /aws/ssm/AWS-RunShellScript --log-stream-name "$cmd-e/h5/run/stdout" \
  --query 'events[].message' --output text)
check_eq "log events after the stop delivered by the flush" "h5 out" "$msg"

case_begin "no credentials at all"
report=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$SSHM_SINK_DRIVER" --state-dir "$work/state2" \
  --command-id "$cmd-f" --endpoint-url "$endpoint" --s3-bucket sshm-results --chunk-size 0 \
  --step "web-1,aws:runShellScript,run,$out/db1.out,$out/db1.err" 2>&1)
check_contains "clear message when no credentials are found" "no AWS credentials found" "$(jq -r '.Sinks[0].Message' <<<"$report")"

checks_done
