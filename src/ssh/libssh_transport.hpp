#pragma once
// The real transport: libssh sessions in-process, no `ssh` child per host.
// Connect, host key policy, auth, exec, and ProxyJump over one shared bastion session each.
#include "ssh/config.hpp"
#include "ssh/transport.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sshm::ssh {

// What a host key pre-flight found for one host.
struct HostKeyCheck {
  enum class State { known, unknown, changed, unreachable };
  State state = State::unreachable;
  std::string key_type;           // the server's, e.g. ssh-ed25519 ("" when unreachable)
  std::string fingerprint;        // SHA256:...
  std::string known_fingerprint;  // changed: the key known_hosts has instead
  bool other_type_known = false;  // unknown: only keys of another type are recorded
  // changed/known: the known_hosts file with the entry; unknown: where a new key goes.
  std::string file;
  std::string known_hosts_name;  // "host", or "[host]:port" when the port is not 22
  std::string message;           // unreachable: why
};

class LibsshTransport final : public Transport {
public:
  // `config` resolves jump hosts named by ProxyJump; it must outlive the transport.
  LibsshTransport(const SshConfig& config, ResolveOptions options);
  ~LibsshTransport() override;
  LibsshTransport(const LibsshTransport&) = delete;
  LibsshTransport& operator=(const LibsshTransport&) = delete;

  Expected<std::unique_ptr<Session>, Failure> connect(const Endpoint& endpoint,
                                                      const std::atomic<bool>* cancel = nullptr) override;
  // Connects only as far as the key exchange (through ProxyJump as usual) and looks the
  // host key up: no authentication, nothing written to known_hosts whatever the policy,
  // never a prompt. Thread-safe.
  HostKeyCheck check_host_key(const Endpoint& endpoint, const std::atomic<bool>* cancel = nullptr);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Sets the passphrase for encrypted identity files, for the whole process; by default it
// comes from $SSHM_KEY_PASSPHRASE. Call before the run (the CLI asks once on a TTY).
void set_key_passphrase(std::string passphrase);

// The files among `identity_files` that exist, are encrypted, and do not open with the
// passphrase known so far. The CLI asks for a passphrase when this is not empty.
std::vector<std::string> keys_needing_passphrase(const std::vector<std::string>& identity_files);

} // namespace sshm::ssh
