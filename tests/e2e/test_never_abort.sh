#!/usr/bin/env bash
# sshm never aborts: a full state dir or outputs dir, a bad config.yaml, a kill -9 half way
# and an unsupported plugin each end in a recorded status, a clear message and an exit
# status, never in `terminate called` (134) or a command left Pending forever.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"

fleet_init
fleet_add_hosts 8 node
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state
shared=$FLEET_DIR/shared
mkdir -p "$shared" && chmod 1777 "$shared"
mounts=()
cleanup_mounts() { local m; for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done; }
trap 'cleanup_mounts; fleet_cleanup' EXIT
# Each host prints 150 KB (151512 bytes with the newline).
big='head -c 151511 /dev/zero | tr "\\0" x; echo'

case_begin "config.yaml with a list where a path belongs: exit 2 and where, not an abort"
mkdir -p "$FLEET_DIR/xdg/sshm"
printf 'state_dir: %s\ninventory: [a, b]\n' "$FLEET_DIR/state" >"$FLEET_DIR/xdg/sshm/config.yaml"
err=$(XDG_CONFIG_HOME=$FLEET_DIR/xdg SSHM_STATE_DIR= SSHM_INVENTORY= "$SSHM" commands list 2>&1 >/dev/null)
check_eq "exit status" 2 "$?"
check_contains "names the file, line and column" "config.yaml:2:" "$err"
check_contains "says what is wrong" "'inventory' must be a single value" "$err"
check_not_contains "no abort" "terminate called" "$err"

case_begin "an unsupported plugin honours onFailure: exit (the next step never runs)"
cat >"$FLEET_DIR/unsupported.yaml" <<DOC
schemaVersion: "2.2"
description: download, then install what was downloaded
mainSteps:
  - action: aws:downloadContent
    name: download
    inputs:
      onFailure: exit
      sourceType: HTTP
      sourceInfo: '{"url": "http://127.0.0.1:9/pkg.deb"}'
  - action: aws:runShellScript
    name: install
    inputs:
      runCommand:
        - "touch $shared/installed-\$AWS_SSM_INSTANCE_ID"
DOC
fleet_sshm -o json run "$FLEET_DIR/unsupported.yaml" -t node-001 --no-progress >"$FLEET_DIR/unsupported.json" 2>/dev/null
check_eq "exit status" 1 "$?"
check_eq "marker never written" no "$([ -e "$shared/installed-node-001" ] && echo yes || echo no)"
check_eq "download failed" Failed "$(json_get "$FLEET_DIR/unsupported.json" 'd["Invocations"][0]["CommandPlugins"][0]["Status"]')"
check_eq "install skipped" Skipped "$(json_get "$FLEET_DIR/unsupported.json" 'd["Invocations"][0]["CommandPlugins"][1]["StatusDetails"]')"

case_begin "full outputs dir: exit 1, OutputLost recorded, never a silent short output"
fleet_sshm exec true -t node-001 --no-progress >/dev/null 2>&1  # the store exists
mkdir -p "$SSHM_STATE_DIR/outputs"
if mount -t tmpfs -o size=200k tmpfs "$SSHM_STATE_DIR/outputs"; then
  mounts+=("$SSHM_STATE_DIR/outputs")
  fleet_sshm -o json exec "$big" -t node-001,node-002,node-003 --max-concurrency 3 --no-progress \
    >"$FLEET_DIR/outfull.json" 2>"$FLEET_DIR/outfull.err"
  check_eq "exit status" 1 "$?"
  check_not_contains "no abort" "terminate called" "$(cat "$FLEET_DIR/outfull.err")"
  id=$(json_get "$FLEET_DIR/outfull.json" 'd["CommandId"]')
  fleet_sshm -o json commands show "$id" >"$FLEET_DIR/outfull.show.json"
  verdict=$(python3 - "$FLEET_DIR/outfull.show.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
for i in d["Invocations"]:
    lost = i["StatusDetails"] == "OutputLost"
    if not lost and i["Status"] != "Success": bad.append("%s is %s/%s" % (i["InstanceId"], i["Status"], i["StatusDetails"]))
    if lost and (i["Status"] != "Failed" or "No space left" not in i["StandardErrorContent"]):
        bad.append("%s lost its output but says %s: %r" % (i["InstanceId"], i["Status"], i["StandardErrorContent"][-200:]))
n = sum(i["StatusDetails"] == "OutputLost" for i in d["Invocations"])
print("; ".join(bad) or ("ok" if n >= 1 else "no host is OutputLost"))
PY
)
  check_eq "lost outputs are Failed/OutputLost with the reason" ok "$verdict"
  # Every host either has its whole output or `commands output` fails saying it is missing.
  for h in node-001 node-002 node-003; do
    bytes=$(fleet_sshm commands output "$id" "$h" 2>"$FLEET_DIR/outfull.$h.err" | wc -c)
    rc=${PIPESTATUS[0]}
    if [ "$bytes" = 151512 ]; then check_eq "$h: whole output" 0 "$rc"
    else
      check_eq "$h: a short output is an error" 1 "$rc"
      check_contains "$h: says it is missing" "is missing" "$(cat "$FLEET_DIR/outfull.$h.err")"
    fi
  done
  umount "$SSHM_STATE_DIR/outputs" && mounts=()
else
  check_eq "mount a 200 KB tmpfs (root needed)" 0 1
fi

case_begin "full state dir (the schema fits, the outputs do not): exit 1, a clear message, the history says what was lost"
small=$FLEET_DIR/small-state
mkdir -p "$small"
if mount -t tmpfs -o size=1024k tmpfs "$small"; then
  mounts+=("$small")
  # One host at a time, 300 KB each, on 1 MB: the schema and the first outputs fit, the last
  # meets the full disk (its file is removed), and its record is written after that.
  # With hosts at once, a record written at the very moment another host's output fills the
  # disk can still be lost (left InProgress): a known gap, see the stop's notes.
  SSHM_STATE_DIR=$small fleet_sshm -o json exec 'head -c 300000 /dev/zero | tr "\0" x; echo' \
    -t node-001,node-002,node-003 --max-concurrency 1 --max-errors 5 \
    --no-progress >"$FLEET_DIR/statefull.json" 2>"$FLEET_DIR/statefull.err"
  check_eq "exit status" 1 "$?"
  err=$(cat "$FLEET_DIR/statefull.err")
  check_not_contains "no abort" "terminate called" "$err"
  # Whichever write meets the full disk first (an output file or the store) says so.
  check_eq "a clear message" yes "$(grep -qE 'No space left on device|database or disk is full' \
    <<<"$err$(cat "$FLEET_DIR/statefull.json")" && echo yes || echo "no: $err")"
  SSHM_STATE_DIR=$small fleet_sshm -o json commands list >"$FLEET_DIR/statefull.list.json" 2>&1
  check_eq "history readable" 0 "$?"
  id=$(json_get "$FLEET_DIR/statefull.list.json" 'd["Commands"][0]["CommandId"]')
  SSHM_STATE_DIR=$small fleet_sshm -o json commands show "$id" >"$FLEET_DIR/statefull.show.json"
  check_eq "history: no host left Pending or InProgress" 0 \
    "$(json_get "$FLEET_DIR/statefull.show.json" 'sum(i["Status"] in ("Pending", "InProgress") for i in d["Invocations"])')"
  check_eq "history: what was lost" yes \
    "$(json_get "$FLEET_DIR/statefull.show.json" '"yes" if any(i["StatusDetails"] in ("OutputLost", "StoreError") for i in d["Invocations"]) else [i["StatusDetails"] for i in d["Invocations"]]')"
  umount "$small" && mounts=()
else
  check_eq "mount a 200 KB tmpfs (root needed)" 0 1
fi

case_begin "a disk that filled up after the store was made: the store's reserve lets the history say what was lost"
filled=$FLEET_DIR/filled-state
mkdir -p "$filled"
if mount -t tmpfs -o size=4m tmpfs "$filled"; then
  mounts+=("$filled")
  SSHM_STATE_DIR=$filled fleet_sshm exec 'echo first' -t node-001 --no-progress >/dev/null 2>&1
  check_eq "first run" 0 "$?"
  check_eq "a reserve is kept" yes "$([ -s "$filled/sshm.db.reserve" ] && echo yes || echo no)"
  # Something else fills the disk to the last byte.
  dd if=/dev/zero of="$filled/filler" bs=64k >/dev/null 2>&1
  check_eq "the disk is full" 0 "$(df --output=avail -k "$filled" | tail -1 | tr -d ' ')"
  # 700 KB a host: more than the reserve gives back, so some output must be lost.
  SSHM_STATE_DIR=$filled fleet_sshm -o json exec 'head -c 716799 /dev/zero | tr "\0" y; echo' \
    -t node-001,node-002,node-003 --max-concurrency 3 --no-progress >"$FLEET_DIR/filled.json" 2>"$FLEET_DIR/filled.err"
  check_eq "exit status" 1 "$?"
  check_not_contains "no abort" "terminate called" "$(cat "$FLEET_DIR/filled.err")"
  check_contains "a clear message" "No space left on device" "$(cat "$FLEET_DIR/filled.err")"
  id=$(json_get "$FLEET_DIR/filled.json" 'd["CommandId"]')
  # Read while the disk is still full: the run recorded its end in the space it freed.
  SSHM_STATE_DIR=$filled fleet_sshm -o json commands show "$id" >"$FLEET_DIR/filled.show.json"
  check_eq "history readable on the full disk" 0 "$?"
  check_eq "the command ended" Failed "$(json_get "$FLEET_DIR/filled.show.json" 'd["Status"]')"
  check_eq "each host has its whole output or says it was lost" ok "$(json_get "$FLEET_DIR/filled.show.json" '(
"; ".join("%s %s/%s" % (i["InstanceId"], i["Status"], i["StatusDetails"]) for i in d["Invocations"]
          if (i["Status"], i["StatusDetails"]) not in (("Success", "Success"), ("Failed", "OutputLost"))) or
("ok" if any(i["StatusDetails"] == "OutputLost" for i in d["Invocations"]) else "no host lost its output"))')"
  rm -f "$filled/filler"
  SSHM_STATE_DIR=$filled fleet_sshm commands list >/dev/null 2>&1
  check_eq "room again: a new reserve" yes "$([ -s "$filled/sshm.db.reserve" ] && echo yes || echo no)"
  umount "$filled" && mounts=()
else
  check_eq "mount a 4 MB tmpfs (root needed)" 0 1
fi

case_begin "kill -9 half way: the next sshm shows it Interrupted; resume runs every host never started, once"
: >"$shared/ran" && chmod 666 "$shared/ran"
SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" exec \
  "echo \$AWS_SSM_INSTANCE_ID >>$shared/ran; sleep 2" -t 'node-*' --max-concurrency 1 --no-progress \
  >/dev/null 2>&1 &
pid=$!
for _ in $(seq 400); do [ "$(wc -l <"$shared/ran")" -ge 2 ] && break; sleep 0.05; done
# Half way through the second host's 2 s: the first host's result is in the store by then.
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
check_eq "killed half way" 2 "$(wc -l <"$shared/ran")"
fleet_sshm -o json commands list --limit 1 >"$FLEET_DIR/killed.json"
id=$(json_get "$FLEET_DIR/killed.json" 'd["Commands"][0]["CommandId"]')
check_eq "listed as interrupted, not Pending" "Failed Interrupted" \
  "$(json_get "$FLEET_DIR/killed.json" 'd["Commands"][0]["Status"] + " " + d["Commands"][0]["StatusDetails"]')"
check_contains "text list too" "Failed" "$(fleet_sshm commands list --status Interrupted)"
fleet_sshm commands resume "$id" --no-progress >/dev/null 2>"$FLEET_DIR/resume.err"
check_eq "resume exit status: one host was in flight" 1 "$?"
check_contains "says how many run now" "6 host(s) never started run now" "$(cat "$FLEET_DIR/resume.err")"
check_eq "each host ran exactly once" "8 hosts, each once" \
  "$(sort "$shared/ran" | uniq -c | awk '{n++; if ($1 != 1) bad = bad " " $2 "x" $1} END {print bad ? "ran twice:" bad : n " hosts, each once"}')"
fleet_sshm -o json commands show "$id" >"$FLEET_DIR/resumed.json"
check_eq "statuses" "InFlightAtInterruption:1 Success:7" \
  "$(json_get "$FLEET_DIR/resumed.json" '" ".join("%s:%d" % (k, v) for k, v in sorted(__import__("collections").Counter(i["StatusDetails"] for i in d["Invocations"]).items()))')"

checks_done
