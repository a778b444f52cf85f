// SSM schedule expressions: rate and at, the rules for associations vs maintenance windows,
// ScheduleTimezone and ScheduleOffset, and the message for every rejected expression.
#include "schedule/schedule.hpp"

#include <doctest/doctest.h>

using namespace sshm::schedule;

namespace {

std::string error_of(const std::string& expression, Kind kind = Kind::window) {
  auto s = parse(expression, kind);
  if (s) return "(accepted)";
  return s.error().message;
}

SysSeconds at_utc(const std::string& text) {
  auto t = parse_time(text, *find_time_zone("UTC"));
  REQUIRE(t.has_value());
  return *t;
}

std::vector<std::string> fires(const std::string& expression, const std::string& from, int count,
                               Kind kind = Kind::window, const std::string& zone = "UTC") {
  auto s = parse(expression, kind);
  REQUIRE_MESSAGE(s.has_value(), s.error().message);
  auto tz = *find_time_zone(zone);
  std::vector<std::string> out;
  for (auto t : next_times(*s, at_utc(from), tz, 0, count)) out.push_back(format_local(t, tz));
  return out;
}

} // namespace

TEST_CASE("rate: the unit is singular for 1 and plural above it") {
  CHECK(parse("rate(1 hour)", Kind::window).has_value());
  CHECK(parse("rate(5 hours)", Kind::window).has_value());
  CHECK(parse("rate(1 minute)", Kind::window).has_value());
  CHECK(parse("rate(1 day)", Kind::window).has_value());
  CHECK(parse("rate(25 days)", Kind::window).has_value());
  CHECK(error_of("rate(1 hours)") ==
        "Schedule expression is not a valid rate expression. rate(1 hours): a value of 1 takes the singular unit 'hour'.");
  CHECK(error_of("rate(2 hour)") == "Schedule expression is not a valid rate expression. rate(2 hour): a value "
                                    "greater than 1 takes the plural unit 'hours'.");
  CHECK(error_of("rate(5 hour)", Kind::association) == "Schedule expression is not a valid rate expression. rate(5 "
                                                       "hour): a value greater than 1 takes the plural unit 'hours'.");
}

TEST_CASE("rate: every rejected form and its message") {
  CHECK(error_of("rate(0 minutes)") ==
        "Schedule expression is not a valid rate expression. Time value should be a positive number. rate(0 minutes)");
  CHECK(error_of("rate(45 seconds)") == "Schedule expression is not a valid rate expression. rate(45 seconds): the "
                                        "unit 'seconds' is not minute(s), hour(s) or day(s).");
  CHECK(error_of("rate(1.5 hours)") == "Schedule expression is not a valid rate expression. rate(1.5 hours): the value "
                                       "'1.5' is not a whole number.");
  CHECK(error_of("rate(-2 days)") == "Schedule expression is not a valid rate expression. rate(-2 days): the value "
                                     "'-2' is not a whole number.");
  CHECK(error_of("rate(5 )") == "Schedule expression is not a valid rate expression. rate(5 ): the unit '' is not "
                                "minute(s), hour(s) or day(s).");
  CHECK(error_of("rate(5)") == "Schedule expression is not a valid rate expression. rate(5): the unit '' is not "
                               "minute(s), hour(s) or day(s).");
  CHECK(error_of("rate(1 day))") == "Schedule expression is not a valid rate expression. rate(1 day)): write it as "
                                    "rate(value unit), for example rate(30 minutes).");
  CHECK(error_of("rate(1 day)5") == "Schedule expression is not a valid rate expression. rate(1 day)5: write it as "
                                    "rate(value unit), for example rate(30 minutes).");
}

TEST_CASE("rate: associations take 30 minutes or more and less than 31 days") {
  CHECK(parse("rate(30 minutes)", Kind::association).has_value());
  CHECK(parse("rate(30 days)", Kind::association).has_value());
  CHECK(parse("rate(10 minutes)", Kind::window).has_value());
  const std::string tail = ": associations only support rate expressions of 30 minutes or greater and less than 31 days.";
  CHECK(error_of("rate(29 minutes)", Kind::association) ==
        "The schedule is invalid. Verify your cron or rate expression and try again. rate(29 minutes)" + tail);
  CHECK(error_of("rate(31 days)", Kind::association) ==
        "The schedule is invalid. Verify your cron or rate expression and try again. rate(31 days)" + tail);
}

TEST_CASE("rate fires every interval after the start, whatever the time zone") {
  CHECK(fires("rate(30 minutes)", "2026-01-01T00:00:00Z", 3) ==
        std::vector<std::string>{"2026-01-01T00:30:00+00:00", "2026-01-01T01:00:00+00:00", "2026-01-01T01:30:00+00:00"});
  // 24 hours, not "same wall-clock time", across the New York spring-forward.
  CHECK(fires("rate(1 day)", "2026-03-07T12:00:00Z", 2, Kind::window, "America/New_York") ==
        std::vector<std::string>{"2026-03-08T08:00:00-04:00", "2026-03-09T08:00:00-04:00"});
}

TEST_CASE("at: one run at a wall-clock time in ScheduleTimezone") {
  CHECK(fires("at(2026-07-07T13:15:30)", "2026-01-01T00:00:00Z", 3) ==
        std::vector<std::string>{"2026-07-07T13:15:30+00:00"});
  CHECK(fires("at(2026-07-07T13:15:30)", "2026-01-01T00:00:00Z", 3, Kind::association, "America/Los_Angeles") ==
        std::vector<std::string>{"2026-07-07T13:15:30-07:00"});
  CHECK(fires("at(2020-07-07T15:55:00)", "2026-01-01T00:00:00Z", 3).empty());
  const std::string tail = ": write a one-time schedule as at(yyyy-mm-ddThh:mm:ss), for example at(2020-07-07T15:55:00).";
  const std::string lead = "The schedule is invalid. Verify your cron or rate expression and try again. ";
  CHECK(error_of("at(2026-02-30T00:00:00)") == lead + "at(2026-02-30T00:00:00)" + tail);
  CHECK(error_of("at(2026-07-07 13:15:30)") == lead + "at(2026-07-07 13:15:30)" + tail);
  CHECK(error_of("at(12:00)") == lead + "at(12:00)" + tail);
}

TEST_CASE("cron: every malformed expression and its message") {
  auto bad = [](const std::string& e, const std::string& why) {
    return "Cron expression " + e + " is invalid: " + why + ".";
  };
  CHECK(error_of("cron(0 2 * * ?)") == bad("cron(0 2 * * ?)", "it has 5 fields; it needs 6 (Minutes Hours Day-of-month "
                                                              "Month Day-of-week Year) or 7 with Seconds first"));
  CHECK(error_of("cron(0 2 ? * ? *)") == bad("cron(0 2 ? * ? *)", "exactly one of Day-of-month and Day-of-week must be '?'"));
  CHECK(error_of("cron(0 2 * * MON *)") ==
        bad("cron(0 2 * * MON *)", "exactly one of Day-of-month and Day-of-week must be '?'"));
  CHECK(error_of("cron(60 2 * * ? *)") == bad("cron(60 2 * * ? *)", "Minutes '60': 60 is outside 0-59"));
  CHECK(error_of("cron(0 24 * * ? *)") == bad("cron(0 24 * * ? *)", "Hours '24': 24 is outside 0-23"));
  CHECK(error_of("cron(0 2 32 * ? *)") == bad("cron(0 2 32 * ? *)", "Day-of-month '32': 32 is outside 1-31"));
  CHECK(error_of("cron(0 2 1 13 ? *)") == bad("cron(0 2 1 13 ? *)", "Month '13': 13 is outside 1-12"));
  CHECK(error_of("cron(0 2 1 FOO ? *)") == bad("cron(0 2 1 FOO ? *)", "Month 'FOO': 'FOO' is not a value from 1-12 or JAN-DEC"));
  CHECK(error_of("cron(0 2 ? * 8 *)") == bad("cron(0 2 ? * 8 *)", "Day-of-week '8': 8 is outside 1-7"));
  CHECK(error_of("cron(0 2 ? * FUN *)") == bad("cron(0 2 ? * FUN *)", "Day-of-week 'FUN': 'FUN' is not a value from 1-7 or SUN-SAT"));
  CHECK(error_of("cron(0 2 1 * ? 2200)") == bad("cron(0 2 1 * ? 2200)", "Year '2200': 2200 is outside 1970-2199"));
  CHECK(error_of("cron(0 2 ? * THU#6 *)") ==
        bad("cron(0 2 ? * THU#6 *)", "Day-of-week 'THU#6': the week of the month after '#' must be from 1 to 5"));
  CHECK(error_of("cron(0 2 1#2 * ? *)") ==
        bad("cron(0 2 1#2 * ? *)", "Day-of-month '1#2': '#' is only allowed in Day-of-week"));
  CHECK(error_of("cron(0 2 L3 * ? *)") ==
        bad("cron(0 2 L3 * ? *)", "Day-of-month 'L3': 'L' and 'W' stand alone (L, LW or a day followed by W)"));
  CHECK(error_of("cron(0 L 1 * ? *)") == bad("cron(0 L 1 * ? *)", "Hours 'L': 'L' is only allowed in Day-of-month or Day-of-week"));
  CHECK(error_of("cron(0 ? 1 * ? *)") == bad("cron(0 ? 1 * ? *)", "Hours '?': '?' is only allowed in Day-of-month or Day-of-week"));
  CHECK(error_of("cron(0 2W 1 * ? *)") == bad("cron(0 2W 1 * ? *)", "Hours '2W': 'W' is only allowed in Day-of-month"));
  CHECK(error_of("cron(0/0 2 1 * ? *)") == bad("cron(0/0 2 1 * ? *)", "Minutes '0/0': the increment must be from 1 to 60"));
  CHECK(error_of("cron(0/x 2 1 * ? *)") == bad("cron(0/x 2 1 * ? *)", "Minutes '0/x': the increment 'x' is not a number"));
  CHECK(error_of("cron(0 0 0/1 * * ? *)abc") == "Cron expression cron(0 0 0/1 * * ? *)abc is invalid.");
  CHECK(error_of("cron{0 0 0/1 * * ? *}") == "Cron expression cron{0 0 0/1 * * ? *} is invalid.");
  CHECK(error_of("cron") == "Cron expression cron is invalid.");
  CHECK(error_of("every(5 minutes)") == "Unknown expression type detected in expression every(5 minutes)");
  CHECK(error_of("") == "Unknown expression type detected in expression ");
}

TEST_CASE("cron: maintenance windows refuse rates faster than 5 minutes") {
  auto fast = [](const std::string& e) {
    return "Cron expression " + e + " is invalid: cron expressions that lead to rates faster than 5 minutes are not supported.";
  };
  CHECK(error_of("cron(* * * * ? *)") == fast("cron(* * * * ? *)"));
  CHECK(error_of("cron(0/4 * * * ? *)") == fast("cron(0/4 * * * ? *)"));
  CHECK(error_of("cron(0/30 * * * * ? *)") == fast("cron(0/30 * * * * ? *)"));
  CHECK(parse("cron(0/5 * * * ? *)", Kind::window).has_value());
  CHECK(parse("cron(24 30 09 ? * * *)", Kind::window).has_value());
}

TEST_CASE("cron: associations accept only SSM's narrower forms") {
  for (const char* ok : {"cron(0/30 * * * ? *)", "cron(0 0/1 * * ? *)", "cron(0 0/2 * * ? *)", "cron(0 0/4 * * ? *)",
                         "cron(0 0/8 * * ? *)", "cron(0 0/12 * * ? *)", "cron(15 13 ? * * *)", "cron(15 13 ? * MON *)",
                         "cron(0 0 2 ? * SUN *)", "cron(0 */30 * * * ? *)", "cron(0 0 ? * THU#2 *)",
                         "cron(0 2 ? * 6L *)", "cron(15 13 * * ? *)"}) {
    CAPTURE(ok);
    auto s = parse(ok, Kind::association);
    CHECK_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  }
  const std::string lead = "The schedule is invalid. Verify your cron or rate expression and try again. ";
  const std::string forms = "associations only support cron expressions every 1/2, 1, 2, 4, 8 or 12 hours, or every "
                            "day, every week, the nth weekday or the last weekday of the month at a specific time.";
  CHECK(error_of("cron(0 0/3 * * ? *)", Kind::association) == lead + "cron(0 0/3 * * ? *): " + forms);
  CHECK(error_of("cron(0/15 * * * ? *)", Kind::association) == lead + "cron(0/15 * * * ? *): " + forms);
  CHECK(error_of("cron(0 2 L * ? *)", Kind::association) == lead + "cron(0 2 L * ? *): " + forms);
  CHECK(error_of("cron(15 10 ? * MON-FRI *)", Kind::association) == lead + "cron(15 10 ? * MON-FRI *): " + forms);
  CHECK(error_of("cron(0 2 1 3 ? *)", Kind::association) ==
        lead + "cron(0 2 1 3 ? *): State Manager doesn't support specifying months in cron expressions for associations.");
  CHECK(error_of("cron(0 2 * * ? 2027)", Kind::association) ==
        lead + "cron(0 2 * * ? 2027): associations don't support values in the Year field.");
  CHECK(error_of("cron(24 30 09 ? * * *)", Kind::association) ==
        lead + "cron(24 30 09 ? * * *): if you specify the optional Seconds field, its value can only be 0.");
  // The same expressions are fine for a maintenance window.
  CHECK(parse("cron(0 2 1 3 ? *)", Kind::window).has_value());
  CHECK(parse("cron(0 2 L * ? *)", Kind::window).has_value());
}

TEST_CASE("ScheduleTimezone takes IANA names from the system's tzdata") {
  CHECK(zone_name(*find_time_zone("")) == "UTC");
  CHECK(zone_name(*find_time_zone("America/New_York")) == "America/New_York");
  CHECK(find_time_zone("Europe/London").has_value());
  CHECK(find_time_zone("Mars/Olympus").error().message ==
        "ScheduleTimezone 'Mars/Olympus' is not an IANA time zone name (for example America/Los_Angeles, "
        "Europe/London or UTC)");
  CHECK(find_time_zone("America/New_Yrok").error().message ==
        "ScheduleTimezone 'America/New_Yrok' is not an IANA time zone name (for example America/Los_Angeles, "
        "Europe/London or UTC) (did you mean 'America/New_York'?)");
}

TEST_CASE("ScheduleOffset is 1 to 6 days, for cron expressions only") {
  auto cron = *parse("cron(0 0 ? * THU#2 *)", Kind::association);
  auto rate = *parse("rate(1 day)", Kind::association);
  CHECK_FALSE(check_offset(cron, 0).has_value());
  CHECK_FALSE(check_offset(cron, 1).has_value());
  CHECK_FALSE(check_offset(cron, 6).has_value());
  CHECK(check_offset(cron, 7)->message == "1 validation error detected: Value '7' at 'scheduleOffset' failed to "
                                          "satisfy constraint: Member must have value less than or equal to 6");
  CHECK(check_offset(cron, -1)->message == "1 validation error detected: Value '-1' at 'scheduleOffset' failed to "
                                           "satisfy constraint: Member must have value greater than or equal to 1");
  CHECK(check_offset(rate, 2)->message == "ScheduleOffset is supported for cron expressions only, not rate(1 day)");
}

TEST_CASE("times to count from: UTC, an offset, or wall-clock time in the zone") {
  auto ny = *find_time_zone("America/New_York");
  CHECK(format_local(*parse_time("2026-03-08T01:30:00Z", ny), ny) == "2026-03-07T20:30:00-05:00");
  CHECK(format_local(*parse_time("2026-03-08T01:30:00+05:30", ny), ny) == "2026-03-07T15:00:00-05:00");
  CHECK(format_local(*parse_time("2026-07-01T09:00:00", ny), ny) == "2026-07-01T09:00:00-04:00");
  CHECK(format_local(*parse_time("2026-07-01", ny), ny) == "2026-07-01T00:00:00-04:00");
  CHECK(parse_time("yesterday", ny).error().message ==
        "'yesterday' is not a time such as 2026-03-08T01:30:00Z, 2026-03-08T01:30:00-05:00 or 2026-03-08T01:30:00 "
        "(in the time zone)");
}
