#pragma once
// The local terminal during a session: raw mode that is always given back, its size, and the
// signals a session reacts to, turned into bytes on a pipe the session loop polls.
#include <termios.h>

namespace sshm::session {

// Puts `fd` in raw mode while it lives (when it is a terminal) and restores the saved
// settings on every way out: the destructor (normal end, exceptions), and SIGTERM, SIGHUP,
// SIGINT, SIGQUIT through SignalPipe's orderly stop. A fatal signal (SIGSEGV, SIGBUS,
// SIGFPE, SIGILL, SIGABRT) restores them in its handler before the default action runs.
class RawTerminal {
public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return m_active; }
  // Restores the saved settings now (idempotent).
  void restore();

private:
  int m_fd;
  bool m_active = false;
  termios m_saved{};
};

// The size of the terminal on `fd`, or 80x24 when it is not one.
struct WindowSize {
  int cols = 80, rows = 24;
};
WindowSize window_size(int fd);

// SIGWINCH, SIGTERM, SIGHUP, SIGINT and SIGQUIT written as one byte each to a pipe while
// it lives; the previous handlers come back afterwards. One at a time per process.
class SignalPipe {
public:
  SignalPipe();
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;
  int fd() const { return m_fds[0]; }
  // The next signal that arrived, 0 when none is waiting.
  int next();

private:
  int m_fds[2] = {-1, -1};
};

} // namespace sshm::session
