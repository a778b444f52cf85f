#include "session/shell.hpp"

#include "session/keys.hpp"
#include "session/terminal.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

namespace sshm::session {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::seconds;

seconds warning_lead(seconds limit) { return limit >= seconds(120) ? seconds(60) : limit / 2; }

namespace {

// Writes all of `data` to `fd`; a terminal that went away is not an error here.
void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

class ShellLoop {
public:
  ShellLoop(ssh::Channel& channel, const ShellIo& io, const Limits& limits, TranscriptWriter& transcript,
            const std::function<void(std::string_view)>& on_output)
      : m_channel(channel), m_io(io), m_limits(limits), m_transcript(transcript), m_on_output(on_output),
        m_start(SteadyClock::now()), m_last_activity(m_start) {}

  ShellEnd run() {
    RawTerminal raw(m_io.pty ? m_io.in : -1);
    SignalPipe signals;
    if (!m_io.pty) m_channel.send_eof();
    while (!m_end) {
      if (!drain_channel()) break;
      if (m_channel.finished()) {
        finish_remote();
        break;
      }
      check_limits();
      if (m_end) break;
      wait(signals);
    }
    raw.restore();
    return *m_end;
  }

private:
  void end(std::string status, std::string reason) {
    if (!m_end) m_end = ShellEnd{std::move(status), std::move(reason), std::nullopt, ""};
  }

  // Everything the host sent so far, to the terminal and the transcript; false when lost.
  bool drain_channel() {
    char buf[32 * 1024];
    for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
      for (int i = 0; i < 64; ++i) {
        int n = m_channel.read(buf, sizeof buf, is_stderr == 1);
        if (n < 0) {
          end("Failed", "the connection to the host was lost");
          return false;
        }
        if (n == 0) break;
        std::string_view piece(buf, static_cast<size_t>(n));
        m_transcript.input(m_gate.echoed(piece));
        m_transcript.output(piece);
        if (m_on_output) m_on_output(piece);
        write_all(is_stderr ? m_io.err : m_io.out, piece);
        m_last_activity = SteadyClock::now();
        if (!m_first_sent) send_first_keys();
      }
    }
    return true;
  }

  void finish_remote() {
    m_end = ShellEnd{"Terminated", "", m_channel.exit_status(), m_channel.exit_signal()};
    if (m_end->exit_status) m_end->reason = fmt::format("the shell exited with status {}", *m_end->exit_status);
    else if (!m_end->exit_signal.empty()) m_end->reason = fmt::format("the shell was killed by SIG{}", m_end->exit_signal);
    else m_end->reason = "the host closed the session";
  }

  void send_first_keys() {
    m_first_sent = true;
    if (m_io.first_keys.empty()) return;
    m_gate.typed(m_io.first_keys);
    if (!m_channel.write(m_io.first_keys)) end("Failed", "the connection to the host was lost");
  }

  void on_keys() {
    char buf[4096];
    ssize_t n = ::read(m_io.in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {  // the local side closed: like ssh, pass EOF on and wait for the host
      m_stdin_open = false;
      m_channel.send_eof();
      return;
    }
    bool leave = false;
    std::string keys = m_escape.feed(std::string_view(buf, static_cast<size_t>(n)), leave);
    if (!keys.empty()) {
      m_gate.typed(keys);
      if (!m_channel.write(keys)) end("Failed", "the connection to the host was lost");
      m_last_activity = SteadyClock::now();
    }
    if (leave) end("Terminated", "left with ~.");
  }

  void on_signal(int sig) {
    if (sig == SIGWINCH) {
      WindowSize s = window_size(m_io.in);
      m_channel.resize(s.cols, s.rows);
      return;
    }
    end("Terminated", fmt::format("sshm got signal {}", sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP"
                                                         : sig == SIGINT ? "SIGINT" : "SIGQUIT"));
  }

  void say(const std::string& text) {
    m_transcript.note(text);
    write_all(m_io.pty ? m_io.out : m_io.err, "\r\n" + text + "\r\n");
  }

  // idleSessionTimeout and maxSessionDuration: a warning first, then the end.
  void check_limits() {
    auto now = SteadyClock::now();
    check_limit(m_limits.idle, now - m_last_activity, m_idle_warned, "idle", "idleSessionTimeout");
    if (m_end) return;
    check_limit(m_limits.max_duration, now - m_start, m_max_warned, "open", "maxSessionDuration");
  }

  void check_limit(seconds limit, SteadyClock::duration spent, bool& warned, const char* state, const char* name) {
    if (limit.count() <= 0) return;
    if (spent >= limit) {
      say(fmt::format("sshm: the session was {} for {} s ({}): closing it", state, limit.count(), name));
      end("Terminated", fmt::format("{} of {} s reached", name, limit.count()));
      return;
    }
    if (spent < limit - warning_lead(limit)) {
      if (spent < limit / 4) warned = false;  // activity again: warn again next time
      return;
    }
    if (warned) return;
    warned = true;
    auto left = std::chrono::duration_cast<seconds>(limit - spent).count();
    say(fmt::format("sshm: this session ends in {} s ({} {} s)", std::max<long long>(1, left), name, limit.count()));
  }

  // Until keys, output, a signal or the next limit check.
  void wait(SignalPipe& signals) {
    pollfd fds[3] = {{m_channel.fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}, {-1, POLLIN, 0}};
    if (m_io.pty && m_stdin_open) fds[2].fd = m_io.in;
    int r = ::poll(fds, 3, 100);
    if (r <= 0) return;
    if (fds[1].revents & POLLIN)
      while (int sig = signals.next()) on_signal(sig);
    if (!m_end && fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) on_keys();
  }

  ssh::Channel& m_channel;
  const ShellIo& m_io;
  const Limits& m_limits;
  TranscriptWriter& m_transcript;
  const std::function<void(std::string_view)>& m_on_output;
  SteadyClock::time_point m_start, m_last_activity;
  EscapeReader m_escape;
  EchoGate m_gate;
  bool m_stdin_open = true;
  bool m_first_sent = false;
  bool m_idle_warned = false, m_max_warned = false;
  std::optional<ShellEnd> m_end;
};

} // namespace

ShellEnd run_shell(ssh::Channel& channel, const ShellIo& io, const Limits& limits, TranscriptWriter& transcript,
                   const std::function<void(std::string_view)>& on_output) {
  ShellLoop loop(channel, io, limits, transcript, on_output);
  return loop.run();
}

} // namespace sshm::session
