#pragma once
// OpenSSH client configuration, resolved as `ssh -G NAME` does, with inventory overrides.
#include "ssh/transport.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sshm::ssh {

// What the inventory (or the command line) says about one host; set values win.
struct Overrides {
  std::optional<std::string> hostname;
  std::optional<int> port;
  std::optional<std::string> user;
  std::optional<std::string> identity_file;
  std::optional<std::string> proxy_jump;
  std::optional<int> connect_timeout;
};

// Options that apply to every host of a run.
struct ResolveOptions {
  std::optional<HostKeyPolicy> host_key_policy;  // --host-key-policy; unset: strict unless the
                                                 // config says accept-new
  std::optional<int> connect_timeout;            // --connect-timeout; beats config, loses to inventory
};

class SshConfig {
public:
  // Reads `path`; "" means ~/.ssh/config then /etc/ssh/ssh_config, as ssh does.
  // A missing default file is fine; a missing explicit file is an InputError.
  static SshConfig load(const std::string& path);
  SshConfig();
  ~SshConfig();
  SshConfig(SshConfig&&) noexcept;
  SshConfig& operator=(SshConfig&&) noexcept;

  // Effective settings for `name`, first-match-wins like OpenSSH.
  Endpoint resolve(const std::string& name, const Overrides& overrides, const ResolveOptions& options) const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace sshm::ssh
