#pragma once
// Host keys: sshm's own policy over known_hosts files (libssh never verifies a host key
// itself), an index of each file read once per run, the accept-new append that is safe
// across threads and processes, and the per-host view libssh reads during the handshake.
// Internal to src/ssh.
#include "ssh/libssh_common.hpp"
#include "ssh/libssh_transport.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sshm::ssh {

// The SHA256 fingerprint of a key, as ssh-keygen -l prints it.
std::string fingerprint(ssh_key key);

// Looks the server's key up in every known_hosts file of `ep`; writes nothing.
HostKeyCheck classify_host_key(const Endpoint& ep, ssh_session s, const std::string& label);

// sshm's host key policy over every known_hosts file: nothing when the connection may go on,
// else why not. A changed key always fails; accept-new records an unknown key first.
std::optional<Failure> verify_host_key(const Endpoint& ep, ssh_session s, const std::string& label);

// libssh reads known_hosts during ssh_connect to put the key types it already knows for
// this host first. This gives it only the lines that can concern this host (from the index
// read once per run) in a memfd, instead of parsing the whole file again for every host:
// the same answer, without a per-host cost that grows with the fleet.
class KnownHostsView {
public:
  // Points `s` at the view of the first of `files` for `host` (at the file itself when no
  // view can be made); does nothing when `files` is empty.
  KnownHostsView(ssh_session s, const std::vector<std::string>& files, const std::string& host);
  ~KnownHostsView();
  KnownHostsView(const KnownHostsView&) = delete;
  KnownHostsView& operator=(const KnownHostsView&) = delete;

  // After ssh_connect: the view's descriptor number may be reused once closed, so libssh is
  // pointed back at the file before the view closes.
  void restore();

private:
  ssh_session m_session;
  std::string m_file;
  int m_fd = -1;
};

} // namespace sshm::ssh
