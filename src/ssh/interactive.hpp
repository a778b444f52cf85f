#pragma once
// Channels a person drives, beside exec: a shell or command with or without a terminal
// (Session Manager's Standard_Stream, InteractiveCommands, NonInteractiveCommands), and
// direct-tcpip channels for port forwarding (Port sessions), many over one connection.
// The caller polls fd() with its own descriptors and then calls read(); nothing here blocks
// longer than a write waiting for the peer's window.
#include "ssh/transport.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sshm::ssh {

struct ShellRequest {
  bool pty = true;           // a terminal (raw keys in, one output stream) or plain pipes
  std::string term = "xterm";
  int cols = 80, rows = 24;
  std::string command;       // "" runs the login shell; else this command line
};

// One channel on a session. Not shared between threads; the session must outlive it.
class Channel {
public:
  virtual ~Channel() = default;
  // The connection's socket: readable when something may have arrived for any channel.
  virtual int fd() const = 0;
  // Bytes that have arrived on stdout (or stderr), at most `size`: > 0 bytes, 0 none now,
  // -1 the connection is lost.
  virtual int read(char* buf, size_t size, bool is_stderr = false) = 0;
  // Sends all of `data`; false when the connection is lost.
  virtual bool write(std::string_view data) = 0;
  virtual void send_eof() = 0;
  // The terminal's new size (window-change request).
  virtual void resize(int cols, int rows) = 0;
  // The peer closed its side or sent EOF, and everything it sent has been read.
  virtual bool finished() = 0;
  // Exit status of the remote command, once known.
  virtual std::optional<int> exit_status() const = 0;
  virtual std::string exit_signal() const = 0;
};

// Opens a session channel with a PTY (when asked) and starts the shell or command.
Expected<std::unique_ptr<Channel>, Failure> open_shell(Session& session, const ShellRequest& request);
// Opens a direct-tcpip channel to host:port as seen from the host (ssh -L).
Expected<std::unique_ptr<Channel>, Failure> open_forward(Session& session, const std::string& host, int port);

} // namespace sshm::ssh
