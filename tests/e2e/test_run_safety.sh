#!/usr/bin/env bash
# Safety of a run on a real loopback fleet: SSM's ramp-up seen in the sshd log, --dry-run
# that touches no host, host key pre-flight with unknown and changed keys, per-tag caps
# measured on the hosts, re-targeting the failed hosts of a run, and resume after kill -9.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"

fleet_init
fleet_add_hosts 50 web
fleet_add_unknown_key newhost
fleet_add_changed_key badhost
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
shared=$FLEET_DIR/shared
mkdir -p "$shared" && chmod 1777 "$shared"
first16=$(printf 'web-%03d,' $(seq 1 16))
first16=${first16%,}

# "Connection from" lines in every sshd log of the fleet: each is one TCP connection.
connections() { cat "$FLEET_DIR"/sshd*/log | grep -c 'Connection from' || true; }

case_begin "ramp-up: each wave connects only after the earlier hosts authenticated (sshd log)"
# web-001..web-016 share one sshd, so its log orders every connection and login.
log=${FLEET_LOG[web-001]}
before=$(wc -l <"$log")
fleet_sshm exec 'sleep 0.2' -t "$first16" --max-concurrency 16 --no-progress >/dev/null 2>"$FLEET_DIR/ramp.err"
check_eq "exit status" 0 "$?"
verdict=$(tail -n +"$((before + 1))" "$log" | python3 -c '
import sys
accepted = 0; conns = 0; bad = []
need = lambda k: 0 if k == 1 else 1 if k <= 3 else 3 if k <= 7 else 7 if k <= 15 else 15
for line in sys.stdin:
    if "Connection from" in line:
        conns += 1
        if accepted < need(conns): bad.append("connection %d came after only %d logins" % (conns, accepted))
    elif "Accepted publickey" in line:
        accepted += 1
print("%d connections %d logins %s" % (conns, accepted, "; ".join(bad) or "in waves 1, 2, 4, 8, 16"))
')
check_eq "waves seen by sshd" "16 connections 16 logins in waves 1, 2, 4, 8, 16" "$verdict"

case_begin "--no-ramp still runs everything"
fleet_sshm exec 'true' -t "$first16" --max-concurrency 16 --no-ramp --no-progress >/dev/null 2>&1
check_eq "exit status" 0 "$?"

case_begin "--dry-run: targets, ramp and thresholds in host counts, secrets masked, no host touched"
cat >"$FLEET_DIR/deploy.yaml" <<'DOC'
schemaVersion: "2.2"
description: Deploy with a database password
parameters:
  dbPassword:
    type: String
  release:
    type: String
    default: "1.2.3"
mainSteps:
  - action: aws:runShellScript
    name: deploy
    inputs:
      runCommand:
        - "echo deploying {{ release }} with {{ dbPassword }}"
DOC
conns=$(connections)
out=$(fleet_sshm run "$FLEET_DIR/deploy.yaml" -p dbPassword=hunter2-secret -t 'web-*' --max-concurrency 10% --max-errors 10% --dry-run 2>&1)
check_eq "exit status" 0 "$?"
check_contains "concurrency in hosts" "max-concurrency 10% of 50 → 5 at once; ramp 1, 2, 4, 5" "$out"
check_contains "threshold in hosts" "max-errors 10% of 50 → dispatch stops at the 6th error" "$out"
check_contains "targets listed" "targets (50): web-001, web-002" "$out"
check_contains "parameters resolved" "echo deploying 1.2.3 with ****" "$out"
check_contains "secret parameter masked" "dbPassword = ****" "$out"
check_not_contains "secret never shown" "hunter2" "$out"
fleet_sshm -o json run "$FLEET_DIR/deploy.yaml" -p dbPassword=hunter2-secret -t 'web-*' --max-concurrency 10% --max-errors 10% \
  --max-concurrency-per Kind=2 --dry-run >"$FLEET_DIR/dry.json"
check_eq "json: concurrency" 5 "$(json_get "$FLEET_DIR/dry.json" 'd["Concurrency"]')"
check_eq "json: stops at error" 6 "$(json_get "$FLEET_DIR/dry.json" 'd["StopsAtError"]')"
check_eq "json: ramp" "[1, 2, 4, 5]" "$(json_get "$FLEET_DIR/dry.json" 'd["Ramp"]')"
check_eq "json: cap groups" '{"ok": 50}' "$(json_get "$FLEET_DIR/dry.json" 'd["ConcurrencyCaps"][0]["Groups"]')"
check_not_contains "json: secret never shown" "hunter2" "$(cat "$FLEET_DIR/dry.json")"
sleep 0.2
check_eq "sshd saw no new connection" "$conns" "$(connections)"
check_eq "nothing recorded" "" "$(fleet_sshm commands list 2>/dev/null | grep -i deploy || true)"

case_begin "hosts keys: all known"
out=$(fleet_sshm hosts keys -t 'web-*' 2>&1)
check_eq "exit status" 0 "$?"
check_contains "one answer" "50 known, 0 unknown, 0 changed" "$out"

case_begin "hosts keys: unknown and changed keys in one answer, with the exact fixes, no login"
accepted_before=$(grep -c 'Accepted publickey' "${FLEET_LOG[newhost]}" || true)
out=$(fleet_sshm hosts keys -t all </dev/null 2>&1)
check_eq "exit status" 1 "$?"
check_contains "counts" "50 known, 1 unknown, 1 changed" "$out"
check_contains "changed fix" "ssh-keygen -R '[127.0.0.1]:${FLEET_PORT[badhost]}' -f $FLEET_KNOWN_HOSTS" "$out"
check_contains "unknown fix" "ssh-keyscan -p ${FLEET_PORT[newhost]} 127.0.0.1 >> $FLEET_KNOWN_HOSTS" "$out"
check_contains "accept-new hint" "--host-key-policy accept-new" "$out"
check_eq "no login on the unknown host" "$accepted_before" "$(grep -c 'Accepted publickey' "${FLEET_LOG[newhost]}" || true)"
fleet_sshm -o json hosts keys -t newhost,badhost >"$FLEET_DIR/keys.json"
check_eq "json states" "changed unknown" \
  "$(json_get "$FLEET_DIR/keys.json" '" ".join(sorted(h["State"] for h in d["Hosts"]))')"

case_begin "run --preflight refuses to start when any key is unknown or changed"
fleet_sshm exec "touch $shared/preflight.\$AWS_SSM_INSTANCE_ID" -t all --preflight --no-progress 2>"$FLEET_DIR/pre.err" >/dev/null
check_eq "exit status 2" 2 "$?"
check_contains "says nothing ran" "nothing was run" "$(cat "$FLEET_DIR/pre.err")"
check_contains "lists the changed host" "badhost" "$(cat "$FLEET_DIR/pre.err")"
check_contains "lists the unknown host" "newhost" "$(cat "$FLEET_DIR/pre.err")"
check_eq "no host ran the command" 0 "$(ls "$shared" | grep -c '^preflight\.' || true)"

case_begin "the printed fixes work: then every key is known and --preflight runs"
ssh-keygen -R "[127.0.0.1]:${FLEET_PORT[badhost]}" -f "$FLEET_KNOWN_HOSTS" >/dev/null 2>&1
ssh-keyscan -p "${FLEET_PORT[newhost]}" 127.0.0.1 >>"$FLEET_KNOWN_HOSTS" 2>/dev/null
ssh-keyscan -p "${FLEET_PORT[badhost]}" 127.0.0.1 >>"$FLEET_KNOWN_HOSTS" 2>/dev/null
out=$(fleet_sshm hosts keys -t all 2>&1)
check_eq "hosts keys exit" 0 "$?"
check_contains "all known" "52 known, 0 unknown, 0 changed" "$out"
fleet_sshm exec "touch $shared/preflight.\$AWS_SSM_INSTANCE_ID" -t newhost,badhost,web-001 --preflight --no-progress >/dev/null 2>&1
check_eq "run exit" 0 "$?"
check_eq "hosts ran" 3 "$(ls "$shared" | grep -c '^preflight\.' || true)"

case_begin "per-tag caps: at most 2 at once per Rack value (measured on the hosts); untagged uncapped"
# web-001..web-030 get Rack r0/r1/r2 by number; web-031..web-050 have no Rack.
python3 - "$FLEET_INVENTORY" "$FLEET_DIR/racks.yaml" <<'PY'
import re, sys
out, host = [], None
for line in open(sys.argv[1]):
    m = re.match(r"  (web-(\d+)):$", line.rstrip("\n"))
    if m:
        host = int(m.group(2))
    elif line.startswith("  ") and not line.startswith("    "):
        host = None
    if host is not None and host <= 30 and line.strip().startswith("tags:"):
        line = line.replace("}", ", Rack: r%d}" % (host % 3))
    out.append(line)
open(sys.argv[2], "w").write("".join(out))
PY
cat >"$FLEET_DIR/rack.sh" <<SCRIPT
n=\$(expr "\${AWS_SSM_INSTANCE_ID#web-}" + 0)
if [ \$n -le 30 ]; then g=r\$((n % 3)); else g=none; fi
mkdir -p $shared/rack.\$g
touch $shared/rack.\$g/\$AWS_SSM_INSTANCE_ID
ls $shared/rack.\$g | wc -l >>$shared/rackcount.\$g
sleep 0.3
rm -f $shared/rack.\$g/\$AWS_SSM_INSTANCE_ID
SCRIPT
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_DIR/racks.yaml" -F "$FLEET_SSH_CONFIG" exec --script "$FLEET_DIR/rack.sh" -t 'web-*' \
  --max-concurrency 12 --max-concurrency-per Rack=2 --no-progress >/dev/null 2>"$FLEET_DIR/rack.err"
check_eq "exit status" 0 "$?"
for g in r0 r1 r2; do
  check_eq "every $g host ran" 10 "$(wc -l <"$shared/rackcount.$g")"
  check_le "peak at once in rack $g" 2 "$(sort -n "$shared/rackcount.$g" | tail -1)"
done
peak_none=$(sort -n "$shared/rackcount.none" | tail -1)
check_eq "untagged hosts ran beyond the cap" yes "$([ "$peak_none" -gt 2 ] && echo yes || echo "no (peak $peak_none)")"

case_begin "re-targeting: -t @failed:ID selects the failed hosts of an earlier command"
fleet_sshm -o json exec 'case $AWS_SSM_INSTANCE_ID in web-003|web-007) exit 1;; esac' -t 'web-00*' --max-errors 100% \
  >"$FLEET_DIR/first.json" 2>/dev/null
check_eq "first run exit" 1 "$?"
id=$(json_get "$FLEET_DIR/first.json" 'd["CommandId"]')
fleet_sshm -o json exec 'echo again' -t "@failed:$id" >"$FLEET_DIR/again.json" 2>/dev/null
check_eq "rerun exit" 0 "$?"
check_eq "only the failed hosts" "web-003 web-007" \
  "$(json_get "$FLEET_DIR/again.json" '" ".join(sorted(i["InstanceId"] for i in d["Invocations"]))')"
out=$(fleet_sshm hosts list -t "@success:${id:0:8}" --exclude web-001 2>&1)
check_eq "a prefix, AND --exclude" "6" "$(grep -c '^web-' <<<"$out")"
check_not_contains "excluded" "web-001" "$out"
out=$(fleet_sshm hosts list -t "@success:$id" -t web-001,web-002,web-003,web-004 2>&1)
check_eq "AND with another -t" "web-001 web-002 web-004" "$(awk '{print $1}' <<<"$out" | xargs)"
fleet_sshm exec 'true' -t "@timedout:$id" 2>"$FLEET_DIR/none.err"
check_eq "no host in that state: exit 2" 2 "$?"
check_contains "says why" "no host in state TimedOut" "$(cat "$FLEET_DIR/none.err")"

case_begin "resume after kill -9: every host runs exactly once or is reported in flight"
rm -rf "$shared/runs" && mkdir -p "$shared/runs" && chmod 1777 "$shared/runs"
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" exec \
  "touch $shared/runs/\$AWS_SSM_INSTANCE_ID.\$\$; sleep 1" -t 'web-*' --max-concurrency 4 --no-progress \
  >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ "$(ls "$shared/runs" | wc -l)" -ge 8 ] && break; sleep 0.05; done
kill -9 $pid
wait $pid 2>/dev/null
killed_at=$(ls "$shared/runs" | wc -l)
check_eq "killed mid-run" yes "$([ "$killed_at" -ge 8 ] && [ "$killed_at" -lt 50 ] && echo yes || echo "no ($killed_at ran)")"
id=$(fleet_sshm -o json commands list --limit 1 | json_get - 'd["Commands"][0]["CommandId"]')
fleet_sshm commands resume "${id:0:8}" --no-progress >/dev/null 2>"$FLEET_DIR/resume.err"
rc=$?
fleet_sshm -o json commands show "$id" >"$FLEET_DIR/resumed.json"
check_contains "says what was in flight" "in flight" "$(cat "$FLEET_DIR/resume.err")"
check_eq "one record, all 50 hosts" 50 "$(json_get "$FLEET_DIR/resumed.json" 'len(d["Invocations"])')"
check_eq "nothing left pending" 0 "$(json_get "$FLEET_DIR/resumed.json" 'sum(i["Status"] == "Pending" for i in d["Invocations"])')"
verdict=$(python3 - "$FLEET_DIR/resumed.json" "$shared/runs" <<'PY'
import json, os, sys, collections
d = json.load(open(sys.argv[1]))
runs = collections.Counter(f.rsplit(".", 1)[0] for f in os.listdir(sys.argv[2]))
bad = []
for i in d["Invocations"]:
    h, n = i["InstanceId"], runs[i["InstanceId"]]
    if n > 1: bad.append("%s ran %d times" % (h, n))
    elif i["Status"] == "Success" and n != 1: bad.append("%s Success but ran %d times" % (h, n))
    elif i["Status"] != "Success" and i["StatusDetails"] != "InFlightAtInterruption":
        bad.append("%s is %s/%s" % (h, i["Status"], i["StatusDetails"]))
print("; ".join(bad) or "ok")
PY
)
check_eq "each host once, or in flight" ok "$verdict"
check_eq "exit status: some were in flight" 1 "$rc"
fleet_sshm commands resume "$id" 2>"$FLEET_DIR/again.err"
check_eq "a second resume has nothing to do" 0 "$?"
check_contains "says so" "nothing to resume" "$(cat "$FLEET_DIR/again.err")"

case_begin "Ctrl-C twice leaves a resumable record"
rm -rf "$shared/runs2" && mkdir -p "$shared/runs2" && chmod 1777 "$shared/runs2"
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" exec \
  "touch $shared/runs2/\$AWS_SSM_INSTANCE_ID; sleep 1" -t 'web-0[0-1]*' --max-concurrency 2 --no-progress \
  >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ "$(ls "$shared/runs2" | wc -l)" -ge 2 ] && break; sleep 0.05; done
kill -INT $pid
sleep 0.1
kill -INT $pid
wait $pid
check_eq "exit status 130" 130 "$?"
id=$(fleet_sshm -o json commands list --limit 1 | json_get - 'd["Commands"][0]["CommandId"]')
fleet_sshm commands resume "$id" --no-progress >/dev/null 2>"$FLEET_DIR/resume2.err"
fleet_sshm -o json commands show "$id" >"$FLEET_DIR/resumed2.json"
check_eq "nothing left pending" 0 "$(json_get "$FLEET_DIR/resumed2.json" 'sum(i["Status"] == "Pending" for i in d["Invocations"])')"
check_eq "the rest ran" yes "$(json_get "$FLEET_DIR/resumed2.json" '"yes" if sum(i["Status"] == "Success" for i in d["Invocations"]) >= 10 else d')"

checks_done
