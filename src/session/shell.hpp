#pragma once
// The session loop for a shell or command channel: keys from the local terminal to the host
// (through the `~.` escape), output from the host to the terminal, both into the transcript
// (input only as EchoGate allows), window resizes, signals, and Session Manager's
// idleSessionTimeout and maxSessionDuration with a warning before either ends the session.
#include "session/transcript.hpp"
#include "ssh/interactive.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace sshm::session {

struct Limits {
  std::chrono::seconds idle{0};          // idleSessionTimeout; 0 none
  std::chrono::seconds max_duration{0};  // maxSessionDuration; 0 none
};

// When a limit warns: one minute before it ends the session, or halfway for a limit
// shorter than two minutes.
std::chrono::seconds warning_lead(std::chrono::seconds limit);

struct ShellIo {
  int in = 0;       // keys (a terminal, put in raw mode while the session runs)
  int out = 1;      // output of the host
  int err = 2;      // stderr of a command without a terminal
  bool pty = true;  // false: the command's stdin gets EOF at once, nothing is read from `in`
  // Typed for the user once the host has printed something (its prompt): shellProfile.
  std::string first_keys;
};

struct ShellEnd {
  std::string status;  // Terminated or Failed (SSM's session statuses)
  std::string reason;  // what ended it, for the history
  std::optional<int> exit_status;
  std::string exit_signal;
};

// Runs the session until the remote side ends, `~.`, a limit passes, a signal
// (SIGTERM/SIGHUP/SIGINT/SIGQUIT) or the connection is lost. `on_output` also gets every
// output piece (CloudWatch streaming), may be empty.
ShellEnd run_shell(ssh::Channel& channel, const ShellIo& io, const Limits& limits, TranscriptWriter& transcript,
                   const std::function<void(std::string_view)>& on_output = {});

} // namespace sshm::session
