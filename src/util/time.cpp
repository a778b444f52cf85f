#include "util/time.hpp"

#include "util/error.hpp"

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

SystemTime parse_iso8601(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  if (n != 3 && n < 6) throw InputError(fmt::format("'{}' is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)", s));
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) + std::chrono::milliseconds(n == 7 ? ms : 0);
}

} // namespace sshm
