#pragma once
// OpenSSH client configuration, resolved as `ssh -G NAME` does, with inventory overrides.
#include "ssh/transport.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sshm::ssh {

// What the inventory (or the command line) says about one host; set values win.
struct Overrides {
  std::optional<std::string> hostname;
  std::optional<int> port;
  std::optional<std::string> user;
  std::optional<std::string> identity_file;  // replaces the config's identity files
  std::optional<std::string> proxy_jump;     // "" or "none" means no jump host
  std::optional<int> connect_timeout;
};

// Options that apply to every host of a run.
struct ResolveOptions {
  std::optional<HostKeyPolicy> host_key_policy;  // --host-key-policy; unset: strict unless the
                                                 // config says accept-new
  std::optional<int> connect_timeout;            // --connect-timeout; beats config, loses to inventory
};

// The local side that tokens and `~` expand to. Defaults to the current user's passwd entry
// (as ssh uses it, not $HOME).
struct LocalIdentity {
  std::string user;
  std::string home;
  static LocalIdentity current();
};

// Parsed once per run, then resolves any number of hosts without touching the disk.
class SshConfig {
public:
  // Reads `path`; "" means ~/.ssh/config then /etc/ssh/ssh_config, as ssh does.
  // A missing default file is fine; a missing explicit file is an InputError.
  static SshConfig load(const std::string& path);
  // Parses config text (for tests); Include paths resolve against `local.home`/.ssh.
  static SshConfig parse(const std::string& text, const std::string& file_name,
                         const LocalIdentity& local = LocalIdentity::current());
  SshConfig();
  ~SshConfig();
  SshConfig(SshConfig&&) noexcept;
  SshConfig& operator=(SshConfig&&) noexcept;

  // Effective settings for `name`, first-match-wins like OpenSSH.
  Endpoint resolve(const std::string& name, const Overrides& overrides, const ResolveOptions& options) const;

  // Whether a `Host` line names `name` literally (no wildcard, not negated): such a name is
  // a host the user reaches with `ssh name`, so sshm takes it as a target too.
  bool defines_host(const std::string& name) const;

  // The config files that were read, in order (Includes included).
  const std::vector<std::string>& files() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Expands a leading `~` or `~/` to `home`.
std::string expand_tilde(const std::string& path, const std::string& home);

} // namespace sshm::ssh
