#include "ssh/bastion.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace sshm::ssh {

namespace {

constexpr size_t k_forward_buffer_limit = 256 * 1024;

} // namespace

Bastion::Bastion(std::string label, int connect_timeout_s, Connector connector)
    : m_label(std::move(label)), m_timeout_s(connect_timeout_s), m_connector(std::move(connector)) {
  m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  m_thread = std::thread([this] { run(); });
}

Bastion::~Bastion() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  wake();
  m_thread.join();
  close_fd(m_wake);
}

Expected<int, Failure> Bastion::forward(const std::string& host, int port, TimePoint deadline,
                                        const std::atomic<bool>* cancel) {
  auto req = std::make_shared<Request>();
  req->host = host;
  req->port = port;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_dead) return unexpected(m_dead_failure);
    m_requests.push_back(req);
  }
  wake();
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!req->done) {
    if (is_cancelled(cancel) || Clock::now() >= deadline) {
      req->abandoned = true;
      if (is_cancelled(cancel)) return unexpected(fail(FailureKind::cancelled, "cancelled while opening a channel"));
      return unexpected(fail(FailureKind::connect_timeout,
                             fmt::format("jump host {} did not connect to {} within the connect timeout", m_label,
                                         host_port(host, port))));
    }
    m_cv.wait_for(lock, milliseconds(std::min(100, std::max(1, remaining_ms(deadline)))));
  }
  if (req->fd < 0) return unexpected(req->failure);
  return req->fd;
}

bool Bastion::dead() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_dead;
}

bool Bastion::failed_to_connect() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_dead && !m_was_up;
}

void Bastion::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(m_wake, &one, sizeof one);
}

void Bastion::finish(const std::shared_ptr<Request>& req, int fd, Failure failure) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (req->abandoned) {
    if (fd >= 0) ::close(fd);
  } else {
    req->fd = fd;
    req->failure = std::move(failure);
  }
  req->done = true;
  m_cv.notify_all();
}

void Bastion::die(Failure failure) {
  std::deque<std::shared_ptr<Request>> pending;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_dead = true;
    m_dead_failure = failure;
    pending.swap(m_requests);
  }
  for (auto& r : pending) finish(r, -1, failure);
}

Failure Bastion::open_failure(const std::string& target, const std::string& error, const std::string& label) {
  std::string l = to_lower(error);
  FailureKind kind = FailureKind::channel;
  if (l.find("refused") != std::string::npos) kind = FailureKind::connect_refused;
  else if (l.find("name") != std::string::npos || l.find("resolve") != std::string::npos ||
           l.find("lookup") != std::string::npos)
    kind = FailureKind::resolve;
  else if (l.find("timed out") != std::string::npos || l.find("timeout") != std::string::npos)
    kind = FailureKind::connect_timeout;
  return fail(kind, fmt::format("jump host {} could not reach {}: {}", label, target, error));
}

void Bastion::run() {
  TimePoint deadline = Clock::now() + std::chrono::seconds(m_timeout_s);
  auto connected = m_connector(deadline);
  if (!connected) {
    Failure f = connected.error();
    f.message = fmt::format("jump host {}: {}", m_label, f.message);
    die(f);
    return;
  }
  OwnedSession owned = std::move(*connected);
  ssh_session session = owned.get();
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_was_up = true;
  }
  ssh_set_blocking(session, 0);
  ssh_event event = ssh_event_new();
  ssh_event_add_session(event, session);
  std::list<Forward> forwards;
  bool alive = true;
  while (alive) {
    if (!take_requests(session, forwards)) break;
    // Progress every forward: open channels, move bytes both ways, notice EOF.
    bool opening = false;
    for (auto& f : forwards) {
      if (!f.open) opening = try_open(session, f) || opening;
      if (!f.open || f.done) continue;
      pump(f);
    }
    reap(forwards);
    wait_for_io(session, forwards, opening);
    if (ssh_event_dopoll(event, 0) == SSH_ERROR || !ssh_is_connected(session)) alive = false;
  }
  shut_down(forwards);
  ssh_event_remove_session(event, session);
  ssh_event_free(event);
}

// Takes the requests queued since the last round, each with a new channel; false when the
// bastion is stopping.
bool Bastion::take_requests(ssh_session session, std::list<Forward>& forwards) {
  std::deque<std::shared_ptr<Request>> fresh;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_stop) return false;
    fresh.swap(m_requests);
  }
  for (auto& r : fresh) {
    Forward f;
    f.request = r;
    f.channel = ssh_channel_new(session);
    if (!f.channel) {
      finish(r, -1, fail(FailureKind::channel, fmt::format("jump host {}: cannot create a channel", m_label)));
      continue;
    }
    forwards.push_back(std::move(f));
  }
  return true;
}

// Opens a forward's channel without blocking; true while the open is still under way. Once
// open, the caller gets its end of a socketpair; on failure, the reason and `done`.
bool Bastion::try_open(ssh_session session, Forward& f) {
  bool gone = false;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    gone = f.request->abandoned;
  }
  if (gone) {
    f.done = true;
    return false;
  }
  int rc = ssh_channel_open_forward(f.channel, f.request->host.c_str(), f.request->port, "127.0.0.1", 22);
  if (rc == SSH_AGAIN) return true;
  if (rc != SSH_OK) {
    finish(f.request, -1, open_failure(host_port(f.request->host, f.request->port), ssh_get_error(session), m_label));
    f.done = true;
    return false;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    finish(f.request, -1, fail(FailureKind::channel, fmt::format("socketpair: {}", std::strerror(errno))));
    f.done = true;
    return false;
  }
  ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
  f.fd = pair[0];
  f.open = true;
  finish(f.request, pair[1], Failure{FailureKind::channel, ""});
  return false;
}

// Moves what is ready between an open forward's socket and its channel, and passes EOF on.
void Bastion::pump(Forward& f) {
  // Socket -> channel, only as much as the window takes.
  if (!f.sock_eof) {
    std::uint32_t window = ssh_channel_window_size(f.channel);
    if (window > 0) {
      ssize_t n = ::recv(f.fd, m_buf, std::min<size_t>(window, sizeof m_buf), 0);
      if (n > 0) {
        if (ssh_channel_write(f.channel, m_buf, static_cast<std::uint32_t>(n)) < 0) f.done = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        f.sock_eof = true;  // the target session went away: close the channel
        f.done = true;
      }
    }
  }
  // Channel -> socket, bounded by our buffer.
  while (!f.done && f.to_sock.size() < k_forward_buffer_limit) {
    int n = ssh_channel_read_nonblocking(f.channel, m_buf, sizeof m_buf, 0);
    if (n > 0) {
      f.to_sock.append(m_buf, static_cast<size_t>(n));
    } else {
      if (n < 0 && !ssh_channel_is_eof(f.channel)) f.done = true;
      break;
    }
  }
  if (!f.to_sock.empty()) {
    ssize_t n = ::send(f.fd, f.to_sock.data(), f.to_sock.size(), MSG_NOSIGNAL);
    if (n > 0) f.to_sock.erase(0, static_cast<size_t>(n));
    else if (n < 0 && errno != EAGAIN && errno != EINTR) f.done = true;
  }
  if (f.to_sock.empty() && !f.chan_eof_sent_to_sock &&
      (ssh_channel_is_eof(f.channel) || ssh_channel_is_closed(f.channel))) {
    ::shutdown(f.fd, SHUT_WR);
    f.chan_eof_sent_to_sock = true;
  }
}

// Closes and drops the forwards that are done.
void Bastion::reap(std::list<Forward>& forwards) {
  for (auto it = forwards.begin(); it != forwards.end();) {
    if (it->done) {
      if (it->channel) {
        if (it->open) ssh_channel_close(it->channel);
        ssh_channel_free(it->channel);
      }
      close_fd(it->fd);
      it = forwards.erase(it);
    } else {
      ++it;
    }
  }
}

// Waits for the bastion socket, our sockets, or a new request.
void Bastion::wait_for_io(ssh_session session, const std::list<Forward>& forwards, bool opening) {
  std::vector<pollfd> fds;
  fds.push_back({m_wake, POLLIN, 0});
  short session_events = POLLIN;
  if (ssh_get_poll_flags(session) & SSH_WRITE_PENDING) session_events |= POLLOUT;
  fds.push_back({ssh_get_fd(session), session_events, 0});
  for (const auto& f : forwards) {
    if (!f.open) continue;
    short ev = 0;
    if (!f.sock_eof && ssh_channel_window_size(f.channel) > 0) ev |= POLLIN;
    if (!f.to_sock.empty()) ev |= POLLOUT;
    fds.push_back({f.fd, ev, 0});
  }
  ::poll(fds.data(), fds.size(), opening ? 20 : 500);
  if (fds[0].revents & POLLIN) {
    std::uint64_t v = 0;
    [[maybe_unused]] ssize_t n = ::read(m_wake, &v, sizeof v);
  }
}

// The session is gone or stopping: fail what waits, free every channel and socket.
void Bastion::shut_down(std::list<Forward>& forwards) {
  Failure lost = fail(FailureKind::dropped, fmt::format("connection to jump host {} was lost", m_label));
  die(lost);
  for (auto& f : forwards) {
    if (!f.open) finish(f.request, -1, lost);
    if (f.channel) ssh_channel_free(f.channel);
    close_fd(f.fd);
  }
}

} // namespace sshm::ssh
