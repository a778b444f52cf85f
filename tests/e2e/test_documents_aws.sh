#!/usr/bin/env bash
# AWS's published documents that fetch something first, on the loopback fleet:
# AWS-RunRemoteScript runs a script fetched once by the controller from moto S3 (SigV4
# checks on) and from a local python3 http.server, written to each host over SSH;
# AWS-RunDocument fetches a nested document from S3 and runs it with YAML parameters; a
# schema 2.2 step whose plugin Linux cannot run is skipped as the agent does; a Session
# document is refused by run; --dry-run warns about what would not run.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/moto.sh"
http_pid=
moto_cleanup_and_fleet() {
  [ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null && wait "$http_pid" 2>/dev/null
  # What the commands downloaded on the hosts (the test user's orchestration directories).
  [ -n "${FLEET_USER:-}" ] && for id in ${ids:-}; do
    rm -rf "$(getent passwd "$FLEET_USER" | cut -d: -f6)/.sshm/orchestration/$id"
  done
  fleet_cleanup
  cleanup
}
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

fleet_init
trap moto_cleanup_and_fleet EXIT
fleet_add_hosts 2 node || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
out=$FLEET_DIR/out
mkdir -p "$out"
ids=
hosts=node-001,node-002
run_json() { # FILE ARGS...: runs sshm -o json, keeps the CommandId for cleanup
  local file=$1
  shift
  fleet_sshm -o json "$@" --no-progress >"$file" 2>"$file.err"
  local rc=$?
  ids="$ids $(json_get "$file" 'd.get("CommandId","")' 2>/dev/null)"
  [ "${DEBUG_DOCS:-}" ] && { head -c 3000 "$file.err"; json_get "$file" '[i["StandardErrorContent"] for i in d["Invocations"]]'; } >&2
  return $rc
}

start_moto "$(free_port)"
export AWS_ENDPOINT_URL=$endpoint
awsm s3 mb s3://scripts >/dev/null
cat >"$work/hello.sh" <<'SH'
#!/bin/sh
echo "hello arg=$1 in=$(basename "$(pwd)")"
SH
awsm s3 cp "$work/hello.sh" s3://scripts/tools/hello.sh >/dev/null

case_begin "AWS-RunRemoteScript: a script from S3 (signed requests) runs on every host"
run_json "$out/s3.json" run AWS-RunRemoteScript -t "$hosts" -p sourceType=S3 \
  -p 'sourceInfo={"path": "https://s3.amazonaws.com/scripts/tools/hello.sh"}' -p 'commandLine=hello.sh world'
check_eq "exit status" 0 "$?"
check_eq "Status" Success "$(json_get "$out/s3.json" 'd["Status"]')"
for i in 0 1; do
  check_contains "host $i ran the script from its downloads directory" "hello arg=world in=downloads" \
    "$(json_get "$out/s3.json" "d['Invocations'][$i]['StandardOutputContent']")"
done
sum=$(sha256sum "$work/hello.sh" | cut -d' ' -f1)
check_contains "the record has the content's sha256" "sha256 $sum" \
  "$(json_get "$out/s3.json" 'd["Invocations"][0]["CommandPlugins"][0]["Output"]')"
check_eq "the Windows step is skipped with the agent's message" \
  "Success Skipped Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [platformType, Windows]'. Step name: runPowerShellScript" \
  "$(json_get "$out/s3.json" '" ".join(d["Invocations"][0]["CommandPlugins"][1][k] for k in ("Status", "StatusDetails", "Output"))')"
check_eq "S3 was read once for two hosts" 1 "$(grep -c 'GET /scripts/tools/hello.sh' "$work"/moto-*.log)"

case_begin "AWS-RunRemoteScript: a wrong secret key is refused by S3's signature check"
AWS_SECRET_ACCESS_KEY=wrong-secret run_json "$out/badkey.json" run AWS-RunRemoteScript -t node-001 -p sourceType=S3 \
  -p 'sourceInfo={"path": "https://s3.amazonaws.com/scripts/tools/hello.sh"}' -p 'commandLine=hello.sh'
check_eq "exit status" 1 "$?"
check_contains "the download step says why" "SignatureDoesNotMatch" \
  "$(json_get "$out/badkey.json" 'd["Invocations"][0]["StandardErrorContent"]')"
check_not_contains "the secret never shows" "wrong-secret" "$(cat "$out/badkey.json" "$out/badkey.json.err")"

case_begin "aws:downloadContent over HTTP from a local http.server, into an absolute working directory"
mkdir -p "$work/www/bin"
printf '#!/bin/sh\necho "served $1"\n' >"$work/www/bin/served.sh"
http_port=$(free_port)
(cd "$work/www" && exec python3 -m http.server "$http_port" --bind 127.0.0.1) >"$work/http.log" 2>&1 &
http_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$http_port/" && break; sleep 0.1; done
wd=$FLEET_DIR/remote-wd
mkdir -p "$wd" && chmod 777 "$wd"  # the hosts' user writes there
cat >"$FLEET_DIR/http.yaml" <<DOC
schemaVersion: "2.2"
mainSteps:
- action: aws:downloadContent
  name: fetch
  inputs:
    sourceType: HTTP
    sourceInfo: '{"url": "http://127.0.0.1:$http_port/bin/served.sh", "allowInsecureDownload": true}'
    destinationPath: $wd/
- action: aws:runShellScript
  name: run
  inputs:
    workingDirectory: $wd
    runCommand: ["./served.sh over-http"]
DOC
run_json "$out/http.json" run "$FLEET_DIR/http.yaml" -t "$hosts"
check_eq "exit status" 0 "$?"
check_contains "the script ran" "served over-http" "$(json_get "$out/http.json" 'd["Invocations"][1]["StandardOutputContent"]')"
check_eq "fetched once for two hosts" 1 "$(grep -c 'GET /bin/served.sh' "$work/http.log")"
sed -i 's/, "allowInsecureDownload": true//' "$FLEET_DIR/http.yaml"
run_json "$out/insecure.json" run "$FLEET_DIR/http.yaml" -t node-001
check_eq "plain http without allowInsecureDownload: exit 1" 1 "$?"
check_contains "says how to allow it" "allowInsecureDownload" "$(json_get "$out/insecure.json" 'd["Invocations"][0]["StandardErrorContent"]')"

case_begin "AWS-RunDocument: a nested document from S3 with YAML parameters"
cat >"$work/nested.yaml" <<'DOC'
schemaVersion: "2.2"
parameters:
  greeting: {type: String}
  times: {type: String, default: "1"}
mainSteps:
- action: aws:runShellScript
  name: greet
  inputs:
    runCommand: ["echo nested says {{ greeting }} x{{ times }}"]
DOC
awsm s3 cp "$work/nested.yaml" s3://scripts/docs/nested.yaml >/dev/null
run_json "$out/nested.json" run AWS-RunDocument -t "$hosts" -p sourceType=S3 \
  -p 'sourceInfo={"path": "https://s3.amazonaws.com/scripts/docs/nested.yaml"}' -p 'documentParameters={"greeting": "hi-json"}'
check_eq "exit status" 0 "$?"
check_contains "AWS-RunDocument ran the nested document with its parameters" "nested says hi-json x1" \
  "$(json_get "$out/nested.json" 'd["Invocations"][1]["StandardOutputContent"]')"
# documentParameters written as YAML text into which a parameter is interpolated, as AWS's
# own documents do: the agent reads it as YAML when it is not JSON.
cat >"$FLEET_DIR/composite.yaml" <<'DOC'
schemaVersion: "2.2"
parameters:
  who: {type: String, default: "hello-yaml"}
mainSteps:
- action: aws:downloadContent
  name: fetch
  inputs:
    sourceType: S3
    sourceInfo: '{"path": "https://s3.amazonaws.com/scripts/docs/nested.yaml"}'
    destinationPath: nested
- action: aws:runDocument
  name: nested
  inputs:
    documentType: LocalPath
    documentPath: nested
    documentParameters: "{greeting: {{ who }}, times: 2}"
DOC
run_json "$out/yaml.json" run "$FLEET_DIR/composite.yaml" -t "$hosts"
check_eq "exit status" 0 "$?"
check_contains "the nested document ran with its YAML parameters" "nested says hello-yaml x2" \
  "$(json_get "$out/yaml.json" 'd["Invocations"][0]["StandardOutputContent"]')"

case_begin "schema 2.2: a plugin Linux cannot run is skipped and the document succeeds; 1.2 fails it"
cat >"$FLEET_DIR/mixed.yaml" <<'DOC'
schemaVersion: "2.2"
mainSteps:
- action: aws:psModule
  name: windowsOnly
  inputs: {source: "https://example.com/x.zip"}
- action: aws:runShellScript
  name: after
  inputs: {runCommand: ["echo after-ran"]}
DOC
run_json "$out/mixed.json" run "$FLEET_DIR/mixed.yaml" -t node-001
check_eq "exit status" 0 "$?"
check_eq "skipped step: Success/Skipped with the agent's message" \
  "Success Skipped Step execution skipped due to unsupported plugin: aws:psModule. Step name: windowsOnly" \
  "$(json_get "$out/mixed.json" '" ".join(d["Invocations"][0]["CommandPlugins"][0][k] for k in ("Status", "StatusDetails", "Output"))')"
check_contains "the next step ran" "after-ran" "$(json_get "$out/mixed.json" 'd["Invocations"][0]["StandardOutputContent"]')"
fleet_sshm run "$FLEET_DIR/mixed.yaml" -t node-001 --dry-run >"$out/dry.out" 2>"$out/dry.err"
check_eq "--dry-run exits 0" 0 "$?"
check_contains "--dry-run warns" "warning: Linux step windowsOnly (aws:psModule) would be skipped" "$(cat "$out/dry.err")"
cat >"$FLEET_DIR/old.json" <<'DOC'
{"schemaVersion": "1.2", "runtimeConfig": {"aws:applications": {"properties": [{"id": "0.aws:applications", "action": "Install", "source": "x.msi"}]}}}
DOC
run_json "$out/old.json" run "$FLEET_DIR/old.json" -t node-001
check_eq "1.2: exit status 1" 1 "$?"
check_contains "1.2: the agent's message" "Plugin with name aws:applications not found" \
  "$(json_get "$out/old.json" 'd["Invocations"][0]["StandardErrorContent"]')"

case_begin "Session documents: validate says what they are, run refuses them"
cat >"$FLEET_DIR/session.json" <<'DOC'
{"schemaVersion": "1.0", "description": "Port forwarding", "sessionType": "Port",
 "parameters": {"portNumber": {"type": "String", "default": "80"}}, "properties": {"portNumber": "{{ portNumber }}"}}
DOC
check_contains "validate" "valid Session document (sessionType Port)" "$("$SSHM" documents validate "$FLEET_DIR/session.json")"
fleet_sshm run "$FLEET_DIR/session.json" -t node-001 --no-progress >/dev/null 2>"$out/session.err"
check_eq "run: exit 2" 2 "$?"
check_contains "run points to sshm session" "sshm session" "$(cat "$out/session.err")"

checks_done
