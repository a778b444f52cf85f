#pragma once
// SSM schedule expressions for maintenance windows and State Manager associations:
// cron(...), rate(...) and at(...), with ScheduleTimezone and ScheduleOffset.
// Nothing here reads the clock: every question takes the time to count from.
#include "schedule/cron.hpp"
#include "util/expected.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The time zone database (Howard Hinnant's date/tz.h over the system's tzdata) stays out
// of this header, so only schedule.cpp needs its build settings.
namespace date {
class time_zone;
}

namespace sshm::schedule {

// A time zone from the system's tzdata; never null once found.
using Zone = const date::time_zone*;

// Who the expression is for: associations accept fewer forms than maintenance windows.
enum class Kind { association, window };

using SysSeconds = std::chrono::sys_seconds;

// `rate(N unit)`: every N minutes, hours or days, counted from a start time.
struct Rate {
  std::chrono::seconds interval{0};
};

// `at(yyyy-mm-ddThh:mm:ss)`: once, at a wall-clock time in the schedule's time zone.
struct At {
  std::chrono::local_seconds when;
};

struct Schedule {
  std::string text;  // the expression as written
  Kind kind = Kind::window;
  std::variant<CronSpec, Rate, At> form;

  bool is_cron() const { return std::holds_alternative<CronSpec>(form); }
};

// Parses and checks an expression against the rules SSM applies to `kind`.
Expected<Schedule, Error> parse(std::string_view expression, Kind kind);

// An IANA time zone name from the system's tzdata; "" is UTC.
Expected<Zone, Error> find_time_zone(std::string_view name);

// The zone's IANA name, such as "America/New_York".
std::string zone_name(Zone zone);

// Checks ScheduleOffset: 0 (none), or 1 to 6 days with a cron expression.
std::optional<Error> check_offset(const Schedule& schedule, int offset_days);

// The wall-clock time `local` in `zone` as an instant. A time skipped when clocks go
// forward fires at the end of the gap; a time that happens twice fires the first time.
SysSeconds to_instant(std::chrono::local_seconds local, Zone zone);

// The next fire time after `from` (strictly later). For cron, the cron time comes after
// `from` and the fire time is `offset_days` later, so a cron time already passed is
// skipped even when its offset date is still ahead (as SSM does). For rate, `from` is
// the start the interval counts from. Null when the schedule never fires again.
std::optional<SysSeconds> next_after(const Schedule& schedule, SysSeconds from, Zone zone,
                                     int offset_days = 0);

// Up to `count` fire times after `from`, in order.
std::vector<SysSeconds> next_times(const Schedule& schedule, SysSeconds from, Zone zone,
                                   int offset_days, int count);

// "2026-03-08T01:30:00", with "Z" or "+hh:mm"/"-hh:mm" or nothing after it (then a
// wall-clock time in `zone`), or a bare date "2026-03-08" (midnight in `zone`).
Expected<SysSeconds, Error> parse_time(std::string_view text, Zone zone);

// "2026-12-17T02:00:00-05:00": the instant as wall-clock time in `zone`, with its offset.
std::string format_local(SysSeconds t, Zone zone);

} // namespace sshm::schedule
