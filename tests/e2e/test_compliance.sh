#!/usr/bin/env bash
# sshm compliance: Custom items put by scripts, summaries in SSM's shapes, exit 1 for cron
# alerting when anything is NON_COMPLIANT, and PutComplianceItems' rules (exit 2, nothing
# written). Patch compliance is checked in test_patch_apt.sh and Association compliance in
# test_associations.sh, where those runs happen. No hosts are contacted.
set -u
: "${SSHM:?set SSHM to the sshm binary}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/check.sh
. "$here/lib/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
cat >"$work/inventory.yaml" <<'YAML'
hosts:
  web1: {address: 192.0.2.1}
  web2: {address: 192.0.2.2}
  db1: {address: 192.0.2.3}
YAML
export SSHM_INVENTORY="$work/inventory.yaml"

# run ARGS...: sets out, err and rc.
run() {
  out=$("$SSHM" "$@" 2>"$work/err"); rc=$?
  err=$(cat "$work/err")
}

case_begin "a fresh state dir has nothing to report and exits 0"
run compliance summary
check "exits 0" 0 "$rc"
check_contains "says where compliance comes from" "no compliance data" "$out"
run -o json compliance list
check "empty ComplianceItems" "[]" "$(jq -c .ComplianceItems <<<"$out")"

case_begin "items put by a script, on the command line and as JSON on stdin"
run compliance put --resource-id web1 --compliance-type Custom:DiskEncryption \
  --item 'Id=root,Title=Root volume,Severity=HIGH,Status=NON_COMPLIANT,Details.Device=/dev/sda1' \
  --item 'Id=swap,Title=Swap,Severity=LOW,Status=COMPLIANT'
check "exits 0" 0 "$rc"
check_contains "says what was recorded" "2 item(s) recorded" "$out"
run compliance put --resource-id web2 --compliance-type Custom:DiskEncryption --items-file - \
  <<<'[{"Id": "root", "Title": "Root volume", "Severity": "HIGH", "Status": "COMPLIANT"}]'
check "stdin upload exits 0" 0 "$rc"
run compliance put --resource-id db1 --compliance-type Custom:Backups \
  --item 'Id=nightly,Title=Nightly dump,Severity=CRITICAL,Status=NON_COMPLIANT'
check "second type exits 0" 0 "$rc"

case_begin "summary per type counts hosts, by the worst severity, and exits 1"
run -o json compliance summary
check "exits 1: something is NON_COMPLIANT" 1 "$rc"
check "types in order" "Custom:Backups Custom:DiskEncryption" "$(jq -r '[.ComplianceSummaryItems[].ComplianceType] | join(" ")' <<<"$out")"
check "DiskEncryption: 1 compliant host, 1 non-compliant (HIGH)" "1 1 1" \
  "$(jq -r '.ComplianceSummaryItems[] | select(.ComplianceType == "Custom:DiskEncryption") | "\(.CompliantSummary.CompliantCount) \(.NonCompliantSummary.NonCompliantCount) \(.NonCompliantSummary.SeveritySummary.HighCount)"' <<<"$out")"
check "Backups: the CRITICAL host" "1" \
  "$(jq -r '.ComplianceSummaryItems[] | select(.ComplianceType == "Custom:Backups") | .NonCompliantSummary.SeveritySummary.CriticalCount' <<<"$out")"
run compliance summary --type Custom:DiskEncryption --resource-id web2
check "only the compliant host: exit 0" 0 "$rc"

case_begin "by resource: ListResourceComplianceSummaries' shape"
run -o json compliance summary --by-resource
check "three host/type rows" 3 "$(jq '.ResourceComplianceSummaryItems | length' <<<"$out")"
check "web1 row" "NON_COMPLIANT HIGH 1 1 ManagedInstance" \
  "$(jq -r '.ResourceComplianceSummaryItems[] | select(.ResourceId == "web1") | "\(.Status) \(.OverallSeverity) \(.CompliantSummary.CompliantCount) \(.NonCompliantSummary.NonCompliantCount) \(.ResourceType)"' <<<"$out")"
run compliance summary --by-resource
check_match "text table row" "web1 +Custom:DiskEncryption +NON_COMPLIANT +HIGH +1 +1" "$out"

case_begin "list: ListComplianceItems' shape and filters"
run -o json compliance list --status NON_COMPLIANT
check "two non-compliant items" "db1/nightly web1/root" "$(jq -r '[.ComplianceItems[] | "\(.ResourceId)/\(.Id)"] | join(" ")' <<<"$out")"
check "details kept" "/dev/sda1" "$(jq -r '.ComplianceItems[] | select(.Id == "root") | .Details.Device' <<<"$out")"
check "execution summary" "Command" "$(jq -r '.ComplianceItems[0].ExecutionSummary.ExecutionType' <<<"$out")"

case_begin "COMPLETE replaces a type's items on a host, PARTIAL only the same Ids"
run compliance put --resource-id web1 --compliance-type Custom:DiskEncryption --upload-type PARTIAL \
  --item 'Id=root,Title=Root volume,Severity=HIGH,Status=COMPLIANT'
run -o json compliance list --resource-id web1
check "PARTIAL kept swap, updated root" "root:COMPLIANT swap:COMPLIANT" "$(jq -r '[.ComplianceItems[] | "\(.Id):\(.Status)"] | join(" ")' <<<"$out")"
run compliance put --resource-id web1 --compliance-type Custom:DiskEncryption --item 'Id=data,Severity=MEDIUM,Status=COMPLIANT'
run -o json compliance list --resource-id web1
check "COMPLETE left only the new item" "data" "$(jq -r '[.ComplianceItems[].Id] | join(" ")' <<<"$out")"

case_begin "PutComplianceItems' rules: exit 2, nothing written"
before=$("$SSHM" -o json compliance list)
run compliance put --resource-id web9 --compliance-type Custom:X1 --item 'Id=a,Severity=HIGH,Status=COMPLIANT'
check "unknown host exits 2" 2 "$rc"
check_contains "InvalidResourceId with a suggestion" "InvalidResourceId: 'web9' is not a host of the inventory" "$err"
check_contains "did you mean" "did you mean 'web1'" "$err"
run compliance put --resource-id web1 --compliance-type 'Disk Encryption' --item 'Id=a,Severity=HIGH,Status=COMPLIANT'
check "bad type exits 2" 2 "$rc"
check_contains "type pattern" "ValidationException: compliance type 'Disk Encryption' does not match" "$err"
run compliance put --resource-id web1 --compliance-type Custom:Disk --item 'Id=a,Severity=SEVERE,Status=COMPLIANT'
check "bad severity exits 2" 2 "$rc"
check_contains "severity wording" "Severity must be CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL or UNSPECIFIED" "$err"
run compliance put --resource-id web1 --compliance-type Custom:Disk --item 'Id=a,Severity=LOW,Status=OK'
check "bad status exits 2" 2 "$rc"
run compliance put --resource-id web1 --compliance-type Patch --item 'Id=a,Severity=LOW,Status=COMPLIANT'
check "Patch is not put by hand" 2 "$rc"
run compliance put --resource-id web1 --compliance-type Custom:Disk --items-file - <<<'{"Id": "a"}'
check "not an array exits 2" 2 "$rc"
for n in 1 2 3 4 5 6 7 8 9 10; do
  "$SSHM" compliance put --resource-id db1 --compliance-type "Custom:T$n" --item 'Id=a,Severity=LOW,Status=COMPLIANT' \
    >/dev/null 2>&1
done
run compliance put --resource-id db1 --compliance-type Custom:T11 --item 'Id=a,Severity=LOW,Status=COMPLIANT'
check "an eleventh custom type exits 2" 2 "$rc"
check_contains "limit named" "ComplianceTypeCountLimitExceededException" "$err"
run -o json compliance list --resource-id web1
check "web1 unchanged by the refused puts" "$(jq -c '[.ComplianceItems[] | select(.ResourceId == "web1")]' <<<"$before")" \
  "$(jq -c '.ComplianceItems' <<<"$out")"

case_begin "host-controlled text stays data in the table"
run compliance put --resource-id web2 --compliance-type Custom:Esc \
  --item "$(printf 'Id=e,Title=evil\033]0;pwned\007title,Severity=LOW,Status=COMPLIANT')"
run compliance list --resource-id web2 --type Custom:Esc
check_not_contains "no escape reaches the terminal" $'\033' "$out"

checks_done
