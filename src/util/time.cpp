#include "util/time.hpp"

#include "util/error.hpp"
#include "util/terminal_safe.hpp"

#include <date/date.h>
#include <sstream>

#include <ctime>
#include <fmt/format.h>
#include <thread>

namespace sshm {

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

void SystemClock::sleep_until(SystemTime t) const { std::this_thread::sleep_until(t); }

static std::tm utc_tm(SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string iso8601_ms(SystemTime t) {
  std::tm tm = utc_tm(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  if (ms < 0) ms += 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string iso8601_s(SystemTime t) {
  std::tm tm = utc_tm(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// date.h's from_stream declares the seconds field (`long double S`) before reading it and uses it
// only once read; when GCC inlines that into this function (as it does when this file shares a
// unity translation unit) it cannot see it and warns. The library's code, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
SystemTime parse_iso8601(const std::string& s) {
  // Each form whole or not at all, by Howard Hinnant's date library (C++20 <chrono>'s
  // parse): an impossible date (2026-02-31) or trailing text (2026-12-02garbage) is refused,
  // and an offset (+05:00) is applied, not ignored.
  for (const char* format : {"%FT%TZ", "%FT%T%Ez", "%FT%T", "%F"}) {
    date::sys_time<std::chrono::milliseconds> t;
    std::istringstream in(s);
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) return SystemTime(t.time_since_epoch());
  }
  throw InputError(fmt::format("'{}' is not a valid date and time: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or "
                               "YYYY-MM-DDTHH:MM:SS+HH:MM (a real calendar date, nothing after it)",
                               terminal_safe(s)));
}
#pragma GCC diagnostic pop

} // namespace sshm
