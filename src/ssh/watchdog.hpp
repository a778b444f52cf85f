#pragma once
// The watchdog: one thread that shuts down the socket of a session that overran its
// deadline or was cancelled, so that a blocking libssh call returns. libssh never gets a
// chance to hang. Internal to src/ssh.
#include "ssh/libssh_common.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace sshm::ssh {

class Watchdog {
public:
  static Watchdog& instance();

  // Watches `fd` until the guard is destroyed; `fired` says whether it had to act.
  class Guard {
  public:
    // With `idle_window`, the deadline moves on while the peer keeps sending (TCP_INFO's
    // last_data_recv): a handshake slowed by a busy machine is not a dead host. It never moves
    // past `hard_deadline`.
    Guard(int fd, TimePoint deadline, const std::atomic<bool>* cancel, milliseconds idle_window = milliseconds(0),
          TimePoint hard_deadline = TimePoint::max()) {
      m_id = Watchdog::instance().add(fd, deadline, cancel, &m_fired, idle_window, hard_deadline);
    }
    ~Guard() { Watchdog::instance().remove(m_id); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    // 0: not fired, 1: deadline passed (or nothing received for the idle window), 2: cancelled,
    // 3: the hard deadline passed while the peer was still sending.
    int fired() const { return m_fired.load(); }

  private:
    std::uint64_t m_id = 0;
    std::atomic<int> m_fired{0};
  };

private:
  struct Item {
    int fd;
    TimePoint deadline;
    const std::atomic<bool>* cancel;
    std::atomic<int>* fired;
    milliseconds idle_window;
    TimePoint hard_deadline;
  };

  Watchdog();
  ~Watchdog();

  std::uint64_t add(int fd, TimePoint deadline, const std::atomic<bool>* cancel, std::atomic<int>* fired,
                    milliseconds idle_window, TimePoint hard_deadline);
  void remove(std::uint64_t id);
  void loop();

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::map<std::uint64_t, Item> m_items;
  std::uint64_t m_next = 0;
  bool m_stop = false;
  std::thread m_thread;
};

} // namespace sshm::ssh
