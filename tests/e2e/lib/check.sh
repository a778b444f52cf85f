# shellcheck shell=bash
# Named cases and expectations for e2e suites: each prints expected vs actual on failure.
#   case_begin "name"; check "what" EXPECTED ACTUAL; check_contains "what" NEEDLE HAYSTACK
#   checks_done   (at the end: exit 0 if all passed, 1 otherwise)

CHECK_FAILURES=0
CHECK_CASE=""

case_begin() {
  CHECK_CASE=$1
  echo "== $CHECK_CASE"
}

check() {
  local what=$1 expected=$2 actual=$3
  if [ "$expected" == "$actual" ]; then
    echo "  ok   $what"
  else
    echo "  FAIL $what [$CHECK_CASE]"
    echo "       expected: $expected"
    echo "       actual:   $actual"
    CHECK_FAILURES=$((CHECK_FAILURES + 1))
  fi
}

check_contains() {
  local what=$1 needle=$2 haystack=$3
  if [[ "$haystack" == *"$needle"* ]]; then
    echo "  ok   $what"
  else
    echo "  FAIL $what [$CHECK_CASE]"
    echo "       expected to contain: $needle"
    echo "       actual:              $haystack"
    CHECK_FAILURES=$((CHECK_FAILURES + 1))
  fi
}

checks_done() {
  if [ "$CHECK_FAILURES" -eq 0 ]; then
    echo "all checks passed"
    exit 0
  fi
  echo "$CHECK_FAILURES check(s) failed"
  exit 1
}
