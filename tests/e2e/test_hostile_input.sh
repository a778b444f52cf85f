#!/usr/bin/env bash
# Hostile input files and values: names that try to leave the state dir, JSON nested
# 100,000 deep, a YAML alias bomb, a 30,000-character parameter value and a pattern with
# catastrophic backtracking. Each is refused with exit 2 and a message naming the limit,
# nothing is written outside the state dir, and a refused value is never echoed. Then a real
# run on one loopback host checks that outputs are private (0600 files in 0700 dirs).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/fleet.sh"
source "$here/lib/check.sh"
: "${SSHM:?set SSHM to the sshm binary}"

fleet_init
fleet_add_hosts 1 web
fleet_write_files
work=$FLEET_DIR/work
mkdir -p "$work"
export XDG_CONFIG_HOME=$work/config SSHM_STATE_DIR=$work/state
# Far more '..' than the state dir is deep: the path ends at $work/escape wherever it starts.
climb=$(printf '../%.0s' $(seq 1 40))
escape=$work/escape

case_begin "an inventory host named like a path is refused"
cat >"$work/trav.yaml" <<EOF
hosts:
  ${climb}${escape#/}/trav:
    address: 127.0.0.1
EOF
err=$("$SSHM" -i "$work/trav.yaml" hosts list 2>&1 >/dev/null)
check "hosts list exits 2" 2 "$?"
check_contains "the message names the file and line" "$work/trav.yaml:2:3: host name '" "$err"
check_contains "the message says why" "is not valid: it may not contain '/'" "$err"
"$SSHM" -i "$work/trav.yaml" -F "$FLEET_SSH_CONFIG" exec 'echo hi' -t all --no-progress >/dev/null 2>&1
check "exec with it exits 2" 2 "$?"
check "nothing was written outside the state dir" "no" "$([ -e "$escape" ] && echo yes || echo no)"

case_begin "an Ansible INI host named '..' is refused"
printf '[web]\n.. ansible_host=127.0.0.1\n' >"$work/dots.ini"
err=$("$SSHM" -i "$work/dots.ini" hosts list 2>&1 >/dev/null)
check "hosts list exits 2" 2 "$?"
check_contains "the message says why" "host name '..' is not valid: it may not be '.' or '..'" "$err"

case_begin "a step named like a path is refused by validate and by run"
cat >"$work/stepdir.yaml" <<EOF
schemaVersion: "2.2"
description: traversal
mainSteps:
  - action: aws:runShellScript
    name: ${climb}${escape#/}/stepdir
    inputs: {runCommand: [echo hi]}
EOF
err=$("$SSHM" documents validate "$work/stepdir.yaml" 2>&1)
check "documents validate exits 2" 2 "$?"
check_contains "validate points at the name" "$work/stepdir.yaml:5:5: step name '" "$err"
check_not_contains "validate does not call it valid" "valid" "${err//is not valid/}"
fleet_sshm run "$work/stepdir.yaml" -t all --no-progress >/dev/null 2>&1
check "run exits 2" 2 "$?"
check "nothing was written outside the state dir" "no" "$([ -e "$escape" ] && echo yes || echo no)"

case_begin "JSON nested 100,000 deep is refused at the limit"
python3 -c 'print("{\"schemaVersion\": \"2.2\", \"mainSteps\": " + "[" * 100000)' >"$work/deep.json"
start=$(date +%s)
err=$("$SSHM" documents validate "$work/deep.json" 2>&1)
check "documents validate exits 2" 2 "$?"
echo "  (took $(($(date +%s) - start)) s)"
check_contains "the message names the file, position and limit" "$work/deep.json:1:166: nested deeper than the limit of 128 levels" "$err"
err=$(fleet_sshm run "$work/deep.json" -t all --dry-run 2>&1)
check "run --dry-run exits 2" 2 "$?"
check_contains "run says the same" "nested deeper than the limit of 128 levels" "$err"

case_begin "a YAML alias bomb is refused as an inventory, a document and a baseline"
python3 - "$work/bomb.yaml" <<'EOF'
import sys
lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 9):
    p = "*a%d" % (i - 1)
    lines.append("a%d: &a%d [%s]" % (i, i, ",".join([p] * 10)))
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
start=$(date +%s)
err=$("$SSHM" -i "$work/bomb.yaml" hosts list 2>&1 >/dev/null)
check "hosts list exits 2" 2 "$?"
echo "  (took $(($(date +%s) - start)) s)"
check_contains "the message names the file and the limit" "$work/bomb.yaml:" "$err"
check_contains "the message says which limit" "more than the limit of 1000000 nodes" "$err"
err=$("$SSHM" documents validate "$work/bomb.yaml" 2>&1)
check "documents validate exits 2" 2 "$?"
check_contains "validate names the limit" "more than the limit of 1000000 nodes" "$err"
printf 'r: &r [1, *r]\n' >"$work/recursive.yaml"
err=$("$SSHM" -i "$work/recursive.yaml" hosts list 2>&1 >/dev/null)
check "a recursive alias exits 2" 2 "$?"
check_contains "and says so" "$work/recursive.yaml:1:11: an alias refers to a node that contains it" "$err"

case_begin "a 30,000-character value against an allowedPattern, built-in document, --dry-run"
long=$(printf '9%.0s' $(seq 1 30000))
err=$(fleet_sshm run AWS-RunShellScript -p commands=true -p "executionTimeout=$long" -t all --dry-run 2>&1)
check "exits 2" 2 "$?"
check_contains "says the value does not match" "parameter 'executionTimeout': value does not match allowedPattern '" "$err"
check_not_contains "does not echo the value" "99999999" "$err"

case_begin "^(a+)+\$ with a 31-character value"
cat >"$work/redos.yaml" <<'EOF'
schemaVersion: "2.2"
description: catastrophic backtracking in a backtracking engine
parameters:
  secret: {type: String, allowedPattern: "^(a+)+$"}
mainSteps:
  - action: aws:runShellScript
    name: show
    inputs: {runCommand: ["echo {{ secret }}"]}
EOF
start=$(date +%s)
err=$(fleet_sshm run "$work/redos.yaml" -p secret=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! -t all --dry-run 2>&1)
check "exits 2" 2 "$?"
echo "  (took $(($(date +%s) - start)) s)"
check_contains "says the value does not match" "parameter 'secret': value does not match allowedPattern '^(a+)+\$'" "$err"
check_not_contains "does not echo the value" "aaaaaaaaaa" "$err"
fleet_sshm run "$work/redos.yaml" -p secret=aaaa -t all --dry-run >/dev/null 2>&1
check "a matching value passes" 0 "$?"
printf 'schemaVersion: "2.2"\nparameters:\n  p: {type: String, allowedPattern: "(unclosed"}\nmainSteps:\n  - {action: "aws:runShellScript", name: s, inputs: {runCommand: ["true"]}}\n' >"$work/badpattern.yaml"
err=$("$SSHM" documents validate "$work/badpattern.yaml" 2>&1)
check "an invalid pattern exits 2" 2 "$?"
check_contains "and is a located document error" "$work/badpattern.yaml:3:" "$err"
check_contains "naming the pattern" "allowedPattern '(unclosed' is not a valid regular expression" "$err"

case_begin "outputs are private: 0600 files in 0700 dirs, in the state dir and --output-dir"
umask 022
fleet_sshm exec 'echo out; echo err >&2' -t all --no-progress --output-dir "$work/out" >/dev/null 2>&1
check "exec exits 0" 0 "$?"
files=$(find "$SSHM_STATE_DIR" "$work/out" -type f \( -name stdout -o -name stderr \) | wc -l)
check "four output files (stdout and stderr, twice)" 4 "$files"
check "every output file is 0600" "" "$(find "$SSHM_STATE_DIR" "$work/out" -type f \( -name stdout -o -name stderr \) ! -perm 600)"
dirs=$(find "$work/out" -mindepth 1 -type d ! -perm 700; find "$SSHM_STATE_DIR" -path '*/outputs/*' -type d ! -perm 700)
check "every directory below the output roots is 0700" "" "$dirs"

case_begin "an error message quoting what was typed never carries its control bytes"
err=$(fleet_sshm exec true -t $'web\e]0;owned\a\e[2J' --no-progress 2>&1 >/dev/null)
check "an unknown target exits 2" 2 "$?"
check "no ESC or BEL reaches the terminal" 0 "$(printf '%s' "$err" | tr -cd '\033\007' | wc -c)"
check_contains "the name is shown escaped" 'web\x1b]0;owned\x07\x1b[2J' "$err"
err=$("$SSHM" packages create "$work" --name $'pk\e[31mg' 2>&1 >/dev/null)
check "a bad package name exits 2" 2 "$?"
check_contains "and is shown escaped" 'pk\x1b[31mg' "$err"

checks_done
