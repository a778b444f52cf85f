#include "session/port_forward.hpp"

#include "session/terminal.hpp"
#include "ssh/interactive.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <list>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace sshm::session {

namespace {

// Bytes from the host kept for a client that reads slowly, before the channel is left unread.
constexpr size_t k_client_buffer = 1024 * 1024;

// One local client and its channel.
struct Connection {
  int fd = -1;
  std::unique_ptr<ssh::Channel> channel;
  std::string to_client;
  bool client_eof = false;
  bool done = false;
  size_t number = 0;
};

// A listening socket on bind:port (port 0: any free one); -1 with `error` set on failure.
int listen_on(const std::string& bind, int port, int& bound, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, bind.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    error = fmt::format("'{}' is not an IPv4 address", bind);
    return -1;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound = ntohs(addr.sin_port);
  return fd;
}

class Forwarder {
public:
  Forwarder(ssh::Session& session, const ForwardSpec& spec, TranscriptWriter& transcript)
      : m_session(session), m_spec(spec), m_transcript(transcript) {}
  ~Forwarder() {
    for (auto& c : m_conns) close_client(c);
    if (m_listen >= 0) ::close(m_listen);
  }
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  ForwardEnd run(const std::function<void(int)>& on_listening) {
    int bound = 0;
    std::string error;
    m_listen = listen_on(m_spec.bind, m_spec.local_port, bound, error);
    if (m_listen < 0)
      return {"Failed", fmt::format("cannot listen on {}:{}: {}", m_spec.bind, m_spec.local_port, error), 0, 0};
    if (on_listening) on_listening(bound);
    SignalPipe signals;
    while (!m_end) {
      for (auto& c : m_conns) pump(c);
      m_conns.remove_if([](const Connection& c) { return c.done; });
      if (!m_end) wait(signals);
    }
    m_end->connections = m_accepted;
    m_end->failed = m_failed;
    return *m_end;
  }

private:
  void close_client(Connection& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.channel.reset();
    if (!c.done) m_transcript.note(fmt::format("connection {} closed", c.number));
    c.done = true;
  }

  void accept_clients() {
    for (;;) {
      int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      size_t number = ++m_accepted;
      auto ch = ssh::open_forward(m_session, m_spec.host, m_spec.port);
      if (!ch) {
        ++m_failed;
        m_transcript.note(fmt::format("connection {} refused by the host: {}", number, ch.error().message));
        ::close(fd);
        if (ch.error().kind == ssh::FailureKind::dropped) m_end = ForwardEnd{"Failed", ch.error().message, 0, 0};
        continue;
      }
      m_transcript.note(fmt::format("connection {} accepted", number));
      m_conns.push_back(Connection{fd, std::move(*ch), "", false, false, number});
    }
  }

  // Moves what is waiting both ways for one connection; closes it once both sides are done.
  void pump(Connection& c) {
    if (c.done) return;
    char buf[32 * 1024];
    while (c.to_client.size() < k_client_buffer) {
      int n = c.channel->read(buf, sizeof buf);
      if (n < 0) {
        m_end = ForwardEnd{"Failed", "the connection to the host was lost", 0, 0};
        return;
      }
      if (n == 0) break;
      c.to_client.append(buf, static_cast<size_t>(n));
    }
    while (!c.to_client.empty()) {
      ssize_t w = ::send(c.fd, c.to_client.data(), c.to_client.size(), MSG_NOSIGNAL);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (w <= 0) return close_client(c);
      c.to_client.erase(0, static_cast<size_t>(w));
    }
    if (c.to_client.empty() && c.channel->finished()) close_client(c);
  }

  void from_client(Connection& c) {
    char buf[32 * 1024];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      c.client_eof = true;
      if (n < 0) return close_client(c);
      c.channel->send_eof();
      return;
    }
    if (!c.channel->write(std::string_view(buf, static_cast<size_t>(n)))) close_client(c);
  }

  void wait(SignalPipe& signals) {
    std::vector<pollfd> fds = {{m_listen, POLLIN, 0}, {signals.fd(), POLLIN, 0}, {m_session_fd(), POLLIN, 0}};
    std::vector<Connection*> polled;
    for (auto& c : m_conns) {
      short events = static_cast<short>((c.client_eof ? 0 : POLLIN) | (c.to_client.empty() ? 0 : POLLOUT));
      fds.push_back({c.fd, events, 0});
      polled.push_back(&c);
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0) return;
    if (fds[1].revents & POLLIN) {
      while (int sig = signals.next())
        if (sig != SIGWINCH) m_end = ForwardEnd{"Terminated", "the session was ended (signal)", 0, 0};
      if (m_end) return;
    }
    for (size_t i = 0; i < polled.size(); ++i)
      if (!polled[i]->done && (fds[3 + i].revents & (POLLIN | POLLHUP | POLLERR))) from_client(*polled[i]);
    if (fds[0].revents & POLLIN) accept_clients();
  }

  // The session's socket, through a channel-less look at it: any open channel has it.
  int m_session_fd() const { return m_conns.empty() ? -1 : m_conns.front().channel->fd(); }

  ssh::Session& m_session;
  const ForwardSpec& m_spec;
  TranscriptWriter& m_transcript;
  int m_listen = -1;
  std::list<Connection> m_conns;
  size_t m_accepted = 0, m_failed = 0;
  std::optional<ForwardEnd> m_end;
};

// Writes all of `data` to `fd` (blocking); false when the reader went away.
bool write_fully(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Moves what the host sent to `out`; the end when the channel closed or the reader left.
std::optional<ForwardEnd> channel_to_out(ssh::Channel& channel, int out) {
  char buf[32 * 1024];
  for (;;) {
    int n = channel.read(buf, sizeof buf);
    if (n < 0) return ForwardEnd{"Failed", "the connection to the host was lost", 1, 0};
    if (n == 0) break;
    if (!write_fully(out, std::string_view(buf, static_cast<size_t>(n))))
      return ForwardEnd{"Terminated", "the local side closed its output", 1, 0};
  }
  if (channel.finished()) return ForwardEnd{"Terminated", "the host closed the connection", 1, 0};
  return std::nullopt;
}

// SIGPIPE ignored while it lives: a reader of stdout that went away (ssh ended) is an end of
// the session, not a death of sshm that would leave it recorded as Connected.
class IgnorePipe {
public:
  IgnorePipe() {
    struct sigaction ignore{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &m_old);
  }
  ~IgnorePipe() { ::sigaction(SIGPIPE, &m_old, nullptr); }
  IgnorePipe(const IgnorePipe&) = delete;
  IgnorePipe& operator=(const IgnorePipe&) = delete;

private:
  struct sigaction m_old{};
};

} // namespace

ForwardEnd run_stdio_forward(ssh::Session& session, const ForwardSpec& spec, TranscriptWriter& transcript, int in,
                             int out) {
  auto ch = ssh::open_forward(session, spec.host, spec.port);
  if (!ch) return {"Failed", fmt::format("the host could not open {}:{}: {}", spec.host, spec.port, ch.error().message), 1, 1};
  transcript.note(fmt::format("stdin/stdout connected to {}:{}", spec.host, spec.port));
  ssh::Channel& channel = **ch;
  SignalPipe signals;
  IgnorePipe no_sigpipe;
  bool in_open = true;
  for (;;) {
    if (auto end = channel_to_out(channel, out)) return *end;
    pollfd fds[3] = {{channel.fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}, {in_open ? in : -1, POLLIN, 0}};
    if (::poll(fds, 3, 50) <= 0) continue;
    if (fds[1].revents & POLLIN)
      while (int sig = signals.next())
        if (sig != SIGWINCH) return {"Terminated", "the session was ended (signal)", 1, 0};
    if (!(fds[2].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[32 * 1024];
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {  // the local side is done sending: say so and wait for the host's end
      in_open = false;
      channel.send_eof();
    } else if (!channel.write(std::string_view(buf, static_cast<size_t>(n)))) {
      return {"Failed", "the connection to the host was lost", 1, 0};
    }
  }
}

ForwardEnd run_port_forward(ssh::Session& session, const ForwardSpec& spec, TranscriptWriter& transcript,
                            const std::function<void(int)>& on_listening) {
  Forwarder f(session, spec, transcript);
  return f.run(on_listening);
}

} // namespace sshm::session
