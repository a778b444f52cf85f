#pragma once
// TCP to a host, bounded by the connect deadline and cancellable: name resolution on a
// thread of its own (getaddrinfo cannot be interrupted), then a non-blocking connect to the
// first address that answers. Internal to src/ssh.
#include "ssh/libssh_common.hpp"

#include <atomic>
#include <string>

namespace sshm::ssh {

// A connected socket to host:port, or why not (`timeout_s` is named in timeout messages).
Expected<int, Failure> dial(const std::string& host, int port, TimePoint deadline, const std::atomic<bool>* cancel,
                            int timeout_s);

} // namespace sshm::ssh
