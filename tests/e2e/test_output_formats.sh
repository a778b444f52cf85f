#!/usr/bin/env bash
# Every subcommand, with every -o value, prints what it says: -o json one JSON document, -o jsonl
# one JSON object per line, -o yaml YAML, -o text no JSON. The subcommands are read from the CLI
# itself (`sshm --help`, then each one's --help), so a new subcommand fails this suite until it
# has a case below or an exemption with its reason.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 125; }
export PATH=/usr/bin:$PATH  # Debian's python3 (with python3-yaml), not a pyenv shim
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml not installed"; exit 125; }

fleet_init
fleet_add_hosts 2 web || exit 1
fleet_write_files
export SSHM_STATE_DIR=$FLEET_DIR/state XDG_CONFIG_HOME=$FLEET_DIR/config
work=$FLEET_DIR/formats
mkdir -p "$work"
s() { timeout 120 env SSH_AUTH_SOCK= "$SSHM" -i "$FLEET_INVENTORY" -F "$FLEET_SSH_CONFIG" --connect-timeout 5 --no-progress "$@"; }

# The leaf subcommands, as paths ("commands list"), from the help the CLI prints.
subcommands_of() {
  "$SSHM" "$@" --help 2>/dev/null | awk '/^Subcommands:/ { f = 1; next } f && /^$/ { exit } f && /^  [a-z]/ { print $1 }'
}
leaves() {
  local kids sub
  kids=$(subcommands_of "$@")
  if [ -z "$kids" ]; then echo "$*"; return; fi
  for sub in $kids; do leaves "$@" "$sub"; done
}

case_begin "fixtures: a command, inventory, an association, a window with an execution, a parameter"
s exec 'echo hello' -t all >/dev/null 2>&1
ID=$(s -o json commands list --limit 1 | jq -r '.Commands[0].CommandId')
check_match "a command ID" '^[0-9a-f-]{36}$' "$ID"
s inventory collect -t all >/dev/null 2>&1
check_eq "inventory collected" 0 "$?"
s params put-parameter --name /fmt/base --value v1 --type String >/dev/null
s params put-parameter --name /fmt/base --value v2 --type String --overwrite >/dev/null
ASSOC=$(s -o json associations create --name AWS-RunShellScript --association-name fmt-assoc -t all \
  -p commands='echo assoc' --schedule-expression 'rate(30 minutes)' | jq -r .AssociationDescription.AssociationId)
check_match "an association" '^[0-9a-f-]{36}$' "$ASSOC"
s tick >/dev/null 2>&1
AEXEC=$(s -o json associations executions "$ASSOC" | jq -r '.AssociationExecutions[0].ExecutionId')
WIN=$(s -o json windows create --name fmt-window --schedule 'cron(0 10 15 3 ? 2030)' --duration 2 --cutoff 1 | jq -r .WindowId)
WT=$(s -o json windows register-targets "$WIN" -t all | jq -r .WindowTargetId)
s windows register-task "$WIN" --task-arn AWS-RunShellScript --targets "Key=WindowTargetIds,Values=$WT" \
  --max-concurrency 1 --max-errors 0 --parameters 'commands=echo win' >/dev/null
SSHM_TEST_NOW=2030-03-15T10:00:30Z s tick >/dev/null 2>&1
WEXEC=$(s -o json windows executions "$WIN" | jq -r '.WindowExecutions[0].WindowExecutionId')
WTASK=$(s -o json windows execution-tasks "$WEXEC" | jq -r '.WindowExecutionTaskIdentities[0].TaskExecutionId')
check_match "a window execution" '^[0-9a-f-]{36}$' "$WEXEC"
cat >"$work/assoc.yaml" <<'YAML'
associations:
  - AssociationName: fmt-applied
    Name: AWS-RunShellScript
    Targets: ["all"]
    Parameters: {commands: ["echo applied"]}
    ScheduleExpression: rate(1 day)
YAML
s session web-001 --document AWS-StartNonInteractiveCommand -p command='echo hi' </dev/null >/dev/null 2>&1
SID=$(s -o json sessions list | jq -r '.Sessions[0].SessionId')
check_match "a session" '^[a-z0-9_.-]+-[0-9a-f]{17}$' "$SID"
HOST=web-001
mkdir -p "$work/fmtpkg/src" && echo 'echo installed' >"$work/fmtpkg/src/install.sh" && echo : >"$work/fmtpkg/src/uninstall.sh"
tar -czf "$work/fmtpkg/fmt.tar.gz" -C "$work/fmtpkg/src" . && rm -rf "$work/fmtpkg/src"
printf '{"schemaVersion": "2.0", "version": "1.0", "packages": {"_any": {"_any": {"_any": {"file": "fmt.tar.gz"}}}}, "files": {"fmt.tar.gz": {"checksums": {"sha256": "%s"}}}}\n' \
  "$(sha256sum "$work/fmtpkg/fmt.tar.gz" | cut -d' ' -f1)" >"$work/fmtpkg/manifest.json"
s packages create "$work/fmtpkg" >/dev/null
check_eq "a package" 0 "$?"

# What each subcommand is run with. @F@ is the format (for names that must differ per run).
declare -A CASE=(
  ["hosts list"]="-t all"
  ["hosts keys"]="-t all"
  ["hosts show"]="$HOST"
  ["ping"]="-t all"
  ["outputs flush"]=""
  ["outputs list"]=""
  ["run"]="AWS-RunShellScript -p commands=uptime -t all"
  ["exec"]="'echo hi' -t all"
  ["report"]="$work/report-@F@.md"
  ["sessions list"]=""
  ["sessions show"]="$SID"
  ["commands list"]=""
  ["commands show"]="$ID"
  ["commands resume"]="$ID"
  ["commands invocations"]="$ID"
  ["commands get-invocation"]="$ID $HOST"
  ["documents list"]=""
  ["documents show"]="AWS-RunShellScript"
  ["documents validate"]="$SSHM_SOURCE_DIR/documents/AWS-RunShellScript.json"
  ["patch compliance"]="-t all"
  ["patch baselines list"]=""
  ["patch baselines show"]="AWS-DebianDefaultPatchBaseline"
  ["inventory collect"]="-t $HOST"
  ["inventory show"]="$HOST"
  ["inventory query"]="'AWS:Application.Name = bash'"
  ["inventory diff"]="$HOST"
  ["inventory export"]="$work/export-@F@"
  ["schedule next"]="'rate(5 minutes)'"
  ["params put-parameter"]="--name /fmt/@F@ --value x --type String"
  ["params get-parameter"]="--name /fmt/base"
  ["params get-parameters"]="--names /fmt/base /fmt/missing"
  ["params get-parameters-by-path"]="--path /fmt"
  ["params get-parameter-history"]="--name /fmt/base"
  ["params describe-parameters"]=""
  ["params label-parameter-version"]="--name /fmt/base --labels l@F@"
  ["params unlabel-parameter-version"]="--name /fmt/base --parameter-version 1 --labels l@F@"
  ["params delete-parameter"]="--name /fmt/@F@"
  ["params delete-parameters"]="--names /fmt/none-@F@"
  ["params check"]=""
  ["compliance summary"]=""
  ["compliance list"]=""
  ["compliance put"]="--resource-id $HOST --compliance-type Custom:Fmt --item Id=a,Severity=LOW,Status=COMPLIANT"
  ["associations create"]="--name AWS-RunShellScript --association-name fmt-@F@ -t all -p commands=x --schedule-expression 'rate(1 day)'"
  ["associations update"]="fmt-@F@ --schedule-expression 'rate(2 days)'"
  ["associations list"]=""
  ["associations describe"]="$ASSOC"
  ["associations start-once"]="fmt-@F@"
  ["associations executions"]="$ASSOC"
  ["associations execution-targets"]="$ASSOC $AEXEC"
  ["associations apply"]="-f $work/assoc.yaml --dry-run"
  ["associations delete"]="fmt-@F@"
  ["windows create"]="--name w-@F@ --schedule 'rate(1 day)' --duration 2 --cutoff 1"
  ["windows update"]="w-@F@ --description d"
  ["windows get"]="$WIN"
  ["windows list"]=""
  ["windows register-targets"]="w-@F@ -t all"
  ["windows targets"]="$WIN"
  ["windows register-task"]="$WIN --task-arn AWS-RunShellScript --targets Key=WindowTargetIds,Values=$WT --max-concurrency 1 --max-errors 0 --parameters commands=x"
  ["windows tasks"]="$WIN"
  ["windows executions"]="$WIN"
  ["windows execution-tasks"]="$WEXEC"
  ["windows task-invocations"]="$WEXEC $WTASK"
  ["windows delete"]="w-@F@"
  ["packages create"]="$work/fmtpkg --name fmtpkg-@F@"
  ["packages list"]=""
  ["packages describe"]="fmtpkg"
  ["packages status"]="-t all"
  ["packages delete"]="fmtpkg-@F@"
)
# Subcommands that print no data, and why.
declare -A EXEMPT=(
  ["help"]="prose for people"
  ["commands output"]="a host's output bytes, exactly as they came"
  ["patch scan"]="needs a Debian root: its -o json is checked in test_patch_apt.sh"
  ["patch install"]="needs a Debian root: its -o json is checked in test_patch_apt.sh"
  ["params rotate-key"]="re-encrypts the local store; a one-line report, checked in test_params_cli.sh"
  ["windows deregister-targets"]="its -o json is checked in test_windows.sh"
  ["windows deregister-task"]="its -o json is checked in test_windows.sh"
  ["scheduler run"]="runs ticks in the foreground until stopped"
  ["completion"]="prints a shell script (checked in test_shell.sh)"
  ["session"]="a terminal session: the host's bytes (checked in test_session.sh)"
  ["sessions replay"]="a transcript's bytes, replayed at its pace (checked in test_session.sh)"
  ["scheduler install"]="prints a crontab line or systemd units: their own formats"
  ["tick"]="a cron job: its log goes to stderr or --log, nothing to stdout (test_associations.sh, test_windows.sh)"
  ["params copy"]="needs two stores (local and AWS): checked in test_params_aws.sh"
  ["windows cancel-execution"]="needs a running execution: checked in test_windows.sh"
  ["commands import"]="needs shard records in S3 (moto): its -o json is checked in test_shards.sh"
)

case_begin "every subcommand has a case or a reason"
mapfile -t all < <(leaves)
check_eq "the CLI lists its subcommands" yes "$([ "${#all[@]}" -gt 40 ] && echo yes || echo "no: ${#all[@]}")"
for path in "${all[@]}"; do
  [ -n "${CASE[$path]+x}" ] || [ -n "${EXEMPT[$path]+x}" ] || check_eq "'sshm $path' has a case in $0" yes no
done

# Subcommands whose text output is the data itself, as written (a document, a baseline).
declare -A TEXT_IS_DATA=(["documents show"]=1 ["patch baselines show"]=1)

# check_format PATH FORMAT FILE: what FILE holds is FORMAT.
check_format() {
  local path=$1 format=$2 file=$3 bad
  case $format in
    json) bad=$(jq -e -s 'length == 1' "$file" >/dev/null 2>&1 && echo || echo "not one JSON document") ;;
    jsonl) bad=$(python3 -c 'import json,sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if not isinstance(json.loads(line), dict): sys.exit(f"line {n} is not an object")' "$file" 2>&1) ;;
    # JSON is YAML too: pretty JSON (several lines starting with { or [) is not what -o yaml means.
    yaml) bad=$(python3 -c 'import yaml,sys
text = open(sys.argv[1], encoding="utf-8").read()
yaml.safe_load(text)
if text.lstrip()[:1] in ("{", "[") and text.strip().count("\n") > 0: sys.exit("JSON, not block YAML")' "$file" 2>&1 | tail -1) ;;
    text) bad=$( [ -z "${TEXT_IS_DATA[$path]+x}" ] && [ -s "$file" ] && jq -e -s 'length == 1 and (.[0] | type == "object" or type == "array")' "$file" >/dev/null 2>&1 &&
                 echo "text output is JSON") ;;
  esac
  check_eq "sshm -o $format $path" "" "$bad"
}

# Each format on its own (the names a format creates carry its name), the four at once.
format_case() {
  local format=$1 path args rc out=$work/out-$1 err=$work/err-$1
  case_begin "-o $format"
  # Deletions last, so the other verbs still find what they work on.
  for path in $(printf '%s\n' "${all[@]}" | grep -v delete | tr ' ' '+') $(printf '%s\n' "${all[@]}" | grep delete | tr ' ' '+'); do
    path=${path//+/ }
    [ -n "${CASE[$path]+x}" ] || continue
    args=${CASE[$path]//@F@/$format}
    eval "s -o $format $path $args" >"$out" 2>"$err"
    rc=$?
    # 0 success, 1 a failed invocation or NON_COMPLIANT: both print their result.
    if [ "$rc" -gt 1 ]; then
      check_eq "sshm -o $format $path exits 0 or 1 ($(head -c 300 "$err"))" "0 or 1" "$rc"
      continue
    fi
    check_format "$path" "$format" "$out"
  done
}
check_parallel "format_case json" "format_case jsonl" "format_case yaml" "format_case text"

case_begin "colour: --color always paints failed hosts and statuses; NO_COLOR and pipes stay plain"
s --color always exec 'exit 3' -t "$HOST" >/dev/null 2>"$work/colour.err"
check_eq "the failed host in red" yes "$(grep -q $'\033\[31m'"$HOST" "$work/colour.err" && echo yes || echo no)"
s exec 'exit 3' -t "$HOST" >/dev/null 2>"$work/plain.err"
check_eq "no escape in a pipe (auto)" no "$(grep -q $'\033' "$work/plain.err" && echo yes || echo no)"
NO_COLOR=1 s exec 'exit 3' -t "$HOST" >/dev/null 2>"$work/nocolor.err"
check_eq "NO_COLOR: plain" no "$(grep -q $'\033' "$work/nocolor.err" && echo yes || echo no)"
s --color purple exec 'true' -t "$HOST" >/dev/null 2>&1
check_eq "--color purple exits 2" 2 "$?"

case_begin "progress on a terminal: redrawn while hosts run, naming the ones still running"
if command -v tmux >/dev/null; then
  sock=sshm-fmt-$$
  tmux -L "$sock" new-session -d -x 200 -y 10 \
    "env SSH_AUTH_SOCK= '$SSHM' -i '$FLEET_INVENTORY' -F '$FLEET_SSH_CONFIG' exec 'sleep 30' -t all; sleep 60"
  seen=""
  for _ in $(seq 1 100); do
    seen=$(tmux -L "$sock" capture-pane -p 2>/dev/null | grep -o 'running: web-00[12] [0-9]*s.*' | head -1)
    # Two redraws with different elapsed times prove the timer (no host finished in between).
    case $seen in *"running: web-00"*" "[2-9]s*) break ;; esac
    sleep 0.5
  done
  tmux -L "$sock" send-keys C-c 2>/dev/null
  tmux -L "$sock" kill-server 2>/dev/null
  check_match "the line names a running host and counts its seconds" 'running: web-00[12] [2-9]s' "$seen"
else
  check_eq "tmux is installed (tests/run.sh installs it)" yes no
fi

checks_done
