#!/usr/bin/env bash
# sshm inventory on a real loopback fleet: collect over SSH (the gatherer on stdin of sh -s),
# compared with this machine (dpkg-query -W, nproc); custom inventory files, valid and not;
# query, count-by, diff after a change, and export in Resource Data Sync's layout.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

command -v dpkg-query >/dev/null || { echo "SKIP: dpkg-query is not installed" >&2; exit 125; }

fleet_init
fleet_add_hosts 3 node || exit 1
fleet_add_refused down || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
OUT=$FLEET_DIR/out
ERR=$FLEET_DIR/err

# Runs sshm with the fleet's files and a hard stop, so a hang fails a check, not the suite.
inv() {
  timeout 300 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 5 "$@"
}

# Custom inventory and files for AWS:File, readable by the fleet's login user.
CUSTOM=$FLEET_DIR/custom
FILES=$FLEET_DIR/etc
mkdir -p "$CUSTOM" "$FILES/conf.d"
echo '{"SchemaVersion":"1.0","TypeName":"Custom:Rack","Content":{"Rack":"R7","Row":"4"}}' >"$CUSTOM/rack.json"
echo '{"SchemaVersion":"1.0","TypeName":"Custom:Power","Content":{"Watts":350}}' >"$CUSTOM/power.json"
echo 'a=1' >"$FILES/app.conf"
echo 'b=2' >"$FILES/conf.d/extra.conf"
echo 'c=3' >"$FILES/notes.txt"
chmod -R a+rX "$CUSTOM" "$FILES"
FILE_RULE='[{"Path":"'$FILES'","Pattern":["*.conf"],"Recursive":true}]'

case_begin "collect: healthy hosts ok, the refused one fails, exit 1"
inv inventory collect -t all --custom-dir "$CUSTOM" --files "$FILE_RULE" >"$OUT" 2>"$ERR"
check "exit status" 1 $?
check "ok lines" 3 "$(grep -c '^node-00[1-3]  ok  ' "$OUT")"
check_contains "refused host" "down  failed  connect_refused" "$(cat "$OUT")"
check_contains "summary" "3 of 4 hosts collected" "$(cat "$ERR")"

case_begin "collect is a command in the history, one invocation per host; -t @undeliverable:ID selects the refused host"
HIST=$FLEET_DIR/history.json
inv -o json commands list --limit 1 >"$HIST"
check "commands list: the document" "AWS-GatherSoftwareInventory" "$(json_get "$HIST" 'd["Commands"][0]["DocumentName"]')"
id=$(json_get "$HIST" 'd["Commands"][0]["CommandId"]')
inv -o json commands show "$id" >"$HIST"
check "commands show: one invocation per host" "down:Undeliverable node-001:Success node-002:Success node-003:Success" \
  "$(json_get "$HIST" '" ".join(sorted(i["InstanceId"] + ":" + i["Status"] for i in d["Invocations"]))')"
inv inventory collect -t "@undeliverable:$id" --types applications >"$HIST" 2>/dev/null
check "again: exit status (the one host unreachable)" 4 $?
check "only the refused host ran again" "down" "$(cut -d' ' -f1 "$HIST" | sort -u | xargs)"

case_begin "an invalid custom file is rejected with the reason; the valid one is kept"
check_contains "rejection" "node-001  warning  custom inventory $CUSTOM/power.json rejected: attribute 'Watts' is not a string" \
  "$(cat "$OUT")"
inv -o json inventory show node-001 --type Custom:Rack >"$OUT"
check "Custom:Rack content" "R7 4" "$(python3 -c 'import json,sys
i=json.load(open(sys.argv[1]))[0]; print(i["Content"][0]["Rack"], i["Content"][0]["Row"])' "$OUT")"
inv inventory show node-001 --type Custom:Power >"$OUT" 2>"$ERR"
check "rejected type is absent (exit)" 2 $?

case_begin "AWS:Application equals dpkg-query -W on this machine"
inv -o json inventory show node-002 --type AWS:Application >"$OUT"
check "shape" "AWS:Application 1.1" "$(python3 -c 'import json,sys
i=json.load(open(sys.argv[1]))[0]; print(i["TypeName"], i["SchemaVersion"])' "$OUT")"
expected=$(dpkg-query -W -f='${Package}\t${Version}\n' | sort)
actual=$(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))[0]["Content"]: print(r["Name"] + "\t" + r["Version"])' "$OUT" | sort)
check "package count" "$(echo "$expected" | wc -l)" "$(echo "$actual" | wc -l)"
check "names and versions" "$expected" "$actual"

case_begin "instance details and files"
inv -o json inventory show node-003 >"$OUT"
attr() { python3 -c 'import json,sys
for i in json.load(open(sys.argv[1])):
    if i["TypeName"] == sys.argv[2]: print(" ".join(sorted(r.get(sys.argv[3], "") for r in i["Content"])))' "$OUT" "$1" "$2"; }
check "CPUs equals nproc" "$(nproc)" "$(attr AWS:InstanceDetailedInformation CPUs)"
check "PlatformName" "$(. /etc/os-release; echo "$NAME")" "$(attr AWS:InstanceInformation PlatformName)"
check "InstanceId is the host name" "node-003" "$(attr AWS:InstanceInformation InstanceId)"
check "AWS:File rows" "app.conf extra.conf" "$(attr AWS:File Name)"
# The gatherer's own `sh -s` runs as the fleet user. Other hosts' gatherers on this machine are
# `sh -s` too, and one that ends between `ps` and the read of /proc has no User: look at them all.
check "ps user" "$FLEET_USER" "$(python3 -c 'import json,sys
for i in json.load(open(sys.argv[1])):
    if i["TypeName"] == "sshm:Process":
        users = {r.get("User", "") for r in i["Content"] if r.get("CommandLine", "").startswith("sh -s")}
        print(sys.argv[2] if sys.argv[2] in users else " ".join(sorted(users)))' "$OUT" "$FLEET_USER")"

case_begin "query: version-aware conditions, glob, NOT, count-by"
bash_version=$(dpkg-query -W -f='${Version}' bash)
inv inventory query "AWS:Application.Name = bash AND AWS:Application.Version = '$bash_version'" >"$OUT" 2>"$ERR"
check "exit" 0 $?
check "hosts" "node-001 node-002 node-003" "$(grep -v '^ ' "$OUT" | xargs)"
check_contains "matching row" "AWS:Application  " "$(cat "$OUT")"
check_contains "summary" "3 of 3 hosts match" "$(cat "$ERR")"
inv inventory query "AWS:Application.Name = bash AND AWS:Application.Version < 1:0" >"$OUT" 2>/dev/null
check "older than an epoch-1 version: all" 3 "$(grep -vc '^ ' "$OUT")"
inv inventory query "AWS:Application.Name = bash AND AWS:Application.Version < 2.0" >"$OUT" 2>/dev/null
check "older than 2.0: none" "" "$(cat "$OUT")"
inv inventory query "AWS:Application.Name ~ 'libc6*' AND NOT AWS:Application.Name = no-such-package" >"$OUT" 2>/dev/null
check "glob and NOT" 3 "$(grep -vc '^ ' "$OUT")"
inv -o json inventory query "Custom:Rack.Rack = R7" >"$OUT"
check "custom type query (json)" '["node-001","node-002","node-003"]' "$(python3 -c 'import json,sys
print(json.dumps([m["Host"] for m in json.load(open(sys.argv[1]))], separators=(",", ":")))' "$OUT")"
inv inventory query --count-by AWS:InstanceInformation.PlatformName >"$OUT"
check "count-by" "3  $(. /etc/os-release; echo "$NAME")" "$(sed 's/^ *//' "$OUT")"
inv inventory query "AWS:Aplication.Name = bash" >"$OUT" 2>"$ERR"
check "bad type: exit 2" 2 $?
check_contains "bad type: column and did-you-mean" "query:1:1: unknown inventory type 'AWS:Aplication' (did you mean 'AWS:Application'?)" "$(cat "$ERR")"
inv inventory query "AWS:Application.Name = bash AND AWS:Application.Verison < 3" >"$OUT" 2>"$ERR"
check_contains "bad attribute: column and did-you-mean" "query:1:49:" "$(cat "$ERR")"
check_contains "bad attribute: suggestion" "did you mean 'Version'" "$(cat "$ERR")"

case_begin "diff: what changed since the previous collection"
inv inventory diff node-001 >"$OUT"
check_contains "first collection" "AWS:Application: first collection" "$(cat "$OUT")"
echo '{"SchemaVersion":"1.0","TypeName":"Custom:Rack","Content":{"Rack":"R8","Row":"4"}}' >"$CUSTOM/rack.json"
echo 'd=4' >"$FILES/new.conf"
rm "$FILES/conf.d/extra.conf"
chmod a+r "$FILES/new.conf"
inv inventory collect -t node-001 --types Custom --custom-dir "$CUSTOM" --files "$FILE_RULE" >/dev/null 2>&1
check "second collect exit" 0 $?
inv inventory diff node-001 >"$OUT"
check_contains "custom change" "  ~ Rack: R7 -> R8" "$(cat "$OUT")"
check_contains "file added" "  + new.conf" "$(cat "$OUT")"
check_contains "file removed" "  - extra.conf" "$(cat "$OUT")"
inv -o json inventory diff node-001 >"$OUT"
check "json diff of AWS:File" "new.conf|extra.conf" "$(python3 -c 'import json,sys
d=next(x for x in json.load(open(sys.argv[1])) if x["TypeName"] == "AWS:File")
print("|".join([r["Name"] for r in d["Added"]] + [r["Name"] for r in d["Removed"]]))' "$OUT")"
inv inventory diff node-002 >"$OUT"
check_contains "untouched host" "first collection" "$(cat "$OUT")"
inv inventory query "Custom:Rack.Rack = R8" >"$OUT" 2>/dev/null
check "query sees the new snapshot only" "node-001" "$(grep -v '^ ' "$OUT" | xargs)"

case_begin "export: Resource Data Sync layout, JSON Lines"
inv inventory export "$FLEET_DIR/export" --account-id 123456789012 --region eu-west-1 >"$OUT"
check "exit" 0 $?
f="$FLEET_DIR/export/AWS:Application/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/node-002.json"
check "file exists" yes "$([ -f "$f" ] && echo yes || echo no)"
check "one line per package" "$(echo "$expected" | wc -l)" "$(wc -l <"$f")"
check "every line has resourceId, captureTime, schemaVersion" "node-002 1.1 ok" "$(python3 -c 'import json,sys,re
ls=[json.loads(l) for l in open(sys.argv[1])]
ids={l["resourceId"] for l in ls}; sv={l["schemaVersion"] for l in ls}
ok=all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", l["captureTime"]) for l in ls)
print(" ".join(ids), " ".join(sv), "ok" if ok else "bad")' "$f")"
check "custom type exported" yes "$([ -f "$FLEET_DIR/export/Custom:Rack/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/node-001.json" ] && echo yes || echo no)"
inv inventory export "s3:///no-bucket" >"$OUT" 2>"$ERR"
check "s3 URL without a bucket: exit 2" 2 $?
check_contains "s3 message" "names no bucket" "$(cat "$ERR")"

checks_done
