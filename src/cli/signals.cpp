#include "cli/signals.hpp"

#include "cli/app.hpp"
#include "cli/output.hpp"

#include <cstdlib>
#include <pthread.h>

namespace sshm::cli {

SignalGuard::SignalGuard(std::atomic<bool>& cancel, std::string what) : m_cancel(cancel), m_what(std::move(what)) {
  // A shell starts background jobs with SIGINT ignored, and an ignored signal is never
  // delivered to sigwait: take the default disposition back (the signals stay blocked).
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &m_old);
  m_thread = std::thread([this, set] {
    int count = 0;
    while (true) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (m_done.load()) return;
      if (++count == 1) {
        m_cancel.store(true);
        SyncOut::instance().err("\nsshm: interrupted: " + m_what + " (press Ctrl-C again to exit now)\n");
      } else {
        if (m_on_second) m_on_second();
        std::_Exit(k_exit_interrupted);
      }
    }
  });
}

SignalGuard::~SignalGuard() {
  // Wake the waiting thread with a signal it recognises as the end.
  m_done.store(true);
  pthread_kill(m_thread.native_handle(), SIGTERM);
  m_thread.join();
  pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
}

} // namespace sshm::cli
