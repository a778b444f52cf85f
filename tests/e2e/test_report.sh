#!/usr/bin/env bash
# sshm report on a store filled by real runs, a patch scan and an inventory collection on a
# loopback fleet: the page opens in headless Chromium with no console error and its script
# runs; each section's numbers equal what `sshm ... -o json` says; hostile host names, tags
# and outputs stay text; tidy finds no error; the Markdown renders. The screenshots are kept
# under the build dir (test-artifacts/report/).
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"
PAGE_PY=$SSHM_SOURCE_DIR/tests/e2e/report_page.py

for tool in chromium tidy; do command -v "$tool" >/dev/null || fleet_skip "$tool is not installed (apt-get install $tool)"; done
# Debian's python3 has python3-markdown; a python3 earlier on PATH (pyenv, venv) may not.
MD_PY=python3
[ -x /usr/bin/python3 ] && MD_PY=/usr/bin/python3
"$MD_PY" -c 'import markdown' 2>/dev/null || fleet_skip "python3-markdown is not installed (apt-get install python3-markdown)"
# Debian's python3 first: json_get runs it often, and a pyenv shim costs a lot per call.
export PATH=/usr/bin:$PATH
ARTIFACTS=$(cd "$(dirname "$SSHM")" && pwd)/test-artifacts/report
mkdir -p "$ARTIFACTS"

fleet_init
fleet_add_hosts 2 web || exit 1
fleet_add_refused down || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state XDG_CONFIG_HOME=$FLEET_DIR/config
OUT=$FLEET_DIR/out

# A host whose name and tags are markup, on web-001's sshd (names may hold anything but '/'
# and control characters).
EVIL_NAME='"><img src=x onerror=document.body.dataset.pwned=1>'
EVIL_TAG="<script>document.title='PWNED'</script>"
cat >>"$FLEET_INVENTORY" <<YAML
  '$EVIL_NAME':
    address: 127.0.0.1
    port: ${FLEET_PORT[web-001]}
    identity_file: $FLEET_KEY
    tags: {Kind: ok, Owner: "$EVIL_TAG"}
YAML

sshm() { timeout 300 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 5 "$@"; }

case_begin "an empty store: every section says it is empty, the page still validates"
sshm report "$FLEET_DIR/empty.html" -t all 2>"$OUT"
check "exit status" 0 $?
check_contains "says where it wrote" "report written to $FLEET_DIR/empty.html" "$(cat "$OUT")"
page=$(cat "$FLEET_DIR/empty.html")
check_contains "patch empty state" "No host in scope has been scanned" "$page"
check_contains "runs empty state" "No command ran on these hosts in the period" "$page"
check_contains "associations empty state" "No State Manager association" "$page"
check_contains "inventory empty state" "Give --package NAME" "$page"
tidy -errors -q "$FLEET_DIR/empty.html" >"$OUT" 2>&1
check "tidy: no errors" "0:" "$?:$(cat "$OUT")"

case_begin "fill the store: runs (one fails with hostile stderr), inventory, a patch scan"
sshm exec 'uname -r' -t all --no-progress >/dev/null 2>&1
check_match "first run: one host unreachable (exit 1 or 4)" '^[14]$' "$?"
sshm exec "echo \"$EVIL_TAG\" >&2; echo '\"><img src=x onerror=document.body.dataset.pwned=2>' >&2; echo last line >&2; exit 3" \
  -t 'tag:Kind=ok' --no-progress >/dev/null 2>&1
check "second run: every host fails (exit 1)" 1 $?
sshm inventory collect -t 'tag:Kind=ok' --types applications >/dev/null 2>&1
check "inventory collect" 0 $?
sshm patch scan -t web-001,web-002 >/dev/null 2>&1
check_match "patch scan ran (0 compliant, 1 non-compliant)" '^[01]$' "$?"

sshm -o json associations create --name AWS-RunShellScript --association-name nightly-check -t 'tag:Kind=ok' \
  -p commands='test "$AWS_SSM_INSTANCE_ID" != web-002' --schedule-expression 'rate(1 day)' --compliance-severity HIGH \
  >"$OUT" 2>&1
check "association created" 0 $?
sshm tick >/dev/null 2>&1
check "a tick runs it (web-002 fails)" 0 $?

case_begin "report -o json: the data behind the page"
PKG=$(dpkg-query -W -f='${Package}\n' openssh-server libc6 2>/dev/null | head -1)
sshm -o json report -t all --package "$PKG" --package no-such-package-here >"$FLEET_DIR/report.json"
check "exit status" 0 $?
J=$FLEET_DIR/report.json
check "hosts" 4 "$(json_get "$J" 'd["Fleet"]["HostCount"]')"
check "reachability" "3 1 0" "$(json_get "$J" '" ".join(str(d["Fleet"]["Reachability"][k]) for k in ("Reachable","Unreachable","Unknown"))')"
check "unreachable host listed" "down" "$(json_get "$J" 'd["Fleet"]["Reachability"]["UnreachableHosts"][0]["InstanceId"]')"

case_begin "Fleet equals hosts list and inventory query -o json"
sshm -o json hosts list -t all >"$OUT"
check "HostCount = hosts list" "$(json_get "$OUT" 'len(d)')" "$(json_get "$J" 'd["Fleet"]["HostCount"]')"
sshm -o json inventory query --count-by AWS:InstanceInformation.KernelVersion >"$OUT"
check "kernels = inventory --count-by (hosts with inventory)" \
  "$(json_get "$OUT" '" ".join("%s=%d" % (r["Value"], r["Count"]) for r in sorted(d, key=lambda r: r["Value"]))')" \
  "$(json_get "$J" '" ".join("%s=%d" % (r["Value"], r["Count"]) for r in sorted(d["Fleet"]["ByKernel"], key=lambda r: r["Value"]) if r["Value"] != "(no inventory)")')"
check "tag Owner counted once, as given" "1" \
  "$(json_get "$J" '[r["Count"] for r in d["Fleet"]["ByTag"] if r["Key"] == "Owner"][0]')"

case_begin "Patch compliance equals patch compliance -o json"
sshm -o json patch compliance -t all >"$OUT"
for k in Compliant NonCompliant NotScanned; do
  check "$k" "$(json_get "$OUT" "d['$k']")" "$(json_get "$J" "d['PatchCompliance']['$k']")"
done
check "not scanned: the evil host and down" 2 "$(json_get "$J" 'd["PatchCompliance"]["NotScanned"]')"
check "trend: the scan's day" "2" "$(json_get "$J" 'd["PatchCompliance"]["Trend"][-1]["Compliant"] + d["PatchCompliance"]["Trend"][-1]["NonCompliant"]')"

case_begin "Run Command equals commands show -o json"
sshm -o json commands list --limit 10 >"$OUT"
check "commands in the period" "$(json_get "$OUT" 'len([c for c in d["Commands"] if c["DocumentName"] == "AWS-RunShellScript" or c["DocumentName"].startswith("AWS-")])')" \
  "$(json_get "$J" 'len(d["RunCommand"]["Commands"])')"
# The run that failed on every healthy host (the association's run fails on one).
failing=$(json_get "$J" '[c["CommandId"] for c in d["RunCommand"]["Commands"] if c["InvocationStatus"].get("Failed") == 3][0]')
sshm -o json commands show "$failing" >"$OUT"
check "invocation states of the failing run" \
  "$(json_get "$OUT" 'json.dumps(dict(sorted(__import__("collections").Counter(i["Status"] for i in d["Invocations"]).items())))')" \
  "$(json_get "$J" "json.dumps(dict(sorted([c for c in d['RunCommand']['Commands'] if c['CommandId'] == '$failing'][0]['InvocationStatus'].items())))")"
check "failed invocation: exit code 3" "3" \
  "$(json_get "$J" "[f['ResponseCode'] for f in d['RunCommand']['FailedInvocations'] if f['CommandId'] == '$failing'][0]")"
check "stderr tail ends with the last line" "last line" \
  "$(json_get "$J" "[f['StandardErrorTail'] for f in d['RunCommand']['FailedInvocations'] if f['CommandId'] == '$failing'][0].splitlines()[-1]")"
check "heat map: 4 hosts x 5 commands, down undeliverable in the first" "4x5 Undeliverable" \
  "$(json_get "$J" '"%dx%d %s" % (len(d["RunCommand"]["HeatMap"]["Hosts"]), len(d["RunCommand"]["HeatMap"]["Commands"]), d["RunCommand"]["HeatMap"]["Cells"][d["RunCommand"]["HeatMap"]["Hosts"].index("down")][0])')"

case_begin "Associations equal compliance list -o json"
sshm -o json compliance list --type Association >"$OUT"
check "compliant / non-compliant hosts of the association" \
  "$(json_get "$OUT" '"%d/%d" % tuple(sum(1 for i in (d if isinstance(d, list) else d["ComplianceItems"]) if i["Status"] == s) for s in ("COMPLIANT", "NON_COMPLIANT"))')" \
  "$(json_get "$J" '"%d/%d" % (d["Associations"]["Associations"][0]["Compliant"], d["Associations"]["Associations"][0]["NonCompliant"])')"
check "its name" "nightly-check" "$(json_get "$J" 'd["Associations"]["Associations"][0]["AssociationName"]')"
check "last execution" "Failed" "$(json_get "$J" 'd["Associations"]["Associations"][0]["LastExecution"]["Status"]')"

case_begin "Inventory version spread equals inventory query -o json"
sshm -o json inventory query "AWS:Application.Name = $PKG" >"$OUT"
check "$PKG versions" \
  "$(json_get "$OUT" '" ".join(sorted("%s=%d" % kv for kv in __import__("collections").Counter(r["Content"]["Version"] for m in d for (r) in m["Rows"]).items()))')" \
  "$(json_get "$J" '" ".join(sorted("%s=%d" % (v["Version"], v["Count"]) for v in d["Inventory"]["Packages"][0]["Versions"]))')"
check "a missing package: installed nowhere" "0 3" \
  "$(json_get "$J" '"%d %d" % (d["Inventory"]["Packages"][1]["Installed"], d["Inventory"]["Packages"][1]["NotInstalled"])')"

case_begin "HTML: renders in Chromium without console errors; the numbers on the page equal the JSON"
HTML=$FLEET_DIR/report.html
sshm report -t all --package "$PKG" --package no-such-package-here "$HTML" 2>/dev/null
check "exit status" 0 $?
check_le "page under 1 MB" 1000000 "$(stat -c %s "$HTML")"
check "no external asset (src= / href=http / @import)" "0" "$(grep -Eic 'src=\"http|href=\"http|@import|<link ' "$HTML")"
# One Chromium run: it lays the page out, runs its script, takes the screenshot and dumps the
# DOM as the script left it. Its log (stderr) has every console message of the page.
: >"$FLEET_DIR/chromium.log"
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions \
  --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
  --user-data-dir="$FLEET_DIR/chrome" --enable-logging=stderr --v=0 --window-size=1200,4200 \
  "--screenshot=$ARTIFACTS/report.png" --dump-dom "file://$HTML" >"$FLEET_DIR/dom.html" 2>"$FLEET_DIR/chromium.log"
check "chromium exit status" 0 $?
check "screenshot kept" "yes" "$([ -s "$ARTIFACTS/report.png" ] && echo yes)"
# The page logs nothing itself: any console line is an error or an exception.
check "no console message (error or uncaught exception)" "" "$(grep -E ':CONSOLE|Uncaught' "$FLEET_DIR/chromium.log")"
python3 "$PAGE_PY" "$FLEET_DIR/dom.html" >"$FLEET_DIR/dom.json"
D=$FLEET_DIR/dom.json
check "the sorting script ran to its end" "ready" "$(json_get "$D" 'd["root"].get("data-script")')"
for pair in Fleet.HostCount:Fleet/HostCount Fleet.Reachable:Fleet/Reachability/Reachable \
  Fleet.Unreachable:Fleet/Reachability/Unreachable PatchCompliance.Compliant:PatchCompliance/Compliant \
  PatchCompliance.NonCompliant:PatchCompliance/NonCompliant PatchCompliance.NotScanned:PatchCompliance/NotScanned \
  RunCommand.FailedInvocationsTotal:RunCommand/FailedInvocationsTotal Inventory.HostsWithInventory:Inventory/HostsWithInventory; do
  key=${pair%%:*} path=${pair#*:}
  check "page $key = JSON" "$(json_get "$J" "d$(sed 's#\([^/]*\)#["\1"]#g; s#/##g' <<<"$path")")" \
    "$(json_get "$D" "d['figures']['$key']")"
done
check "page: one row per command" "$(json_get "$J" 'len(d["RunCommand"]["Commands"])')" \
  "$(json_get "$D" 'len(d["tables"]["RunCommand.Commands"]) - 1')"
check "page: failed invocations (host, exit code)" \
  "$(json_get "$J" '" ".join(sorted("%s/%d" % (f["InstanceId"], f["ResponseCode"]) for f in d["RunCommand"]["FailedInvocations"]))')" \
  "$(json_get "$D" '" ".join(sorted("%s/%s" % (r[0], r[4]) for r in d["tables"]["RunCommand.FailedInvocations"][1:]))')"
check "page: $PKG versions" \
  "$(json_get "$J" '" ".join("%s=%d" % (v["Version"], v["Count"]) for v in d["Inventory"]["Packages"][0]["Versions"])')" \
  "$(json_get "$D" '" ".join("%s=%s" % (r[0], r[1]) for r in d["tables"]["Inventory.Packages.0.Versions"][1:])')"
check "page: association (name, compliant, non-compliant, last execution)" \
  "$(json_get "$J" '"%s %d %d %s" % tuple([d["Associations"]["Associations"][0][k] for k in ("AssociationName", "Compliant", "NonCompliant")] + [d["Associations"]["Associations"][0]["LastExecution"]["Status"]])')" \
  "$(json_get "$D" '" ".join(d["tables"]["Associations.Associations"][1][i].split()[-1] for i in (0, 2, 3, 4))')"
check "page: kernels" \
  "$(json_get "$J" '" ".join("%s=%d" % (v["Value"], v["Count"]) for v in d["Fleet"]["ByKernel"])')" \
  "$(json_get "$D" '" ".join("%s=%s" % (r[0], r[1]) for r in d["tables"]["Fleet.ByKernel"][1:])')"

case_begin "hostile names, tags and outputs are text on the page, never markup"
check "no <img> element" "0" "$(json_get "$D" 'd["imgs"]')"
check "one <script> element (the page's own)" "1" "$(json_get "$D" 'd["scripts"]')"
check "no event handler attribute" "[]" "$(json_get "$D" 'd["handlers"]')"
check "title unchanged" "yes" "$(json_get "$D" '"yes" if d["title"].startswith("sshm fleet report") else d["title"]')"
check "no body marker set by injected code" "" "$(grep -o 'data-pwned="[^"]*"' "$FLEET_DIR/dom.html")"
check "host name shown as text" "yes" \
  "$(json_get "$D" '"yes" if any(r[0] == '"'$EVIL_NAME'"' for r in d["tables"]["RunCommand.FailedInvocations"][1:]) else "no"')"
check "tag shown as text" "yes" \
  "$(json_get "$D" '"yes" if any(r[1] == "'"$EVIL_TAG"'" for r in d["tables"]["Fleet.ByTag"][1:]) else "no"')"
check_contains "stderr shown as text" "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" "$(cat "$FLEET_DIR/dom.html")"

case_begin "tidy validates the page"
tidy -errors -q "$HTML" >"$OUT" 2>&1
check "tidy: no errors" "0:" "$?:$(cat "$OUT")"

case_begin "Markdown: the same numbers, renders, hostile text stays text"
MD=$FLEET_DIR/report.md
sshm report -t all --package "$PKG" "$MD" 2>/dev/null
check "exit status" 0 $?
"$MD_PY" - "$MD" "$J" >"$OUT" 2>&1 <<'PY'
import json, sys, markdown
from html.parser import HTMLParser
text = open(sys.argv[1], encoding="utf-8").read()
data = json.load(open(sys.argv[2]))
html = markdown.markdown(text, extensions=["tables"])
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = {}; self.cells = []; self.cur = None
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "td": self.cur = ""
    def handle_endtag(self, tag):
        if tag == "td": self.cells.append(self.cur); self.cur = None
    def handle_data(self, d):
        if self.cur is not None: self.cur += d
p = P(); p.feed(html)
print("h2", p.tags.get("h2", 0))
print("tables", p.tags.get("table", 0) >= 10)
print("script", p.tags.get("script", 0), "img", p.tags.get("img", 0))
row = text.split("## Patch compliance")[1].split("\n")[4]
print("patch", row == "| %d | %d | %d |" % tuple(data["PatchCompliance"][k] for k in ("Compliant", "NonCompliant", "NotScanned")))
print("evil host as text", any(c == '"><img src=x onerror=document.body.dataset.pwned=1>' for c in p.cells))
PY
check "rendered: 5 sections, tables, no script or img, numbers, hostile text" \
  "h2 5
tables True
script 0 img 0
patch True
evil host as text True" "$(cat "$OUT")"

case_begin "bad input: unknown extension, bad --since, no file"
sshm report -t all "$FLEET_DIR/x.pdf" >"$OUT" 2>&1
check "unknown extension (exit 2)" 2 $?
check_contains "says why" "must end in .html or .md" "$(cat "$OUT")"
sshm report --since yesterday "$HTML" >"$OUT" 2>&1
check "bad --since (exit 2)" 2 $?
sshm report >"$OUT" 2>&1
check "no file and no -o json (exit 2)" 2 $?

checks_done
