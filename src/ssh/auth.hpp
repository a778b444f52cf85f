#pragma once
// User authentication: ssh-agent, then identity files, each file read and decrypted once per
// process (the passphrase comes from the CLI or $SSHM_KEY_PASSPHRASE). Internal to src/ssh;
// the passphrase functions are public in libssh_transport.hpp.
#include "ssh/libssh_common.hpp"

#include <optional>
#include <string>

namespace sshm::ssh {

// Authenticates `ep.user` on a connected session; nothing when accepted, else why not
// (what was tried and skipped, and how to fix it).
std::optional<Failure> authenticate(const Endpoint& ep, ssh_session s, const std::string& label);

} // namespace sshm::ssh
