#include "ssh/interactive.hpp"

#include "ssh/libssh_common.hpp"
#include "ssh/libssh_session.hpp"

#include <fmt/format.h>
#include <libssh/callbacks.h>

namespace sshm::ssh {

namespace {

class LibsshChannel final : public Channel {
public:
  LibsshChannel(ssh_session session, std::string label) : m_session(session), m_label(std::move(label)) {
    m_callbacks.userdata = this;
    m_callbacks.channel_exit_status_function = [](ssh_session, ssh_channel, int status, void* ud) {
      static_cast<LibsshChannel*>(ud)->m_exit_status = status;
    };
    m_callbacks.channel_exit_signal_function = [](ssh_session, ssh_channel, const char* signal, int, const char*,
                                                  const char*, void* ud) {
      static_cast<LibsshChannel*>(ud)->m_exit_signal = signal ? signal : "";
    };
    ssh_callbacks_init(&m_callbacks);
  }
  ~LibsshChannel() override {
    if (!m_channel) return;
    // A channel freed before the host closed it stays in libssh's list until the host's
    // close arrives; the packets behind it must not call into this object once it is gone.
    ssh_remove_channel_callbacks(m_channel, &m_callbacks);
    if (ssh_is_connected(m_session)) ssh_channel_close(m_channel);
    ssh_channel_free(m_channel);
  }
  LibsshChannel(const LibsshChannel&) = delete;
  LibsshChannel& operator=(const LibsshChannel&) = delete;

  // Creates the channel with the exit callbacks installed before any request.
  std::optional<Failure> create() {
    m_channel = ssh_channel_new(m_session);
    if (!m_channel) return failure("cannot create a channel");
    ssh_set_channel_callbacks(m_channel, &m_callbacks);
    return std::nullopt;
  }

  Failure failure(const char* what) const {
    if (!ssh_is_connected(m_session))
      return fail(FailureKind::dropped, fmt::format("connection to {} was lost", m_label));
    return fail(FailureKind::channel, fmt::format("{} on {}: {}", what, m_label, ssh_get_error(m_session)));
  }

  ssh_channel get() const { return m_channel; }

  int fd() const override { return ssh_get_fd(m_session); }

  int read(char* buf, size_t size, bool is_stderr) override {
    int n = ssh_channel_read_nonblocking(m_channel, buf, static_cast<std::uint32_t>(size), is_stderr ? 1 : 0);
    if (n == SSH_ERROR) return -1;
    if (n == 0 && !ssh_is_connected(m_session)) return -1;
    return n < 0 ? 0 : n;
  }

  bool write(std::string_view data) override {
    size_t sent = 0;
    while (sent < data.size()) {
      int w = ssh_channel_write(m_channel, data.data() + sent, static_cast<std::uint32_t>(data.size() - sent));
      if (w < 0) return false;
      sent += static_cast<size_t>(w);
    }
    return true;
  }

  void send_eof() override {
    if (ssh_channel_is_open(m_channel)) ssh_channel_send_eof(m_channel);
  }

  void resize(int cols, int rows) override { ssh_channel_change_pty_size(m_channel, cols, rows); }

  bool finished() override {
    if (ssh_channel_is_closed(m_channel)) return ssh_channel_poll(m_channel, 0) <= 0;
    // A shell's end is its exit status (sshd sends EOF when the terminal closes, the
    // status after); a forwarded connection has none and ends with EOF.
    if (!ssh_channel_is_eof(m_channel) || ssh_channel_poll(m_channel, 0) > 0 || ssh_channel_poll(m_channel, 1) > 0)
      return false;
    if (m_wants_exit && !m_exit_status && m_exit_signal.empty()) {
      // Reading stops at EOF, so nothing else handles the packets behind it: wait for the
      // status (or the close) here; sshd sends it right after.
      int status = ssh_channel_get_exit_status(m_channel);
      if (status >= 0 && m_exit_signal.empty()) m_exit_status = status;
    }
    return true;
  }

  void wants_exit_status() { m_wants_exit = true; }

  std::optional<int> exit_status() const override { return m_exit_status; }
  std::string exit_signal() const override { return m_exit_signal; }

private:
  ssh_session m_session;
  std::string m_label;
  ssh_channel m_channel = nullptr;
  ssh_channel_callbacks_struct m_callbacks{};
  std::optional<int> m_exit_status;
  std::string m_exit_signal;
  bool m_wants_exit = false;
};

// The libssh session under a Session from LibsshTransport, or a failure for other transports.
Expected<LibsshSession*, Failure> native(Session& session) {
  auto* s = dynamic_cast<LibsshSession*>(&session);
  if (!s) return unexpected(fail(FailureKind::channel, "this transport has no interactive channels"));
  if (!ssh_is_connected(s->native()))
    return unexpected(fail(FailureKind::dropped, fmt::format("connection to {} was lost", s->label())));
  return s;
}

} // namespace

Expected<std::unique_ptr<Channel>, Failure> open_shell(Session& session, const ShellRequest& request) {
  auto s = native(session);
  if (!s) return unexpected(s.error());
  auto channel = std::make_unique<LibsshChannel>((*s)->native(), (*s)->label());
  if (auto f = channel->create()) return unexpected(*f);
  channel->wants_exit_status();
  ssh_channel c = channel->get();
  if (ssh_channel_open_session(c) != SSH_OK) return unexpected(channel->failure("cannot open a session channel"));
  if (request.pty &&
      ssh_channel_request_pty_size(c, request.term.c_str(), request.cols, request.rows) != SSH_OK)
    return unexpected(channel->failure("the server refused a terminal"));
  int started = request.command.empty() ? ssh_channel_request_shell(c)
                                        : ssh_channel_request_exec(c, request.command.c_str());
  if (started != SSH_OK) return unexpected(channel->failure("the server refused to start the shell"));
  return std::unique_ptr<Channel>(std::move(channel));
}

Expected<std::unique_ptr<Channel>, Failure> open_forward(Session& session, const std::string& host, int port) {
  auto s = native(session);
  if (!s) return unexpected(s.error());
  auto channel = std::make_unique<LibsshChannel>((*s)->native(), (*s)->label());
  if (auto f = channel->create()) return unexpected(*f);
  if (ssh_channel_open_forward(channel->get(), host.c_str(), port, "127.0.0.1", 0) != SSH_OK)
    return unexpected(channel->failure(fmt::format("cannot forward to {}", host_port(host, port)).c_str()));
  return std::unique_ptr<Channel>(std::move(channel));
}

} // namespace sshm::ssh
