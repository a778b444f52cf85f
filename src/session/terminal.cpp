#include "session/terminal.hpp"

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sshm::session {

namespace {

// What a fatal signal handler restores: set while a RawTerminal is active.
std::atomic<int> g_raw_fd{-1};
termios g_raw_saved{};
std::atomic<int> g_signal_write{-1};

constexpr int k_fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int k_forwarded[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT};
struct sigaction g_previous_fatal[sizeof k_fatal / sizeof k_fatal[0]];
struct sigaction g_previous_forwarded[sizeof k_forwarded / sizeof k_forwarded[0]];

extern "C" void restore_then_die(int sig) {
  int fd = g_raw_fd.load();
  if (fd >= 0) ::tcsetattr(fd, TCSAFLUSH, &g_raw_saved);  // async-signal-safe
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

extern "C" void forward_signal(int sig) {
  int saved_errno = errno;
  int fd = g_signal_write.load();
  unsigned char b = static_cast<unsigned char>(sig);
  if (fd >= 0) [[maybe_unused]] auto n = ::write(fd, &b, 1);
  errno = saved_errno;
}

} // namespace

RawTerminal::RawTerminal(int fd) : m_fd(fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &m_saved) != 0) return;
  g_raw_saved = m_saved;
  g_raw_fd = fd;
  struct sigaction sa{};
  sa.sa_handler = restore_then_die;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < std::size(k_fatal); ++i) ::sigaction(k_fatal[i], &sa, &g_previous_fatal[i]);
  termios raw = m_saved;
  ::cfmakeraw(&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  m_active = ::tcsetattr(fd, TCSADRAIN, &raw) == 0;
}

RawTerminal::~RawTerminal() { restore(); }

void RawTerminal::restore() {
  if (!m_active) return;
  ::tcsetattr(m_fd, TCSADRAIN, &m_saved);
  m_active = false;
  g_raw_fd = -1;
  for (size_t i = 0; i < std::size(k_fatal); ++i) ::sigaction(k_fatal[i], &g_previous_fatal[i], nullptr);
}

WindowSize window_size(int fd) {
  WindowSize s;
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    s.cols = ws.ws_col;
    s.rows = ws.ws_row;
  }
  return s;
}

SignalPipe::SignalPipe() {
  if (::pipe2(m_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    m_fds[0] = m_fds[1] = -1;
    return;
  }
  g_signal_write = m_fds[1];
  struct sigaction sa{};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < std::size(k_forwarded); ++i)
    ::sigaction(k_forwarded[i], &sa, &g_previous_forwarded[i]);
}

SignalPipe::~SignalPipe() {
  if (m_fds[0] < 0) return;
  for (size_t i = 0; i < std::size(k_forwarded); ++i)
    ::sigaction(k_forwarded[i], &g_previous_forwarded[i], nullptr);
  g_signal_write = -1;
  ::close(m_fds[0]);
  ::close(m_fds[1]);
}

int SignalPipe::next() {
  unsigned char b = 0;
  if (m_fds[0] < 0 || ::read(m_fds[0], &b, 1) != 1) return 0;
  return b;
}

} // namespace sshm::session
