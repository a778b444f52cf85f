#pragma once
// Time as sshm records it, behind a Clock seam so tests can move it.
#include <chrono>
#include <string>

namespace sshm {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

// The one clock seam: wall time for records and schedules (maintenance windows, deadlines),
// steady time for durations, and waiting. A fake one in tests moves time by hand, and its
// sleeps return at once having moved it.
class Clock {
public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;
  virtual SteadyTime steady_now() const = 0;
  // Blocks the calling thread until now() >= t (returns at once when it already is).
  virtual void sleep_until(SystemTime t) const = 0;
  void sleep_for(std::chrono::milliseconds d) const { sleep_until(now() + d); }
};

// The real clock.
class SystemClock final : public Clock {
public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(SystemTime t) const override;
  static const SystemClock& instance();
};

// "2026-11-28T06:44:48.123Z", as SSM's *DateTime fields.
std::string iso8601_ms(SystemTime t);
// "2026-11-28T06:44:48Z", as SSM's CaptureTime and patch times.
std::string iso8601_s(SystemTime t);
// Parses the forms above, a bare date, or +HH:MM offsets strictly; else throws InputError.
SystemTime parse_iso8601(const std::string& s);

} // namespace sshm
