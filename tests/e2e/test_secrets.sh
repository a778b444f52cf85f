#!/usr/bin/env bash
# Secrets never land in sshm's history or output: a parameter whose name looks secret,
# given with --parameters-file, reaches the host, and afterwards nothing sshm wrote (state
# dir, stdout, stderr, -o json/jsonl/yaml, commands show/list) holds it. A resume asks
# for it again. A {{ssm-secure:...}} from the Parameter Store reaches the host and is masked
# wherever the host prints it; an unresolvable one stops the run before anything runs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"

fleet_init
fleet_add_hosts 6 web
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
shared=$FLEET_DIR/shared
mkdir -p "$shared" && chmod 1777 "$shared"
out=$FLEET_DIR/out
mkdir -p "$out"

secret='Pa55-s3cr3t-7f1c'
token='tok"en-9d2e'
expected_sum=$(printf '%s' "$secret" | sha256sum | cut -c1-64)
cat >"$FLEET_DIR/deploy.yaml" <<'YAML'
schemaVersion: "2.2"
description: Deploy with a database password
parameters:
  dbPassword:
    type: String
    description: the database password
  apiTokens:
    type: StringList
    default: []
  release:
    type: String
    default: "1.0"
  pause:
    type: String
    default: "0"
  mark:
    type: String
    default: ""
mainSteps:
  - action: aws:runShellScript
    name: deploy
    inputs:
      runCommand:
        - "[ -z '{{mark}}' ] || touch {{mark}}/$AWS_SSM_INSTANCE_ID"
        - "printf '%s' '{{dbPassword}}' | sha256sum | cut -c1-64"
        - "echo tokens {{apiTokens}} >/dev/null"
        - "echo release {{release}}"
        - "sleep {{pause}}"
YAML
printf '{"dbPassword": "%s", "apiTokens": ["%s"]}' "$secret" "${token//\"/\\\"}" >"$FLEET_DIR/params.json"

# No file sshm wrote and no output it printed holds the secret or the token.
check_nowhere() {
  local where=$1
  check_eq "secret nowhere in $where" "" "$(grep -rlaF -e "$secret" -e 'tok"en' -e 'tok\"en' "$SSHM_STATE_DIR" "$out" 2>/dev/null)"
}

case_begin "a secret from --parameters-file reaches the host and is recorded nowhere"
fleet_sshm --no-progress run "$FLEET_DIR/deploy.yaml" --parameters-file "$FLEET_DIR/params.json" -t web-001,web-002 \
  >"$out/text.out" 2>"$out/text.err"
check_eq "exit status" 0 "$?"
check_contains "the host got the real value" "web-001: $expected_sum" "$(cat "$out/text.out")"
for fmt in json yaml jsonl; do
  fleet_sshm -o $fmt run "$FLEET_DIR/deploy.yaml" --parameters-file - -t web-003 <"$FLEET_DIR/params.json" \
    >"$out/run.$fmt" 2>"$out/run.$fmt.err"
  check_eq "-o $fmt exit status" 0 "$?"
done
check_contains "json shows it masked" '"****"' "$(cat "$out/run.json")"
id=$(json_get "$out/run.json" 'd["CommandId"]')
check_eq "recorded parameters are masked" '["****"]' "$(json_get "$out/run.json" 'json.dumps(d["Parameters"]["dbPassword"])')"
fleet_sshm -o json commands show "$id" >"$out/show.json"
fleet_sshm -o json commands list >"$out/list.json"
fleet_sshm commands show "$id" >"$out/show.txt"
fleet_sshm commands list >"$out/list.txt"
check_eq "commands show -o json masked" '["****"]' "$(json_get "$out/show.json" 'json.dumps(d["Parameters"]["dbPassword"])')"
fleet_sshm commands output "$id" web-003 >"$out/output.txt"
check_eq "host output has the checksum only" "$expected_sum" "$(head -1 "$out/output.txt")"
fleet_sshm run "$FLEET_DIR/deploy.yaml" --parameters-file "$FLEET_DIR/params.json" -t web-001 --dry-run >"$out/dry.txt" 2>&1
fleet_sshm -o json run "$FLEET_DIR/deploy.yaml" --parameters-file "$FLEET_DIR/params.json" -t web-001 --dry-run \
  >"$out/dry.json" 2>&1
check_contains "dry run masks the StringList item with a quote" 'tokens [\"****\"]' "$(cat "$out/dry.txt")"
check_nowhere "state dir and every output"

case_begin "an error message about a secret does not repeat it"
cat >"$FLEET_DIR/pattern.yaml" <<'YAML'
schemaVersion: "2.2"
description: pattern
parameters:
  dbPassword:
    type: String
    allowedPattern: "^[a-z]+$"
mainSteps:
  - action: aws:runShellScript
    name: x
    inputs:
      runCommand: ["true"]
YAML
printf '{"dbPassword": "%s"}' "$secret" >"$FLEET_DIR/pattern.json"
fleet_sshm run "$FLEET_DIR/pattern.yaml" --parameters-file "$FLEET_DIR/pattern.json" -t web-001 >"$out/pattern.out" 2>"$out/pattern.err"
check_eq "exit status" 2 "$?"
check_contains "says what is wrong" "does not match allowedPattern" "$(cat "$out/pattern.err")"
check_nowhere "the error"

case_begin "resume of a command with a masked secret asks for it again"
mkdir -p "$shared/runs" && chmod 1777 "$shared/runs"
printf '{"dbPassword": "%s", "pause": "1", "mark": "%s"}' "$secret" "$shared/runs" >"$FLEET_DIR/slow.json"
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" run "$FLEET_DIR/deploy.yaml" \
  --parameters-file "$FLEET_DIR/slow.json" -t 'web-*' --max-concurrency 1 --no-ramp --no-progress >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do [ "$(ls "$shared/runs" | wc -l)" -ge 2 ] && break; sleep 0.05; done
kill -9 $pid
wait $pid 2>/dev/null
killed_at=$(ls "$shared/runs" | wc -l)
check_eq "killed mid-run" yes "$([ "$killed_at" -ge 2 ] && [ "$killed_at" -lt 6 ] && echo yes || echo "no ($killed_at ran)")"
rid=$(fleet_sshm -o json commands list --limit 1 | json_get - 'd["Commands"][0]["CommandId"]')
fleet_sshm commands resume "$rid" --no-progress >"$out/resume.out" 2>"$out/resume.err"
check_eq "refuses: exit 2" 2 "$?"
check_contains "asks for the value" "--parameters-file" "$(cat "$out/resume.err")"
check_contains "names the parameter" "dbPassword" "$(cat "$out/resume.err")"
check_eq "nothing ran meanwhile" "$killed_at" "$(ls "$shared/runs" | wc -l)"
fleet_sshm commands resume "$rid" --no-progress --parameters-file - <"$FLEET_DIR/slow.json" >"$out/resumed.out" 2>"$out/resumed.err"
rc=$?
check_eq "with the value it is not refused" yes "$([ "$rc" != 2 ] && echo yes || echo "no (exit $rc)")"
check_contains "with the value it resumes" "resuming command" "$(cat "$out/resumed.err")"
# Hosts that run now print the checksum of the real value, never of "****".
check_eq "resumed hosts got the real value" "" "$(grep -v -e ": $expected_sum\$" -e ": release 1.0\$" "$out/resumed.out")"
check_eq "the hosts never started ran on resume" yes \
  "$([ "$(grep -c ": $expected_sum\$" "$out/resumed.out")" -ge 1 ] && echo yes || echo no)"
check_nowhere "after the resume"

case_begin "{{ssm-secure:}} from the local Parameter Store reaches the host, is masked in output and recorded nowhere"
export SSHM_PARAMS_KEY_FILE=$FLEET_DIR/params.key
printf '%s' "$secret" | fleet_sshm params put-parameter --name /app/db-password --type SecureString --value - >/dev/null
check_eq "SecureString stored from stdin" 0 "$?"
fleet_sshm params put-parameter --name /app/port --value 5432 --type String >/dev/null
cat >"$FLEET_DIR/secure-ok.yaml" <<YAML
schemaVersion: "2.2"
description: uses a SecureString
mainSteps:
  - action: aws:runShellScript
    name: use
    inputs:
      runCommand:
        - "printf %s '{{ssm-secure:/app/db-password}}' | sha256sum | cut -c1-64"
        - "echo 'port {{ssm:/app/port}}'"
        - "echo 'leak {{ssm-secure:/app/db-password}} end' >&2"
        - "ps -eo args >$shared/ps-\$AWS_SSM_INSTANCE_ID"
YAML
fleet_sshm --no-progress run "$FLEET_DIR/secure-ok.yaml" -t web-001,web-002 >"$out/secure-ok.out" 2>"$out/secure-ok.err"
check_eq "exit status" 0 "$?"
check_contains "the host got the value" "web-001: $expected_sum" "$(cat "$out/secure-ok.out")"
check_contains "{{ssm:}} beside it" "web-002: port 5432" "$(cat "$out/secure-ok.out")"
check_contains "the value printed by the host is masked" "web-001: leak **** end" "$(cat "$out/secure-ok.err")"
fleet_sshm -o json run "$FLEET_DIR/secure-ok.yaml" -t web-003 >"$out/secure-ok.json" 2>&1
check_eq "-o json exit status" 0 "$?"
id=$(json_get "$out/secure-ok.json" 'd["CommandId"]')
check_contains "inline output masked" "leak **** end" \
  "$(json_get "$out/secure-ok.json" 'd["Invocations"][0]["StandardErrorContent"]')"
fleet_sshm commands output "$id" web-003 --stderr >"$out/secure-ok.stderr" 2>&1
check_contains "stored output masked" "leak **** end" "$(cat "$out/secure-ok.stderr")"
fleet_sshm -o json commands show "$id" >"$out/secure-ok.show.json"
fleet_sshm run "$FLEET_DIR/secure-ok.yaml" -t web-001 --dry-run -o json >"$out/secure-ok.dry" 2>&1
check_contains "the dry run shows the reference" "{{ssm-secure:/app/db-password}}" "$(cat "$out/secure-ok.dry")"
check_eq "the value was in no process's argv on the hosts" "" "$(grep -laF -e "$secret" "$shared"/ps-* 2>/dev/null)"
check_eq "the key file is private" 600 "$(stat -c %a "$SSHM_PARAMS_KEY_FILE")"
check_nowhere "after {{ssm-secure:}} runs"

case_begin "an unresolvable {{ssm-secure:...}} is refused before anything runs"
cat >"$FLEET_DIR/secure.yaml" <<YAML
schemaVersion: "2.2"
description: secure reference
mainSteps:
  - action: aws:runShellScript
    name: x
    inputs:
      runCommand: ["touch $shared/ran-secure; echo {{ssm-secure:db-password}}"]
YAML
before=$(fleet_sshm -o json commands list --limit 0 | json_get - 'len(d["Commands"])')
fleet_sshm run "$FLEET_DIR/secure.yaml" -t all >"$out/secure.out" 2>"$out/secure.err"
check_eq "exit status 2" 2 "$?"
check_contains "clear message" "parameter db-password not found" "$(cat "$out/secure.err")"
check_eq "nothing ran" no "$([ -e "$shared/ran-secure" ] && echo yes || echo no)"
check_eq "nothing recorded" "$before" "$(fleet_sshm -o json commands list --limit 0 | json_get - 'len(d["Commands"])')"
fleet_sshm exec 'echo {{ssm:/app/missing}}' -t all >/dev/null 2>"$out/ssm.err"
check_eq "{{ssm:...}} too: exit 2" 2 "$?"
check_contains "clear message" "parameter /app/missing not found" "$(cat "$out/ssm.err")"

checks_done
