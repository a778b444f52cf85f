#!/usr/bin/env bash
# sshm params: the aws ssm parameter verbs on the local store (JSON shapes checked with jq),
# SecureString encrypted at rest, the key file's mode, and {{ssm:...}} resolved at send time.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"
command -v jq >/dev/null || { echo "SKIP: jq is not installed" >&2; exit 125; }

fleet_init
fleet_add_hosts 1 web
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state XDG_CONFIG_HOME=$FLEET_DIR/config
unset SSHM_PARAMS_KEY_FILE
p() { "$SSHM" params "$@"; }

case_begin "put-parameter and get-parameter, text and -o json"
check_eq "put prints Version and Tier" '{"Tier":"Standard","Version":1}' \
  "$(p put-parameter --name /app/url --value https://one --type String -o json | jq -c .)"
check_eq "text get prints the value" "https://one" "$(p get-parameter --name /app/url)"
out=$(p get-parameter --name /app/url -o json)
check_eq "Parameter.Name" "/app/url" "$(jq -r .Parameter.Name <<<"$out")"
check_eq "Parameter.Type" "String" "$(jq -r .Parameter.Type <<<"$out")"
check_eq "Parameter.Version" "1" "$(jq -r .Parameter.Version <<<"$out")"
check_eq "Parameter.DataType" "text" "$(jq -r .Parameter.DataType <<<"$out")"
check_contains "Parameter.ARN" ":parameter/app/url" "$(jq -r .Parameter.ARN <<<"$out")"
check_contains "LastModifiedDate is ISO 8601" "T" "$(jq -r .Parameter.LastModifiedDate <<<"$out")"

case_begin "SSM's errors by name, exit 2"
err=$(p put-parameter --name /app/url --value two --type String 2>&1); rc=$?
check_eq "exit status without --overwrite" 2 "$rc"
check_contains "ParameterAlreadyExists" "ParameterAlreadyExists" "$err"
err=$(p get-parameter --name /app/none 2>&1); rc=$?
check_eq "exit status for a missing parameter" 2 "$rc"
check_contains "ParameterNotFound" "ParameterNotFound" "$err"
err=$(p put-parameter --name /aws/mine --value x --type String 2>&1)
check_contains "reserved prefix" "ValidationException" "$err"
err=$(p put-parameter --name /1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16 --value x --type String 2>&1)
check_contains "16 levels" "HierarchyLevelLimitExceededException" "$err"
err=$(p put-parameter --name /n --value abc --type String --allowed-pattern '^\d+$' 2>&1)
check_contains "AllowedPattern" "ParameterPatternMismatchException" "$err"
err=$(p get-parameter --name /app/url:9 2>&1)
check_contains "missing version" "ParameterVersionNotFound" "$err"

case_begin "versions, labels and selectors"
p put-parameter --name /app/url --value https://two --type String --overwrite >/dev/null
check_eq "latest" "https://two" "$(p get-parameter --name /app/url)"
check_eq "name:1" "https://one" "$(p get-parameter --name /app/url:1)"
out=$(p label-parameter-version --name /app/url --parameter-version 1 --labels prod 9bad -o json)
check_eq "label result" '{"InvalidLabels":["9bad"],"ParameterVersion":1}' "$(jq -c . <<<"$out")"
check_eq "name:label" "https://one" "$(p get-parameter --name /app/url:prod)"
check_eq "Selector echoed" ":prod" "$(p get-parameter --name /app/url:prod -o json | jq -r .Parameter.Selector)"
p label-parameter-version --name /app/url --labels prod >/dev/null
check_eq "the label moved to the latest" "https://two" "$(p get-parameter --name /app/url:prod)"
hist=$(p get-parameter-history --name /app/url -o json)
check_eq "history versions" "1 2" "$(jq -r '[.Parameters[].Version] | join(" ")' <<<"$hist")"
check_eq "history labels" '[[],["prod"]]' "$(jq -c '[.Parameters[].Labels]' <<<"$hist")"
out=$(p unlabel-parameter-version --name /app/url --parameter-version 2 --labels prod gone -o json)
check_eq "unlabel result" '{"InvalidLabels":["gone"],"RemovedLabels":["prod"]}' "$(jq -c . <<<"$out")"

case_begin "get-parameters and get-parameters-by-path"
p put-parameter --name /app/db/host --value db1 --type String >/dev/null
p put-parameter --name /app/hosts --value 'a,b,c' --type StringList >/dev/null
out=$(p get-parameters --names /app/url /app/hosts /app/nope -o json)
check_eq "Parameters" '["/app/hosts","/app/url"]' "$(jq -c '[.Parameters[].Name] | sort' <<<"$out")"
check_eq "InvalidParameters" '["/app/nope"]' "$(jq -c .InvalidParameters <<<"$out")"
check_eq "one level" '["/app/hosts","/app/url"]' \
  "$(p get-parameters-by-path --path /app -o json | jq -c '[.Parameters[].Name]')"
check_eq "recursive" '["/app/db/host","/app/hosts","/app/url"]' \
  "$(p get-parameters-by-path --path /app --recursive -o json | jq -c '[.Parameters[].Name]')"
check_eq "Type filter" '["/app/hosts"]' \
  "$(p get-parameters-by-path --path /app --recursive --parameter-filters Key=Type,Values=StringList -o json |
    jq -c '[.Parameters[].Name]')"
check_eq "describe BeginsWith" '["/app/db/host"]' \
  "$(p describe-parameters --parameter-filters Key=Name,Option=BeginsWith,Values=/app/db -o json |
    jq -c '[.Parameters[].Name]')"
check_eq "describe shows no values" "null" "$(p describe-parameters -o json | jq -c '.Parameters[0].Value')"

case_begin "SecureString: encrypted at rest, plain only with --with-decryption"
secret="correct-horse-battery-staple-$$"
printf '%s\n' "$secret" | p put-parameter --name /app/db/password --value - --type SecureString >/dev/null
check_eq "with decryption" "$secret" "$(p get-parameter --name /app/db/password --with-decryption)"
hidden=$(p get-parameter --name /app/db/password -o json | jq -r .Parameter.Value)
check_not_contains "without decryption: the blob" "$secret" "$hidden"
check_eq "blob is base64" "" "$(tr -d 'A-Za-z0-9+/=' <<<"$hidden")"
warn=$(p put-parameter --name /app/db/password --value "$secret" --type SecureString --overwrite 2>&1 >/dev/null)
check_contains "argv warning" "visible to other users" "$warn"
db=$SSHM_STATE_DIR/params.db
check_eq "params.db mode" 600 "$(stat -c %a "$db")"
check_eq "key file mode" 600 "$(stat -c %a "$XDG_CONFIG_HOME/sshm/params.key")"
if grep -a -q -- "$secret" "$db" "$db-wal" 2>/dev/null; then found=yes; else found=no; fi
check_eq "secret absent from params.db and its WAL" no "$found"

case_begin "rotate-key keeps values readable; a wrong key fails clearly"
old_key=$(cat "$XDG_CONFIG_HOME/sshm/params.key")
p rotate-key >/dev/null
check_eq "rotate-key exit" 0 "$?"
check_not_contains "key changed" "$old_key" "$(cat "$XDG_CONFIG_HOME/sshm/params.key")"
check_eq "still decrypts" "$secret" "$(p get-parameter --name /app/db/password:1 --with-decryption)"
echo "$old_key" >"$FLEET_DIR/old.key"
err=$(SSHM_PARAMS_KEY_FILE=$FLEET_DIR/old.key p get-parameter --name /app/db/password --with-decryption 2>&1); rc=$?
check_eq "wrong key exit" 1 "$rc"
check_contains "wrong key message" "cannot decrypt SecureString /app/db/password" "$err"
check_not_contains "no garbage" "$secret" "$err"

case_begin "policies: check reports what is due"
p put-parameter --name /app/temp --value t --type String --tier Advanced \
  --policies '[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}}]' >/dev/null
out=$(p check -o json); rc=$?
check_eq "nothing due yet" 0 "$rc"
check_eq "listed" "NoChangeNotification" "$(jq -r '.Policies[0].PolicyType' <<<"$out")"
p put-parameter --name /app/gone --value g --type String --tier Advanced \
  --policies '[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2000-01-01T00:00:00Z"}}]' >/dev/null
err=$(p get-parameter --name /app/gone 2>&1)
check_contains "expired on the next use" "ParameterNotFound" "$err"

case_begin "{{ssm:...}} in a command resolves at send time"
p put-parameter --name /app/greeting --value hello --type String >/dev/null
p put-parameter --name /app/greeting --value bonjour --type String --overwrite >/dev/null
p label-parameter-version --name /app/greeting --parameter-version 1 --labels old >/dev/null
out=$(fleet_sshm exec 'echo "{{ssm:/app/greeting}} {{ssm:/app/greeting:1}} {{ssm:/app/greeting:old}}"' -t web-001 \
  --no-progress 2>/dev/null)
check_contains "values, version and label" "web-001: bonjour hello hello" "$out"
before=$(fleet_sshm commands list 2>/dev/null | wc -l)
err=$(fleet_sshm exec 'echo {{ssm:/app/missing}}' -t web-001 --no-progress 2>&1); rc=$?
check_eq "missing parameter exit" 2 "$rc"
check_contains "missing parameter message" "ParameterNotFound" "$err"
check_eq "nothing ran" "$before" "$(fleet_sshm commands list 2>/dev/null | wc -l)"
err=$(fleet_sshm exec 'echo {{ssm:/app/greeting:7}}' -t web-001 --no-progress 2>&1); rc=$?
check_eq "missing version exit" 2 "$rc"
check_contains "missing version message" "ParameterVersionNotFound" "$err"

case_begin "delete-parameter and delete-parameters"
p delete-parameter --name /app/url >/dev/null
check_contains "deleted" "ParameterNotFound" "$(p get-parameter --name /app/url 2>&1)"
out=$(p delete-parameters --names /app/hosts /app/url -o json)
check_eq "delete-parameters shape" '{"DeletedParameters":["/app/hosts"],"InvalidParameters":["/app/url"]}' \
  "$(jq -c . <<<"$out")"

checks_done
