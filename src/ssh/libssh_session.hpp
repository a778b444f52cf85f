#pragma once
// One authenticated session to one host, and the exec channel that runs a command on it:
// stdin fed as the window allows, stdout and stderr drained together, exit status or signal,
// bounded by the command's timeout and cancellable. Internal to src/ssh.
#include "ssh/bastion.hpp"
#include "ssh/libssh_common.hpp"

#include <memory>
#include <string>

namespace sshm::ssh {

class LibsshSession final : public Session {
public:
  // `via` is the bastion the session rides on, kept up while the session lives.
  LibsshSession(OwnedSession session, milliseconds connect_time, std::shared_ptr<Bastion> via, std::string label)
      : m_via(std::move(via)), m_owned(std::move(session)), m_session(m_owned.get()), m_connect_time(connect_time),
        m_label(std::move(label)) {}

  std::chrono::milliseconds connect_time() const override { return m_connect_time; }

  Expected<ExecResult, Failure> exec(const ExecRequest& request) override;

  // The libssh session, for channels other than exec (ssh/interactive.hpp).
  ssh_session native() const { return m_session; }
  const std::string& label() const { return m_label; }

private:
  // What the channel callbacks learn about how the command ended.
  struct ExitState {
    int exit_status = -1;
    std::string exit_signal;
    bool got_exit = false;
    const ExecRequest* request = nullptr;  // its sinks take the output as it arrives
  };

  // Runs the command on an open exec channel until it ends, times out or is cancelled.
  Expected<ExecResult, Failure> run_channel(ssh_channel channel, ssh_event event, const ExecRequest& request,
                                            const ExitState& state, TimePoint deadline);
  // Writes stdin as far as the window allows, then EOF; false when the connection is lost.
  static bool feed_stdin(ssh_channel channel, const ExecRequest& request, size_t& sent, bool& eof_sent);
  // Hands what has arrived on stdout and stderr to the request's sinks: 1 when there was
  // some, 0 when none, -1 when the connection is lost.
  static int drain(ssh_channel channel, const ExecRequest& request, char (&buf)[k_io_chunk]);

  Failure lost() const;
  Failure channel_failure(const char* what) const;

  // Keeps the jump host's session up while this one lives (declared first, so destroyed last).
  std::shared_ptr<Bastion> m_via;
  OwnedSession m_owned;
  ssh_session m_session;
  milliseconds m_connect_time;
  std::string m_label;
};

} // namespace sshm::ssh
