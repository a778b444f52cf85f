#pragma once
// A Clock that tests move by hand: now() is whatever was set, and a sleep moves time to its
// end at once. Safe to share between threads.
#include "util/time.hpp"

#include <mutex>

namespace sshm::test {

class FakeClock final : public Clock {
public:
  explicit FakeClock(SystemTime start = SystemTime{} + std::chrono::hours(24 * 365 * 50)) : m_now(start), m_start(start) {}

  SystemTime now() const override {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_now;
  }
  SteadyTime steady_now() const override {
    std::lock_guard<std::mutex> lock(m_mutex);
    return SteadyTime{} + (m_now - m_start);
  }
  void sleep_until(SystemTime t) const override {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (t > m_now) m_now = t;
  }

  void set(SystemTime t) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_now = t;
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_now += d;
  }

private:
  mutable std::mutex m_mutex;
  mutable SystemTime m_now;
  const SystemTime m_start;
};

} // namespace sshm::test
