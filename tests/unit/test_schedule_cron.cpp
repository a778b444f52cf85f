// SSM cron expressions: next fire times from a fixed start, in UTC and across DST changes.
#include "schedule/schedule.hpp"

#include <doctest/doctest.h>

using namespace sshm::schedule;

namespace {

// The next `count` fire times of `expression` after `from`, formatted in `zone`.
std::vector<std::string> fires(const std::string& expression, const std::string& from, const std::string& zone = "UTC",
                               int count = 3, Kind kind = Kind::window, int offset = 0) {
  auto schedule = parse(expression, kind);
  REQUIRE_MESSAGE(schedule.has_value(), expression << ": " << schedule.error().message);
  auto tz = find_time_zone(zone);
  REQUIRE(tz.has_value());
  auto start = parse_time(from, *tz);
  REQUIRE(start.has_value());
  std::vector<std::string> out;
  for (auto t : next_times(*schedule, *start, *tz, offset, count)) out.push_back(format_local(t, *tz));
  return out;
}

using Times = std::vector<std::string>;

} // namespace

TEST_CASE("SSM's documented examples fire when the documentation says") {
  struct Row {
    const char* expression;
    Times expected;
  };
  // From Thursday 2026-01-01T00:00:00Z.
  const Row rows[] = {
      // 02:00 AM the third Thursday of every month.
      {"cron(0 2 ? * THU#3 *)", {"2026-01-15T02:00:00+00:00", "2026-02-19T02:00:00+00:00", "2026-03-19T02:00:00+00:00"}},
      // Midnight on the last day of every month.
      {"cron(0 0 L * ? *)", {"2026-01-31T00:00:00+00:00", "2026-02-28T00:00:00+00:00", "2026-03-31T00:00:00+00:00"}},
      {"cron(0 2 L * ? *)", {"2026-01-31T02:00:00+00:00", "2026-02-28T02:00:00+00:00", "2026-03-31T02:00:00+00:00"}},
      // 09:00 on the last Friday of every month.
      {"cron(0 9 ? * 6L *)", {"2026-01-30T09:00:00+00:00", "2026-02-27T09:00:00+00:00", "2026-03-27T09:00:00+00:00"}},
      {"cron(15 10 ? * 6L *)", {"2026-01-30T10:15:00+00:00", "2026-02-27T10:15:00+00:00", "2026-03-27T10:15:00+00:00"}},
      {"cron(15 10 ? * MON-FRI *)", {"2026-01-01T10:15:00+00:00", "2026-01-02T10:15:00+00:00", "2026-01-05T10:15:00+00:00"}},
      {"cron(15 10 ? * * *)", {"2026-01-01T10:15:00+00:00", "2026-01-02T10:15:00+00:00", "2026-01-03T10:15:00+00:00"}},
      {"cron(0 10 * * ? *)", {"2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00", "2026-01-03T10:00:00+00:00"}},
      {"cron(0 8 1 * ? *)", {"2026-01-01T08:00:00+00:00", "2026-02-01T08:00:00+00:00", "2026-03-01T08:00:00+00:00"}},
      {"cron(0/15 * * * ? *)", {"2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00", "2026-01-01T00:45:00+00:00"}},
      {"cron(0/5 8-17 ? * MON-FRI *)", {"2026-01-01T08:00:00+00:00", "2026-01-01T08:05:00+00:00", "2026-01-01T08:10:00+00:00"}},
      // 7 fields: 09:30:24 every day.
      {"cron(24 30 09 ? * * *)", {"2026-01-01T09:30:24+00:00", "2026-01-02T09:30:24+00:00", "2026-01-03T09:30:24+00:00"}},
      {"cron(0 30 23 ? * TUE#3 *)", {"2026-01-20T23:30:00+00:00", "2026-02-17T23:30:00+00:00", "2026-03-17T23:30:00+00:00"}},
      // The weekday nearest the 15th (Feb 15 and Mar 15 2026 are Sundays) and the last weekday.
      {"cron(0 8 15W * ? *)", {"2026-01-15T08:00:00+00:00", "2026-02-16T08:00:00+00:00", "2026-03-16T08:00:00+00:00"}},
      {"cron(0 8 LW * ? *)", {"2026-01-30T08:00:00+00:00", "2026-02-27T08:00:00+00:00", "2026-03-31T08:00:00+00:00"}},
      // Names and numbers, lists, wrapping ranges, steps, months and years.
      {"cron(0 12 ? JAN,MAR 2 2026)", {"2026-01-05T12:00:00+00:00", "2026-01-12T12:00:00+00:00", "2026-01-19T12:00:00+00:00"}},
      {"cron(0 12 ? * FRI-SUN *)", {"2026-01-02T12:00:00+00:00", "2026-01-03T12:00:00+00:00", "2026-01-04T12:00:00+00:00"}},
      {"cron(0 0 1 1/4 ? *)", {"2026-05-01T00:00:00+00:00", "2026-09-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"}},
      {"cron(0 0 29 2 ? *)", {"2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00", "2036-02-29T00:00:00+00:00"}},
      {"cron(0 0 1 1 ? 2199)", {"2199-01-01T00:00:00+00:00"}},
      {"cron(0 0 1 1 ? 2020-2025)", {}},
      {"cron(0 21/1 * * ? *)", {"2026-01-01T21:00:00+00:00", "2026-01-01T22:00:00+00:00", "2026-01-01T23:00:00+00:00"}},
      {"cron(0 22-1 * * ? *)", {"2026-01-01T01:00:00+00:00", "2026-01-01T22:00:00+00:00", "2026-01-01T23:00:00+00:00"}},
      {"CRON(0 2 ? * thu#3 *)", {"2026-01-15T02:00:00+00:00", "2026-02-19T02:00:00+00:00", "2026-03-19T02:00:00+00:00"}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.expression);
    CHECK(fires(row.expression, "2026-01-01T00:00:00Z") == row.expected);
  }
}

TEST_CASE("a fire time equal to 'from' is not next: the next one is strictly later") {
  CHECK(fires("cron(0 10 * * ? *)", "2026-01-01T10:00:00Z", "UTC", 1) == Times{"2026-01-02T10:00:00+00:00"});
  CHECK(fires("cron(0 10 * * ? *)", "2026-01-01T09:59:59Z", "UTC", 1) == Times{"2026-01-01T10:00:00+00:00"});
}

TEST_CASE("cron times are wall-clock times in ScheduleTimezone") {
  CHECK(fires("cron(0 9 ? * WED *)", "2021-01-01T00:00:00-08:00", "America/Los_Angeles", 2) ==
        Times{"2021-01-06T09:00:00-08:00", "2021-01-13T09:00:00-08:00"});
  CHECK(fires("cron(0 2 ? * THU#3 *)", "2026-01-01T00:00:00Z", "Asia/Tokyo", 1) == Times{"2026-01-15T02:00:00+09:00"});
}

TEST_CASE("America/New_York: a time skipped by spring-forward fires once, right after the gap") {
  // 2026-03-08 02:00 EST becomes 03:00 EDT: 02:30 does not exist that day.
  CHECK(fires("cron(30 2 * * ? *)", "2026-03-07T12:00:00Z", "America/New_York") ==
        Times{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"});
  // Every half hour: 02:00 and 02:30 both fall in the gap and fire once, at 03:00.
  CHECK(fires("cron(0/30 * * * ? *)", "2026-03-08T06:15:00Z", "America/New_York", 4) ==
        Times{"2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00",
              "2026-03-08T04:00:00-04:00"});
}

TEST_CASE("America/New_York: a time repeated by fall-back fires once, the first time") {
  // 2026-11-01 02:00 EDT becomes 01:00 EST: 01:30 happens twice.
  CHECK(fires("cron(30 1 * * ? *)", "2026-10-31T12:00:00Z", "America/New_York") ==
        Times{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00"});
  CHECK(fires("cron(0 * * * ? *)", "2026-11-01T04:30:00Z", "America/New_York") ==
        Times{"2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"});
  // Counting from inside the second 01:xx hour: the first 01:30 has passed, so the next day's.
  CHECK(fires("cron(30 1 * * ? *)", "2026-11-01T06:10:00Z", "America/New_York", 1) ==
        Times{"2026-11-02T01:30:00-05:00"});
}

TEST_CASE("Europe/London: skipped and repeated local times") {
  // 2026-03-29 01:00 GMT becomes 02:00 BST.
  CHECK(fires("cron(30 1 * * ? *)", "2026-03-28T12:00:00Z", "Europe/London", 2) ==
        Times{"2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"});
  // 2026-10-25 02:00 BST becomes 01:00 GMT.
  CHECK(fires("cron(30 1 * * ? *)", "2026-10-24T12:00:00Z", "Europe/London", 2) ==
        Times{"2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"});
}

TEST_CASE("ScheduleOffset runs the given days after each cron time") {
  // Third Tuesday at 23:30, two days later: Thursday.
  CHECK(fires("cron(30 23 ? * TUE#3 *)", "2026-01-01T00:00:00Z", "UTC", 2, Kind::window, 2) ==
        Times{"2026-01-22T23:30:00+00:00", "2026-02-19T23:30:00+00:00"});
  // A cron time already passed this period is skipped even though its offset date is ahead.
  CHECK(fires("cron(30 23 ? * TUE#3 *)", "2026-01-21T00:00:00Z", "UTC", 1, Kind::window, 2) ==
        Times{"2026-02-19T23:30:00+00:00"});
  // The association example: second Thursday, three days later is a Sunday.
  CHECK(fires("cron(0 0 ? * THU#2 *)", "2026-01-01T00:00:00Z", "UTC", 2, Kind::association, 3) ==
        Times{"2026-01-11T00:00:00+00:00", "2026-02-15T00:00:00+00:00"});
  // The offset keeps the wall-clock time across a DST change.
  CHECK(fires("cron(0 9 ? * FRI#1 *)", "2026-03-01T00:00:00Z", "America/New_York", 1, Kind::window, 3) ==
        Times{"2026-03-09T09:00:00-04:00"});
}

TEST_CASE("next_after gives the one next fire time, with its offset") {
  auto utc = *find_time_zone("UTC");
  auto s = *parse("cron(30 23 ? * TUE#3 *)", Kind::window);
  auto from = *parse_time("2026-01-01T00:00:00Z", utc);
  CHECK(format_local(*next_after(s, from, utc), utc) == "2026-01-20T23:30:00+00:00");
  CHECK(format_local(*next_after(s, from, utc, 2), utc) == "2026-01-22T23:30:00+00:00");
  auto once = *parse("cron(0 0 1 1 ? 2026)", Kind::window);
  CHECK_FALSE(next_after(once, *parse_time("2026-01-01T00:00:00Z", utc), utc).has_value());
}
