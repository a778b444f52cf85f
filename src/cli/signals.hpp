#pragma once
// Ctrl-C and SIGTERM for every command that fans out over the fleet: the first stops
// dispatching and cancels in-flight hosts (through the flag the engine and the transport
// watch); the second exits 130 at once.
#include <atomic>
#include <csignal>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace sshm::cli {

// Owns SIGINT and SIGTERM while it lives: they are blocked in this thread and in every thread
// started after it, and a dedicated thread waits for them. Create it before the workers;
// at most one at a time.
class SignalGuard {
public:
  // `what` ends the message printed on the first signal, e.g. "cancelling in-flight hosts".
  explicit SignalGuard(std::atomic<bool>& cancel, std::string what = "cancelling in-flight hosts");
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  // Runs on the second signal, just before the exit (best-effort bookkeeping).
  void on_second(std::function<void()> f) { m_on_second = std::move(f); }

private:
  std::atomic<bool>& m_cancel;
  std::string m_what;
  std::atomic<bool> m_done{false};
  std::function<void()> m_on_second;
  sigset_t m_old;
  std::thread m_thread;
};

// Thrown where an interrupted step leaves nothing sound to go on with (a pre-flight cut
// short); main prints it and exits 130.
class Interrupted : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace sshm::cli
