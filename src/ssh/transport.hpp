#pragma once
// src/ssh owns the connection to each host: resolving an ssh config as `ssh -G` does
// (config), and the libssh transport, in-process with no `ssh` child per host, in pieces of
// one concept each: TCP with deadlines (dial), the watchdog that unblocks a stuck session
// (watchdog), host key policy over known_hosts (known_hosts), user authentication (auth),
// ProxyJump over one shared session per bastion (bastion), the exec channel (libssh_session),
// and the transport that puts them together (libssh_transport). This header is the seam
// the rest of sshm sees.
//
// The seam between sshm and the network: connect to a host, run commands on it.
// The real implementation is libssh in-process (LibsshTransport); unit tests use fakes.
#include "util/expected.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::ssh {

enum class HostKeyPolicy { strict, accept_new, off };
const char* to_string(HostKeyPolicy p);

// Effective connection settings of one host: ssh config, then inventory overrides.
struct Endpoint {
  std::string name;      // the inventory name; the ID used everywhere
  std::string hostname;  // what is dialled
  int port = 22;
  std::string user;
  std::vector<std::string> identity_files;
  bool identities_only = false;
  std::string proxy_jump;  // "[user@]host[:port]" (may be an alias in the ssh config), "" for none
  std::vector<std::string> known_hosts_files;
  HostKeyPolicy host_key_policy = HostKeyPolicy::strict;
  int connect_timeout_s = 10;
  std::string kex_algorithms;        // ssh config KexAlgorithms ("" = libssh's default list)
  std::string host_key_algorithms;   // ssh config HostKeyAlgorithms ("" = libssh's default list)
};

// Why a host could not be reached or used. A per-host failure is data, not an exception.
enum class FailureKind {
  resolve,           // DNS failed
  connect_refused,   // nothing listens
  connect_timeout,   // no TCP answer, no banner, or key exchange/auth too slow
  host_key_unknown,  // not in known_hosts and policy is strict
  host_key_changed,  // known_hosts has another key: always fatal
  auth_denied,       // no offered key or password accepted
  protocol,          // the peer does not speak SSH properly
  channel,           // session up but a channel could not be opened or exec'd
  dropped,           // the connection broke while a command ran
  cancelled,         // we gave up on it (Ctrl-C)
  sudo,              // sudo -n refused (password needed or not allowed)
};
const char* to_string(FailureKind k);

struct Failure {
  FailureKind kind;
  std::string message;  // one line, actionable, never holds a secret
};

struct ExecRequest {
  std::string command;     // the remote command line; must never hold a secret
  std::string stdin_data;  // sent on the channel, then EOF (scripts and secrets travel here)
  // Zero means no limit. When it passes, exec returns with timed_out set.
  std::chrono::milliseconds timeout{0};
  // Called from the exec thread as output arrives, in order per stream.
  std::function<void(std::string_view)> on_stdout;
  std::function<void(std::string_view)> on_stderr;
  // Polled while the command runs; when set, exec returns with cancelled set.
  const std::atomic<bool>* cancel = nullptr;
};

struct ExecResult {
  int exit_status = -1;     // -1 when the command did not exit normally
  std::string exit_signal;  // e.g. "KILL" when killed by a signal
  bool timed_out = false;
  bool cancelled = false;
};

// One authenticated connection. Not shared between threads, except interrupt().
class Session {
public:
  virtual ~Session() = default;
  // Runs one command on a new channel; may be called again after it returns.
  virtual Expected<ExecResult, Failure> exec(const ExecRequest& request) = 0;
  // Time spent in DNS, TCP, key exchange and auth.
  virtual std::chrono::milliseconds connect_time() const = 0;
};

class Transport {
public:
  virtual ~Transport() = default;
  // Resolves, connects, verifies the host key under the endpoint's policy and
  // authenticates, all within endpoint.connect_timeout_s. Thread-safe.
  virtual Expected<std::unique_ptr<Session>, Failure> connect(const Endpoint& endpoint,
                                                              const std::atomic<bool>* cancel = nullptr) = 0;
};

} // namespace sshm::ssh
