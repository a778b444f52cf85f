#pragma once
// What the pieces of the libssh transport share: deadlines, failures, how a host is named in
// messages and in known_hosts, and the owned libssh session handle. Internal to src/ssh.
#include "ssh/transport.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <libssh/libssh.h>
#include <string>

namespace sshm::ssh {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

// Bytes moved per read or write on a channel or a forwarded socket.
constexpr size_t k_io_chunk = 32 * 1024;

inline Failure fail(FailureKind kind, std::string message) { return Failure{kind, std::move(message)}; }

// Milliseconds left until `deadline`, 0 once it has passed.
int remaining_ms(TimePoint deadline);

inline bool is_cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

// "host:port" as a user types it.
std::string host_port(const std::string& host, int port);
// The name known_hosts files use: "host", or "[host]:port" when the port is not 22.
std::string known_hosts_name(const std::string& host, int port);
// How messages name an endpoint: "host:port", or "name (host:port)" for an alias.
std::string endpoint_label(const std::string& name, const std::string& hostname, int port);

// Closes `fd` when open and marks it closed.
void close_fd(int& fd);

// A libssh session and the socket under it. libssh does not close a socket it was given
// with SSH_OPTIONS_FD, so the owner does, after the session is freed.
class OwnedSession {
public:
  OwnedSession() = default;
  OwnedSession(ssh_session s, int fd) : m_session(s), m_fd(fd) {}
  OwnedSession(OwnedSession&& o) noexcept;
  OwnedSession& operator=(OwnedSession&& o) noexcept;
  OwnedSession(const OwnedSession&) = delete;
  OwnedSession& operator=(const OwnedSession&) = delete;
  ~OwnedSession() { reset(); }

  ssh_session get() const { return m_session; }
  int fd() const { return m_fd; }

private:
  void reset();
  ssh_session m_session = nullptr;
  int m_fd = -1;
};

} // namespace sshm::ssh
