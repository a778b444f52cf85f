#include "ssh/libssh_common.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unistd.h>
#include <utility>

namespace sshm::ssh {

int remaining_ms(TimePoint deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000'000));
}

std::string host_port(const std::string& host, int port) { return fmt::format("{}:{}", host, port); }

std::string known_hosts_name(const std::string& host, int port) {
  return port == 22 ? host : fmt::format("[{}]:{}", host, port);
}

std::string endpoint_label(const std::string& name, const std::string& hostname, int port) {
  return name == hostname ? host_port(hostname, port) : fmt::format("{} ({})", name, host_port(hostname, port));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

OwnedSession::OwnedSession(OwnedSession&& o) noexcept
    : m_session(std::exchange(o.m_session, nullptr)), m_fd(std::exchange(o.m_fd, -1)) {}

OwnedSession& OwnedSession::operator=(OwnedSession&& o) noexcept {
  if (this != &o) {
    reset();
    m_session = std::exchange(o.m_session, nullptr);
    m_fd = std::exchange(o.m_fd, -1);
  }
  return *this;
}

void OwnedSession::reset() {
  if (m_session) {
    ssh_disconnect(m_session);
    ssh_free(m_session);
    m_session = nullptr;
  }
  close_fd(m_fd);
}

} // namespace sshm::ssh
