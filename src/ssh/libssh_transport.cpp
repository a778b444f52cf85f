#include "ssh/libssh_transport.hpp"

#include "ssh/auth.hpp"
#include "ssh/bastion.hpp"
#include "ssh/dial.hpp"
#include "ssh/known_hosts.hpp"
#include "ssh/libssh_common.hpp"
#include "ssh/libssh_session.hpp"
#include "ssh/watchdog.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <sys/resource.h>

namespace sshm::ssh {

namespace {

constexpr int k_max_jump_depth = 8;

// Why a handshake step failed when the watchdog had to act, or nothing.
std::optional<Failure> interruption(const Watchdog::Guard& watch, const std::atomic<bool>* cancel,
                                    const std::string& label, int connect_timeout_s) {
  if (watch.fired() == 2 || is_cancelled(cancel))
    return fail(FailureKind::cancelled, "cancelled while connecting to " + label);
  if (watch.fired() == 3)
    return fail(FailureKind::connect_timeout,
                fmt::format("{} kept the SSH handshake going for {} s without finishing it "
                            "(raise --connect-timeout for slow hosts)",
                            label, 6 * connect_timeout_s));
  if (watch.fired() == 1)
    return fail(FailureKind::connect_timeout,
                fmt::format("{} accepted TCP but did not finish the SSH handshake within {} s; is it an sshd? "
                            "(raise --connect-timeout for slow hosts)",
                            label, connect_timeout_s));
  return std::nullopt;
}

// The session options for one endpoint, before the known_hosts view and the algorithms.
void set_endpoint_options(const Endpoint& ep, ssh_session s, TimePoint deadline) {
  int port = ep.port;
  // libssh's own limit for blocking steps is the hard one; the watchdog enforces the
  // connect timeout as "nothing received for that long".
  long timeout = std::max(1, (remaining_ms(deadline) + 999) / 1000) + 5L * std::max(1, ep.connect_timeout_s);
  bool no = false;
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s, SSH_OPTIONS_HOST, ep.hostname.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, ep.user.c_str());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
}

// KexAlgorithms / HostKeyAlgorithms from the ssh config; libssh takes the same list syntax.
std::optional<Failure> set_algorithms(const Endpoint& ep, ssh_session s) {
  if (!ep.kex_algorithms.empty() && ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, ep.kex_algorithms.c_str()) != SSH_OK)
    return fail(FailureKind::protocol,
                fmt::format("KexAlgorithms '{}' for {}: {}", ep.kex_algorithms, ep.name, ssh_get_error(s)));
  if (!ep.host_key_algorithms.empty() &&
      ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, ep.host_key_algorithms.c_str()) != SSH_OK)
    return fail(FailureKind::protocol,
                fmt::format("HostKeyAlgorithms '{}' for {}: {}", ep.host_key_algorithms, ep.name, ssh_get_error(s)));
  return std::nullopt;
}

// Why ssh_connect failed, when the watchdog did not cut it short.
Failure connect_failure(ssh_session s, const std::string& label) {
  std::string err = ssh_get_error(s);
  std::string l = to_lower(err);
  if (l.find("timeout") != std::string::npos || l.find("timed out") != std::string::npos)
    return fail(FailureKind::connect_timeout, fmt::format("{}: {}", label, err));
  return fail(FailureKind::protocol, fmt::format("SSH handshake with {} failed: {} (is it an sshd? does it accept "
                                                 "more connections? see MaxStartups)",
                                                 label, err));
}

} // namespace

// Connections, and the bastions shared by the hosts behind each jump host.
struct LibsshTransport::Impl {
  const SshConfig& config;
  ResolveOptions options;
  std::mutex bastions_mutex;
  std::map<std::string, std::shared_ptr<Bastion>> bastions;

  Impl(const SshConfig& c, ResolveOptions o) : config(c), options(o) {}

  // The endpoint of the last hop in a ProxyJump list; earlier hops become its own jump.
  Endpoint jump_endpoint(const std::string& spec) const {
    std::vector<std::string> hops = split(spec, ',');
    std::string last = trim(hops.back());
    hops.pop_back();
    Overrides o;
    std::string host = last;
    if (auto at = host.rfind('@'); at != std::string::npos) {
      o.user = host.substr(0, at);
      host = host.substr(at + 1);
    }
    if (!host.empty() && host[0] == '[') {
      auto close = host.find(']');
      if (close != std::string::npos) {
        if (close + 2 < host.size() && host[close + 1] == ':') o.port = std::atoi(host.c_str() + close + 2);
        host = host.substr(1, close - 1);
      }
    } else if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) {
      o.port = std::atoi(host.c_str() + colon + 1);
      host = host.substr(0, colon);
    }
    if (!hops.empty()) o.proxy_jump = join(hops, ",");
    return config.resolve(host, o, options);
  }

  std::shared_ptr<Bastion> bastion_for(const Endpoint& jump, int depth) {
    std::string key = fmt::format("{}@{}:{} via {} policy {}", jump.user, jump.hostname, jump.port, jump.proxy_jump,
                                  to_string(jump.host_key_policy));
    std::lock_guard<std::mutex> lock(bastions_mutex);
    auto& slot = bastions[key];
    if (slot && slot->dead() && !slot->failed_to_connect()) slot.reset();  // dropped: reconnect
    if (!slot) {
      std::string label = endpoint_label(jump.name, jump.hostname, jump.port);
      slot = std::make_shared<Bastion>(label, jump.connect_timeout_s, [this, jump, depth](TimePoint deadline) {
        return open(jump, nullptr, deadline, depth + 1);
      });
    }
    return slot;
  }

  // Connects and authenticates; returns the raw libssh session and the bastion it rides on.
  Expected<OwnedSession, Failure> open(const Endpoint& ep, const std::atomic<bool>* cancel, TimePoint deadline,
                                      int depth, std::shared_ptr<Bastion>* via = nullptr,
                                      HostKeyCheck* key_only = nullptr) {
    if (depth > k_max_jump_depth)
      return unexpected(fail(FailureKind::protocol, fmt::format("ProxyJump chain for {} is longer than {} hops (a loop?)",
                                                                ep.name, k_max_jump_depth)));
    int fd = -1;
    if (ep.proxy_jump.empty()) {
      auto d = dial(ep.hostname, ep.port, deadline, cancel, ep.connect_timeout_s);
      if (!d) return unexpected(d.error());
      fd = *d;
    } else {
      auto bastion = bastion_for(jump_endpoint(ep.proxy_jump), depth);
      auto f = bastion->forward(ep.hostname, ep.port, deadline, cancel);
      if (!f) return unexpected(f.error());
      fd = *f;
      if (via) *via = bastion;
    }
    return handshake(ep, fd, cancel, deadline, key_only);
  }


  // Banner, key exchange, host key policy and auth over an open socket (which it takes over).
  // With `key_only`, stops after the key exchange and fills it in instead (no policy, no auth).
  Expected<OwnedSession, Failure> handshake(const Endpoint& ep, int fd, const std::atomic<bool>* cancel,
                                           TimePoint deadline, HostKeyCheck* key_only = nullptr) {
    OwnedSession h(ssh_new(), fd);
    if (!h.get()) return unexpected(fail(FailureKind::protocol, "out of memory creating an ssh session"));
    ssh_session s = h.get();
    set_endpoint_options(ep, s, deadline);
    KnownHostsView known_hosts_view(s, ep.known_hosts_files, known_hosts_name(ep.hostname, ep.port));
    if (auto f = set_algorithms(ep, s)) return unexpected(*f);
    socket_t sock = fd;
    ssh_options_set(s, SSH_OPTIONS_FD, &sock);  // `h` closes it after the session

    std::string label = endpoint_label(ep.name, ep.hostname, ep.port);
    // The connect timeout bounds a silent or stalled server: while it keeps sending, a handshake
    // slowed by load (hundreds at once on a small controller) goes on, up to 6 times the timeout.
    const milliseconds window(static_cast<long long>(ep.connect_timeout_s) * 1000);
    Watchdog::Guard watch(fd, deadline, cancel, window, deadline + 5 * window);
    auto interrupted = [&] { return interruption(watch, cancel, label, ep.connect_timeout_s); };

    int connected = ssh_connect(s);
    known_hosts_view.restore();
    if (connected != SSH_OK) {
      if (auto f = interrupted()) return unexpected(*f);
      return unexpected(connect_failure(s, label));
    }

    if (key_only) {
      *key_only = classify_host_key(ep, s, label);
      return h;
    }
    if (auto f = verify_host_key(ep, s, label)) return unexpected(*f);
    if (auto f = interrupted()) return unexpected(*f);
    if (auto f = authenticate(ep, s, label)) {
      if (auto g = interrupted()) return unexpected(*g);
      return unexpected(*f);
    }
    if (auto f = interrupted()) return unexpected(*f);
    return h;
  }
};

LibsshTransport::LibsshTransport(const SshConfig& config, ResolveOptions options)
    : m_impl(std::make_unique<Impl>(config, options)) {
  static std::once_flag once;
  std::call_once(once, [] {
    ssh_init();
    // Many sessions in flight need many descriptors: raise the soft limit to the hard one.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
  });
}

LibsshTransport::~LibsshTransport() = default;

Expected<std::unique_ptr<Session>, Failure> LibsshTransport::connect(const Endpoint& endpoint,
                                                                     const std::atomic<bool>* cancel) {
  auto start = Clock::now();
  TimePoint deadline = start + std::chrono::seconds(std::max(1, endpoint.connect_timeout_s));
  std::shared_ptr<Bastion> via;
  auto s = m_impl->open(endpoint, cancel, deadline, 0, &via);
  if (!s) return unexpected(s.error());
  auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  std::string label = endpoint_label(endpoint.name, endpoint.hostname, endpoint.port);
  return std::unique_ptr<Session>(std::make_unique<LibsshSession>(std::move(*s), elapsed, std::move(via), label));
}

HostKeyCheck LibsshTransport::check_host_key(const Endpoint& endpoint, const std::atomic<bool>* cancel) {
  TimePoint deadline = Clock::now() + std::chrono::seconds(std::max(1, endpoint.connect_timeout_s));
  HostKeyCheck check;
  check.known_hosts_name = known_hosts_name(endpoint.hostname, endpoint.port);
  auto s = m_impl->open(endpoint, cancel, deadline, 0, nullptr, &check);
  if (!s) {
    check.state = HostKeyCheck::State::unreachable;
    check.message = s.error().message;
  }
  return check;
}

} // namespace sshm::ssh
