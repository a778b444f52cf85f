#include "ssh/dial.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace sshm::ssh {

namespace {

// Name resolution bounded by the deadline: getaddrinfo cannot be interrupted, so it runs on
// its own thread and is abandoned when the deadline passes.
struct Lookup {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  addrinfo* result = nullptr;
  ~Lookup() {
    if (result) ::freeaddrinfo(result);
  }
};

Expected<std::shared_ptr<Lookup>, Failure> resolve_host(const std::string& host, int port, TimePoint deadline,
                                                        const std::atomic<bool>* cancel, int timeout_s) {
  auto lookup = std::make_shared<Lookup>();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string service = std::to_string(port);
  unsigned char buf[sizeof(in6_addr)];
  bool numeric = ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if (numeric) {
    hints.ai_flags = AI_NUMERICHOST;
    lookup->rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &lookup->result);
    lookup->done = true;
  } else {
    std::thread([lookup, host, service, hints] {
      addrinfo* res = nullptr;
      int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
      std::lock_guard<std::mutex> lock(lookup->mutex);
      lookup->rc = rc;
      lookup->result = res;
      lookup->done = true;
      lookup->cv.notify_all();
    }).detach();
    std::unique_lock<std::mutex> lock(lookup->mutex);
    while (!lookup->done) {
      if (is_cancelled(cancel)) return unexpected(fail(FailureKind::cancelled, "cancelled while resolving " + host));
      if (Clock::now() >= deadline)
        return unexpected(fail(FailureKind::connect_timeout,
                               fmt::format("DNS lookup of {} took longer than {} s (--connect-timeout)", host, timeout_s)));
      lookup->cv.wait_for(lock, milliseconds(std::min(100, std::max(1, remaining_ms(deadline)))));
    }
  }
  if (lookup->rc != 0 || !lookup->result)
    return unexpected(fail(FailureKind::resolve,
                           fmt::format("cannot resolve '{}': {}; check HostName in the inventory or ssh config", host,
                                       ::gai_strerror(lookup->rc))));
  return lookup;
}

} // namespace

// TCP connect to the first address that answers, bounded by the deadline.
Expected<int, Failure> dial(const std::string& host, int port, TimePoint deadline, const std::atomic<bool>* cancel,
                            int timeout_s) {
  auto lookup = resolve_host(host, port, deadline, cancel, timeout_s);
  if (!lookup) return unexpected(lookup.error());
  int last_errno = 0;
  for (addrinfo* ai = (*lookup)->result; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      last_errno = errno;
      ::close(fd);
      continue;
    }
    while (rc != 0) {
      if (is_cancelled(cancel)) {
        ::close(fd);
        return unexpected(fail(FailureKind::cancelled, "cancelled while connecting to " + host_port(host, port)));
      }
      int left = remaining_ms(deadline);
      if (left == 0) {
        ::close(fd);
        return unexpected(fail(FailureKind::connect_timeout,
                               fmt::format("no TCP answer from {} within {} s; check the address, port and "
                                           "firewall, or raise --connect-timeout",
                                           host_port(host, port), timeout_s)));
      }
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, std::min(left, 100));
      if (n > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          rc = 0;
        } else {
          last_errno = err;
          break;
        }
      }
    }
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    ::close(fd);
  }
  if (last_errno == ECONNREFUSED)
    return unexpected(fail(FailureKind::connect_refused,
                           fmt::format("connection refused by {}: is sshd running and listening on port {}?",
                                       host_port(host, port), port)));
  if (last_errno == ETIMEDOUT)
    return unexpected(fail(FailureKind::connect_timeout,
                           fmt::format("no TCP answer from {}; check the address and firewall", host_port(host, port))));
  return unexpected(fail(FailureKind::connect_refused, fmt::format("cannot connect to {}: {}", host_port(host, port),
                                                                   std::strerror(last_errno))));
}

} // namespace sshm::ssh
