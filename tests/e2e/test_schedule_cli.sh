#!/usr/bin/env bash
# sshm schedule next: fire times a user sees, JSON output, and exit 2 with SSM's wording for
# every expression, time zone or offset SSM would refuse. No hosts needed.
set -u
: "${SSHM:?set SSHM to the sshm binary}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/check.sh
. "$here/lib/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"

# run ARGS...: sets out, err and rc.
run() {
  out=$("$SSHM" "$@" 2>"$work/err"); rc=$?
  err=$(cat "$work/err")
}

case_begin "third Thursday of the month"
run schedule next 'cron(0 2 ? * THU#3 *)' --from 2026-01-01T00:00:00Z --count 3
check "exits 0" 0 "$rc"
check "three fire times, one per line, ISO 8601 with offset" \
  "2026-01-15T02:00:00+00:00
2026-02-19T02:00:00+00:00
2026-03-19T02:00:00+00:00" "$out"
check "nothing on stderr" "" "$err"

case_begin "last day of the month and last Friday"
run schedule next 'cron(0 0 L * ? *)' --from 2026-01-01T00:00:00Z --count 2
check "L in Day-of-month" "2026-01-31T00:00:00+00:00
2026-02-28T00:00:00+00:00" "$out"
run schedule next 'cron(0 9 ? * 6L *)' --from 2026-01-01T00:00:00Z --count 2
check "6L in Day-of-week" "2026-01-30T09:00:00+00:00
2026-02-27T09:00:00+00:00" "$out"

case_begin "ScheduleTimezone and DST"
run schedule next 'cron(30 2 * * ? *)' --timezone America/New_York --from 2026-03-07T12:00:00Z --count 2
check "02:30 skipped by spring-forward fires at 03:00 EDT" "2026-03-08T03:00:00-04:00
2026-03-09T02:30:00-04:00" "$out"
run schedule next 'cron(30 1 * * ? *)' --timezone Europe/London --from 2026-10-24T12:00:00Z --count 2
check "01:30 repeated by fall-back fires once, in BST" "2026-10-25T01:30:00+01:00
2026-10-26T01:30:00+00:00" "$out"
run schedule next 'cron(0 9 ? * WED *)' --timezone America/Los_Angeles --from 2021-01-01T00:00:00 --count 1
check "--from without an offset is wall-clock time in --timezone" "2021-01-06T09:00:00-08:00" "$out"

case_begin "rate, at and ScheduleOffset"
run schedule next 'rate(30 minutes)' --kind association --from 2026-01-01T00:00:00Z --count 2
check "rate(30 minutes) for an association" "2026-01-01T00:30:00+00:00
2026-01-01T01:00:00+00:00" "$out"
run schedule next 'at(2026-07-07T13:15:30)' --from 2026-01-01T00:00:00Z
check "at() fires once" "2026-07-07T13:15:30+00:00" "$out"
run schedule next 'at(2020-07-07T13:15:30)' --from 2026-01-01T00:00:00Z
check "at() in the past: exit 0, no times" "0:" "$rc:$out"
run schedule next 'cron(30 23 ? * TUE#3 *)' --offset 2 --from 2026-01-01T00:00:00Z --count 1
check "--offset 2 runs two days after the third Tuesday" "2026-01-22T23:30:00+00:00" "$out"

case_begin "JSON output"
run -o json schedule next 'cron(0 2 ? * THU#3 *)' --timezone Asia/Tokyo --from 2026-01-01T00:00:00Z --count 2
check "exits 0" 0 "$rc"
check "an object with the times in a list" \
  '["2026-01-15T02:00:00+09:00", "2026-02-19T02:00:00+09:00"] Asia/Tokyo window' \
  "$(json_get - 'json.dumps(d["NextExecutionTimes"]) + " " + d["ScheduleTimezone"] + " " + d["Kind"]' <<<"$out")"

case_begin "rejected expressions exit 2 with SSM's wording"
run schedule next 'rate(1 hours)'
check "rate(1 hours) exits 2" 2 "$rc"
check "rate(1 hours) message" \
  "sshm: error: Schedule expression is not a valid rate expression. rate(1 hours): a value of 1 takes the singular unit 'hour'." "$err"
check "nothing on stdout" "" "$out"
run schedule next 'rate(2 hour)'
check "rate(2 hour) exits 2" 2 "$rc"
run schedule next 'rate(10 minutes)' --kind association
check "rate(10 minutes) for an association exits 2" 2 "$rc"
check_contains "association rate limits" "associations only support rate expressions of 30 minutes or greater and less than 31 days." "$err"
run schedule next 'rate(10 minutes)' --kind window --from 2026-01-01T00:00:00Z --count 1
check "rate(10 minutes) for a window is fine" "0:2026-01-01T00:10:00+00:00" "$rc:$out"
run schedule next 'cron(0 2 ? * ? *)'
check "both days '?' exits 2" 2 "$rc"
check "both days '?' message" \
  "sshm: error: Cron expression cron(0 2 ? * ? *) is invalid: exactly one of Day-of-month and Day-of-week must be '?'." "$err"
run schedule next 'cron(0 2 1 3 ? *)' --kind association
check "months in an association exit 2" 2 "$rc"
check_contains "months message" "State Manager doesn't support specifying months in cron expressions for associations." "$err"
run schedule next 'every(5 minutes)'
check "unknown type exits 2" "2:sshm: error: Unknown expression type detected in expression every(5 minutes)" "$rc:$err"
run schedule next 'cron(0 2 ? * THU#3 *)' --timezone America/New_Yrok
check "unknown time zone exits 2" 2 "$rc"
check_contains "unknown time zone suggests" "(did you mean 'America/New_York'?)" "$err"
run schedule next 'cron(0 2 ? * THU#3 *)' --offset 7
check "offset 7 exits 2" 2 "$rc"
check_contains "offset message" "Member must have value less than or equal to 6" "$err"
run schedule next 'rate(1 day)' --offset 2
check "offset with rate exits 2" "2:sshm: error: ScheduleOffset is supported for cron expressions only, not rate(1 day)" "$rc:$err"
run schedule next 'cron(0 2 ? * THU#3 *)' --from tomorrow
check "bad --from exits 2" 2 "$rc"
run schedule next 'cron(0 2 ? * THU#3 *)' --kind fleet
check "bad --kind exits 2" 2 "$rc"

checks_done
