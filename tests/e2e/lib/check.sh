# shellcheck shell=bash
# Named cases and expectations for e2e suites: each failed expectation prints what was
# expected and what came; the suite goes on and the final call exits 1 if any failed.
#
#   case_begin "name"               starts a named case
#   check WHAT EXPECTED ACTUAL      expects equality (check_eq is the same)
#   check_contains WHAT NEEDLE HAYSTACK / check_not_contains
#   check_le WHAT LIMIT ACTUAL      expects ACTUAL <= LIMIT (integers)
#   check_match WHAT ERE HAYSTACK   expects HAYSTACK to match the extended regex ERE (bash =~)
#   check_same_file WHAT EXPECTED_FILE ACTUAL_FILE  expects the two files byte for byte equal
#   check_parallel CMD...           runs each CMD (a function call, as one string) at once, for
#                                   cases that share nothing; prints their outputs in order
#   checks_done                     prints the tally and exits 0 or 1
#   json_get FILE|- PYTHON_EXPR     reads JSON (as `d`) and prints the expression

CHECK_FAILURES=0
CHECK_PASSED=0
CHECK_CASE=""

case_begin() {
  CHECK_CASE=$1
  echo "== $CHECK_CASE"
}

_check_result() {
  local ok=$1 what=$2 expected=${3:-} actual=${4:-}
  if [ "$ok" = 1 ]; then
    echo "  ok   $what"
    CHECK_PASSED=$((CHECK_PASSED + 1))
  else
    echo "  FAIL $what [$CHECK_CASE]"
    echo "       expected: $expected"
    echo "       actual:   ${actual:0:2000}"
    CHECK_FAILURES=$((CHECK_FAILURES + 1))
  fi
}

check() {
  if [ "$2" == "$3" ]; then _check_result 1 "$1"; else _check_result 0 "$1" "$2" "$3"; fi
}
check_eq() { check "$@"; }

check_contains() {
  if [[ "$3" == *"$2"* ]]; then _check_result 1 "$1"; else _check_result 0 "$1" "to contain: $2" "$3"; fi
}

check_not_contains() {
  if [[ "$3" != *"$2"* ]]; then _check_result 1 "$1"; else _check_result 0 "$1" "not to contain: $2" "$3"; fi
}

check_le() {
  if [ "$3" -le "$2" ] 2>/dev/null; then _check_result 1 "$1"; else _check_result 0 "$1" "<= $2" "$3"; fi
}

check_match() {
  if [[ "$3" =~ $2 ]]; then _check_result 1 "$1"; else _check_result 0 "$1" "to match: $2" "$3"; fi
}

check_same_file() {
  if cmp -s "$2" "$3"; then _check_result 1 "$1"; else
    _check_result 0 "$1" "the bytes of $2 ($(wc -c 2>/dev/null <"$2" || echo missing) bytes)" \
      "$3 differs ($(wc -c 2>/dev/null <"$3" || echo missing) bytes)"
  fi
}

check_parallel() {
  local dir i=0 n cmd passed failed cmds=("$@") pids=()
  dir=$(mktemp -d /tmp/sshm-check.XXXXXX)
  for cmd in "$@"; do
    ( CHECK_PASSED=0 CHECK_FAILURES=0
      eval "$cmd"
      echo "$CHECK_PASSED $CHECK_FAILURES" >"$dir/$i.tally" ) >"$dir/$i.out" 2>&1 &
    pids+=($!)
    i=$((i + 1))
  done
  # Only these: a bare wait would also wait for the suite's servers.
  wait "${pids[@]}"
  for ((n = 0; n < i; n++)); do
    cat "$dir/$n.out"
    if read -r passed failed <"$dir/$n.tally" 2>/dev/null; then
      CHECK_PASSED=$((CHECK_PASSED + passed))
      CHECK_FAILURES=$((CHECK_FAILURES + failed))
    else
      CHECK_CASE="parallel: $n"
      _check_result 0 "'${cmds[n]}' ended with its tally" "a tally" "none (it exited early)"
    fi
  done
  rm -rf "$dir"
}

checks_done() {
  echo "$CHECK_PASSED passed, $CHECK_FAILURES failed"
  [ "$CHECK_FAILURES" -eq 0 ] && exit 0
  exit 1
}

json_get() {
  python3 -c 'import json,sys
src = sys.argv[1]
d = json.load(sys.stdin if src == "-" else open(src))
r = eval(sys.argv[2])
print(r if not isinstance(r, (dict, list)) else json.dumps(r, sort_keys=True))' "$1" "$2"
}
