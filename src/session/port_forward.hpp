#pragma once
// Port sessions (AWS-StartPortForwardingSession and ...ToRemoteHost): a local TCP port whose
// every connection becomes a direct-tcpip channel to host:port as seen from the session's
// host, all over the one SSH connection, until the session is ended (Ctrl-C, SIGTERM) or
// the connection is lost. Closing the session closes the port.
#include "session/transcript.hpp"
#include "ssh/transport.hpp"

#include <functional>
#include <string>

namespace sshm::session {

struct ForwardSpec {
  std::string host = "localhost";  // portNumber's host, seen from the session's host
  int port = 0;                    // portNumber
  int local_port = 0;              // localPortNumber; 0 picks a free one
  std::string bind = "127.0.0.1";  // where the local port listens
  // No local port: stdin and stdout are the one client (AWS-StartSSHSession as ssh's
  // ProxyCommand), as the session-manager-plugin does for a Port session without localPortNumber.
  bool stdio = false;
};

struct ForwardEnd {
  std::string status;  // Terminated or Failed
  std::string reason;
  size_t connections = 0;  // accepted over the session's life
  size_t failed = 0;       // connections the host could not forward
};

// Listens on the local port (its number to `on_listening` once bound) and forwards until a
// signal or a lost connection. The transcript gets one note per connection opened and closed.
ForwardEnd run_port_forward(ssh::Session& session, const ForwardSpec& spec, TranscriptWriter& transcript,
                            const std::function<void(int)>& on_listening);

// The stdio form: one direct-tcpip channel to host:port, fed from `in` and copied to `out`,
// until the host closes it, `in` ends and everything was sent, a signal or a lost connection.
ForwardEnd run_stdio_forward(ssh::Session& session, const ForwardSpec& spec, TranscriptWriter& transcript,
                             int in = 0, int out = 1);

} // namespace sshm::session
