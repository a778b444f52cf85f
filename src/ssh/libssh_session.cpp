#include "ssh/libssh_session.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <libssh/callbacks.h>

namespace sshm::ssh {

Expected<ExecResult, Failure> LibsshSession::exec(const ExecRequest& request) {
  if (!ssh_is_connected(m_session))
    return unexpected(fail(FailureKind::dropped, fmt::format("connection to {} was lost", m_label)));
  TimePoint deadline = request.timeout.count() > 0 ? Clock::now() + request.timeout : TimePoint::max();
  // The state and callbacks outlive the channel (libssh keeps a pointer to them until it is
  // freed) and are installed before the exec request: a command that ends at once (sudo
  // refusing, `true` without stdin) sends exit-status while libssh waits for the reply.
  ExitState state;
  state.request = &request;
  ssh_channel_callbacks_struct callbacks{};
  callbacks.userdata = &state;
  // Output goes to the request's sinks from inside libssh's packet handling, as each packet is
  // read, so it never waits in the channel's buffer: memory per channel stays at one packet
  // however fast the host writes (libssh pulls from the socket only when this thread polls,
  // and the SSH window holds the rest in the kernel and on the host).
  callbacks.channel_data_function = [](ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr,
                                       void* ud) -> int {
    auto* s = static_cast<ExitState*>(ud);
    const auto& sink = is_stderr ? s->request->on_stderr : s->request->on_stdout;
    if (sink) sink(std::string_view(static_cast<const char*>(data), len));
    return static_cast<int>(len);
  };
  callbacks.channel_exit_status_function = [](ssh_session, ssh_channel, int status, void* ud) {
    auto* s = static_cast<ExitState*>(ud);
    s->exit_status = status;
    s->got_exit = true;
  };
  callbacks.channel_exit_signal_function = [](ssh_session, ssh_channel, const char* signal, int, const char*,
                                              const char*, void* ud) {
    auto* s = static_cast<ExitState*>(ud);
    s->exit_signal = signal ? signal : "";
    s->got_exit = true;
  };
  ssh_callbacks_init(&callbacks);
  ssh_channel channel = ssh_channel_new(m_session);
  if (!channel) return unexpected(channel_failure("cannot create a channel"));
  // The callbacks go first: a channel freed before the host closed it stays in libssh's list
  // until it does, and its late packets (output of a step that timed out) must not reach
  // this call's state after it returned.
  struct ChannelGuard {
    ssh_channel c;
    ssh_channel_callbacks cb;
    ~ChannelGuard() {
      ssh_remove_channel_callbacks(c, cb);
      ssh_channel_close(c);
      ssh_channel_free(c);
    }
  } guard{channel, &callbacks};

  ssh_set_channel_callbacks(channel, &callbacks);

  if (ssh_channel_open_session(channel) != SSH_OK) return unexpected(channel_failure("cannot open a session channel"));
  if (ssh_channel_request_exec(channel, request.command.c_str()) != SSH_OK)
    return unexpected(channel_failure("the server refused to run the command"));

  ssh_event event = ssh_event_new();
  ssh_event_add_session(event, m_session);
  struct EventGuard {
    ssh_event e;
    ssh_session s;
    ~EventGuard() {
      ssh_event_remove_session(e, s);
      ssh_event_free(e);
    }
  } event_guard{event, m_session};
  return run_channel(channel, event, request, state, deadline);
}

Expected<ExecResult, Failure> LibsshSession::run_channel(ssh_channel channel, ssh_event event,
                                                         const ExecRequest& request, const ExitState& state,
                                                         TimePoint deadline) {
  ExecResult result;
  size_t sent = 0;
  bool eof_sent = false;
  char buf[k_io_chunk];
  for (;;) {
    if (!eof_sent && !feed_stdin(channel, request, sent, eof_sent)) return unexpected(lost());
    int progress = drain(channel, request, buf);
    if (progress < 0) return unexpected(lost());
    if (is_cancelled(request.cancel)) {
      result.cancelled = true;
      return result;
    }
    if (Clock::now() >= deadline) {
      result.timed_out = true;
      return result;
    }
    if (progress > 0) continue;
    if (ssh_channel_is_closed(channel) || (ssh_channel_is_eof(channel) && state.got_exit)) break;
    if (!ssh_is_connected(m_session)) return unexpected(lost());
    int wait = deadline == TimePoint::max() ? 200 : std::min(200, std::max(1, remaining_ms(deadline)));
    if (ssh_event_dopoll(event, wait) == SSH_ERROR && !ssh_is_connected(m_session)) return unexpected(lost());
  }
  result.exit_status = state.exit_status;
  result.exit_signal = state.exit_signal;
  if (!state.got_exit && !ssh_is_connected(m_session)) return unexpected(lost());
  return result;
}

bool LibsshSession::feed_stdin(ssh_channel channel, const ExecRequest& request, size_t& sent, bool& eof_sent) {
  if (sent < request.stdin_data.size()) {
    std::uint32_t window = ssh_channel_window_size(channel);
    if (window > 0) {
      size_t n = std::min<size_t>({window, k_io_chunk, request.stdin_data.size() - sent});
      int w = ssh_channel_write(channel, request.stdin_data.data() + sent, static_cast<std::uint32_t>(n));
      if (w < 0) return false;
      sent += static_cast<size_t>(w);
    }
  }
  if (sent == request.stdin_data.size()) {
    ssh_channel_send_eof(channel);
    eof_sent = true;
  }
  return true;
}

int LibsshSession::drain(ssh_channel channel, const ExecRequest& request, char (&buf)[k_io_chunk]) {
  int progress = 0;
  for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
    for (int i = 0; i < 16; ++i) {
      int n = ssh_channel_read_nonblocking(channel, buf, sizeof buf, is_stderr);
      if (n == SSH_ERROR) return -1;
      if (n <= 0) break;
      progress = 1;
      const auto& sink = is_stderr ? request.on_stderr : request.on_stdout;
      if (sink) sink(std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  return progress;
}

Failure LibsshSession::lost() const {
  return fail(FailureKind::dropped, fmt::format("connection to {} was lost while the command ran", m_label));
}

Failure LibsshSession::channel_failure(const char* what) const {
  if (!ssh_is_connected(m_session)) return lost();
  return fail(FailureKind::channel, fmt::format("{} on {}: {}", what, m_label, ssh_get_error(m_session)));
}

} // namespace sshm::ssh
