# shellcheck shell=bash
# Named cases and expectations for e2e suites: each failed expectation prints what was
# expected and what came, the suite goes on, and check_done exits 1 if any failed.
#
#   case_begin "name"             starts a named case
#   check_eq WHAT EXPECTED ACTUAL expects equality
#   check_contains WHAT NEEDLE HAYSTACK
#   check_not_contains WHAT NEEDLE HAYSTACK
#   check_le WHAT LIMIT ACTUAL    expects ACTUAL <= LIMIT (integers)
#   check_done                    prints the tally, exits 0 or 1

CHECK_FAILED=0
CHECK_PASSED=0
CHECK_CASE=""

case_begin() {
  CHECK_CASE=$1
  echo "--- case: $1"
}

_check_fail() {
  CHECK_FAILED=$((CHECK_FAILED + 1))
  echo "FAIL [$CHECK_CASE] $1"
  printf '  expected: %s\n  actual:   %s\n' "$2" "$3"
}

check_eq() {
  if [ "$2" == "$3" ]; then CHECK_PASSED=$((CHECK_PASSED + 1)); else _check_fail "$1" "$2" "$3"; fi
}

check_contains() {
  if [[ "$3" == *"$2"* ]]; then CHECK_PASSED=$((CHECK_PASSED + 1)); else _check_fail "$1" "to contain '$2'" "${3:0:2000}"; fi
}

check_not_contains() {
  if [[ "$3" != *"$2"* ]]; then CHECK_PASSED=$((CHECK_PASSED + 1)); else _check_fail "$1" "not to contain '$2'" "${3:0:2000}"; fi
}

check_le() {
  if [ "$3" -le "$2" ] 2>/dev/null; then CHECK_PASSED=$((CHECK_PASSED + 1)); else _check_fail "$1" "<= $2" "$3"; fi
}

check_done() {
  echo "=== $CHECK_PASSED passed, $CHECK_FAILED failed"
  [ "$CHECK_FAILED" -eq 0 ]
}

# jq-free JSON access: json_get FILE_OR_- PYTHON_EXPR (the parsed JSON is `d`).
json_get() {
  python3 -c 'import json,sys
src = sys.argv[1]
d = json.load(sys.stdin if src == "-" else open(src))
r = eval(sys.argv[2])
print(r if not isinstance(r, (dict, list)) else json.dumps(r, sort_keys=True))' "$1" "$2"
}
