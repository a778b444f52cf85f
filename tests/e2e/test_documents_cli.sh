#!/usr/bin/env bash
# sshm documents list | show | validate: output and exit statuses a user relies on.
set -u
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:?set SSHM_SOURCE_DIR to the source tree}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
case_begin "documents list"
out=$("$SSHM" documents list); rc=$?
check_eq "list exits 0" 0 "$rc"
check_contains "list names AWS-RunShellScript with its description" \
  "AWS-RunShellScript           Run a shell script or specify the commands to run." "$out"
check_contains "list names AWS-RunDocument" "AWS-RunDocument" "$out"
out=$("$SSHM" -o json documents list)
check_eq "list -o json is list-documents' DocumentIdentifiers" "AWS-RunShellScript 1.2 JSON" \
  "$(python3 -c 'import json,sys; d=[x for x in json.load(sys.stdin)["DocumentIdentifiers"] if x["Name"]=="AWS-RunShellScript"][0]; print(d["Name"], d["SchemaVersion"], d["DocumentFormat"])' <<<"$out")"

case_begin "documents show"
"$SSHM" documents show AWS-RunShellScript >"$work/shown.json"; rc=$?
check_eq "show exits 0" 0 "$rc"
check_same_file "show prints AWS-RunShellScript byte for byte" "$SSHM_SOURCE_DIR/documents/AWS-RunShellScript.json" "$work/shown.json"
out=$("$SSHM" documents show AWS-RunShellScript -o yaml)
check_contains "show -o yaml prints YAML" 'schemaVersion: "1.2"' "$out"
out=$("$SSHM" documents show AWS-RunDocument -o json)
check_eq "show converts a YAML built-in to JSON" "2.2 aws:downloadContent" \
  "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["schemaVersion"], d["mainSteps"][0]["action"])' <<<"$out")"
err=$("$SSHM" documents show AWS-RunShelScript 2>&1 >/dev/null); rc=$?
check_eq "show of an unknown name exits 2" 2 "$rc"
check_contains "show of an unknown name suggests the right one" "(did you mean 'AWS-RunShellScript'?)" "$err"

case_begin "documents validate: a valid file"
out=$("$SSHM" documents validate "$SSHM_SOURCE_DIR/documents/AWS-RunShellScript.json"); rc=$?
check_eq "validate of a valid document exits 0" 0 "$rc"
check_eq "validate says valid" "$SSHM_SOURCE_DIR/documents/AWS-RunShellScript.json: valid" "$out"

case_begin "documents validate: every error with FILE:LINE:COL, exit 2"
cat >"$work/bad.yaml" <<'DOC'
schemaVersion: "2.2"
parameters:
  Operation:
    type: Strng
mainSteps:
- action: aws:runShellScript
  name: run
  inputs:
    runCommand: [echo]
    onFailure: exti
DOC
err=$("$SSHM" documents validate "$work/bad.yaml" 2>&1 >/dev/null); rc=$?
check_eq "validate of a bad document exits 2" 2 "$rc"
check_eq "validate prints every error with file:line:col" \
  "$work/bad.yaml:4:5: parameter 'Operation': unknown type 'Strng' (use String, StringList, Integer, Boolean, StringMap, MapList) (did you mean 'String'?)
$work/bad.yaml:10:5: onFailure must be exit or successAndExit, got 'exti' (did you mean 'exit'?)" "$err"

printf '{\n  "schemaVersion": "3.0",\n  "mainSteps": [{"action": "a", "name": "b"}]\n}\n' >"$work/v3.json"
err=$("$SSHM" documents validate "$work/v3.json" 2>&1); rc=$?
check_eq "validate refuses schemaVersion 3.0 with exit 2" 2 "$rc"
check_contains "validate names the schemaVersion line" "$work/v3.json:2:3: unsupported schemaVersion '3.0'" "$err"

printf '{\n  "schemaVersion": "2.2",,\n}\n' >"$work/syntax.json"
err=$("$SSHM" documents validate "$work/syntax.json" 2>&1); rc=$?
check_eq "validate of broken JSON exits 2" 2 "$rc"
check_contains "broken JSON is located" "$work/syntax.json:2:26: invalid JSON" "$err"

err=$("$SSHM" documents validate "$work/missing.yaml" 2>&1); rc=$?
check_eq "validate of a missing file exits 2" 2 "$rc"
check_contains "a missing file is named" "$work/missing.yaml: cannot read the document file" "$err"

out=$("$SSHM" -o json documents validate "$work/bad.yaml"); rc=$?
check_eq "validate -o json exits 2 on errors" 2 "$rc"
check_eq "validate -o json lists the errors" "False 2 4 5" \
  "$(python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["Valid"], len(d["Errors"]), d["Errors"][0]["Line"], d["Errors"][0]["Column"])' <<<"$out")"

checks_done
