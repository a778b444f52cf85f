#include "ssh/watchdog.hpp"

#include <algorithm>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace sshm::ssh {

Watchdog& Watchdog::instance() {
  static Watchdog w;
  return w;
}

Watchdog::Watchdog() : m_thread([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  m_thread.join();
}

std::uint64_t Watchdog::add(int fd, TimePoint deadline, const std::atomic<bool>* cancel, std::atomic<int>* fired,
                            milliseconds idle_window, TimePoint hard_deadline) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::uint64_t id = ++m_next;
  m_items.emplace(id, Item{fd, deadline, cancel, fired, idle_window, hard_deadline});
  m_cv.notify_all();
  return id;
}

void Watchdog::remove(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_items.erase(id);
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_stop) {
    auto now = Clock::now();
    for (auto& [id, item] : m_items) {
      if (item.fired->load() != 0) continue;
      if (now >= item.deadline && item.idle_window.count() > 0) {
        if (now >= item.hard_deadline) {
          item.fired->store(3);
          ::shutdown(item.fd, SHUT_RDWR);
          continue;
        }
        tcp_info info{};
        socklen_t len = sizeof info;
        if (::getsockopt(item.fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
            milliseconds(info.tcpi_last_data_recv) < item.idle_window) {
          item.deadline = std::min(item.hard_deadline, now + item.idle_window - milliseconds(info.tcpi_last_data_recv));
          continue;
        }
      }
      int why = now >= item.deadline ? 1 : is_cancelled(item.cancel) ? 2 : 0;
      if (why != 0) {
        item.fired->store(why);
        ::shutdown(item.fd, SHUT_RDWR);
      }
    }
    m_cv.wait_for(lock, milliseconds(50));
  }
}

} // namespace sshm::ssh
