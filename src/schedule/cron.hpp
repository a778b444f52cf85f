#pragma once
// SSM cron expressions: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, with an
// optional leading Seconds field, as described in SSM's "Reference: Cron and rate
// expressions for Systems Manager". Matching works on local (wall-clock) time; the time
// zone is applied by the caller (schedule.hpp).
#include "util/error.hpp"
#include "util/expected.hpp"

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::schedule {

// A reason an expression was rejected, worded for the user (kind input).
using sshm::Error;

// The values one plain field allows, as a set of bits indexed by value.
struct FieldSet {
  std::bitset<2200> bits;
  bool test(int v) const { return v >= 0 && v < 2200 && bits.test(static_cast<std::size_t>(v)); }
};

// How the day of the month is chosen.
enum class DayOfMonthRule {
  none,            // `?`: the day of the week decides
  set,             // values, ranges, steps, `*`
  last,            // `L`: the last day of the month
  last_weekday,    // `LW`: the last Monday-Friday of the month
  nearest_weekday  // `15W`: the Monday-Friday nearest the 15th, within the month
};

// How the day of the week is chosen (1 = Sunday ... 7 = Saturday).
enum class DayOfWeekRule {
  none,  // `?`: the day of the month decides
  set,   // values, ranges, steps, `*`
  last,  // `6L`: the last Friday of the month; a bare `L` is the last Saturday
  nth    // `THU#3`: the third Thursday of the month
};

struct CronSpec {
  bool has_seconds = false;  // written with 7 fields
  FieldSet seconds, minutes, hours, days_of_month, months, days_of_week, years;
  DayOfMonthRule dom_rule = DayOfMonthRule::set;
  int dom_value = 0;  // the day for nearest_weekday
  DayOfWeekRule dow_rule = DayOfWeekRule::none;
  int dow_value = 0;  // the weekday (1-7) for last and nth
  int dow_nth = 0;    // 1-5 for nth
  std::vector<std::string> fields;  // as written, Seconds first when present
};

// Parses the inside of `cron(...)`. `expression` is the whole text, for messages.
Expected<CronSpec, Error> parse_cron(std::string_view inside, std::string_view expression);

// Whether the local day matches the day-of-month, month, day-of-week and year fields.
bool day_matches(const CronSpec& spec, std::chrono::year_month_day ymd);

// The first local time at or after `start` that the expression names, if any before 2200.
std::optional<std::chrono::local_seconds> next_local_match(const CronSpec& spec, std::chrono::local_seconds start);

// The shortest gap between two fire times within a day, in seconds (86400 when once a day).
long shortest_gap_seconds(const CronSpec& spec);

} // namespace sshm::schedule
