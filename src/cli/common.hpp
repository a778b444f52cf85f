#pragma once
// Helpers every command group shares: where things live, loading the inventory,
// resolving hosts to endpoints, and whole-line output.
#include "cli/app.hpp"
#include "fleet/inventory.hpp"
#include "fleet/targets.hpp"
#include "ssh/config.hpp"
#include "ssh/libssh_transport.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sshm::cli {

// $VAR, or ~/<fallback> when unset.
std::string xdg_dir(const char* var, const char* fallback);
bool isatty_stdout();
bool isatty_stderr();

// The inventory named by -i / SSHM_INVENTORY, else ./inventory.yaml, else
// $XDG_CONFIG_HOME/sshm/inventory.yaml, else an empty one.
fleet::Inventory load_inventory(const GlobalOptions& global);
// --state-dir / SSHM_STATE_DIR, else $XDG_STATE_HOME/sshm.
std::filesystem::path state_dir(const GlobalOptions& global);

// Options for resolving every host of a run from the global flags.
ssh::ResolveOptions resolve_options(const GlobalOptions& global);
// The inventory's connection settings for a host, as ssh config overrides.
ssh::Overrides overrides_for(const fleet::Host& host);

// The real SSH transport for a run, configured from the global flags.
std::unique_ptr<ssh::Transport> make_transport(const GlobalOptions& global, const ssh::SshConfig& config);
// The ssh config named by -F / SSHM_SSH_CONFIG (default ~/.ssh/config then
// /etc/ssh/ssh_config), parsed once for the whole run.
ssh::SshConfig load_ssh_config(const GlobalOptions& global);
// Effective connection settings of each host: ssh config, then the inventory's overrides.
std::vector<ssh::Endpoint> endpoints_for(const std::vector<const fleet::Host*>& hosts, const ssh::SshConfig& config,
                                         const ssh::ResolveOptions& options);
// Asks once on the terminal for the passphrase of encrypted identity files the endpoints use,
// unless SSHM_KEY_PASSPHRASE is set or there is no terminal. Never per host.
void prepare_key_passphrase(const std::vector<ssh::Endpoint>& endpoints);

// Target flags shared by every command that selects hosts.
struct TargetOptions {
  std::vector<std::string> targets;
  std::vector<std::string> excludes;
};
void add_target_options(CLI::App* cmd, TargetOptions& opts, bool required = true);
// The hosts the options select. Before the target parser sees them, expressions of the exact
// form @STATE:ID (STATE one of failed, timedout, undeliverable, success, cancelled,
// terminated, delivery-timed-out; ID a command ID or a unique prefix) become the hosts of
// that earlier command in that state; none in that state is an empty selection (InputError).
std::vector<const fleet::Host*> select(const GlobalOptions& global, const fleet::Inventory& inv,
                                           const TargetOptions& opts);

// Host key pre-flight: every host's key looked up (connecting only up to the key exchange,
// in parallel, never a prompt), and one consolidated answer.
struct KeyPreflight {
  struct Entry {
    std::string host;
    ssh::Endpoint endpoint;
    ssh::HostKeyCheck check;
  };
  std::vector<Entry> entries;  // target order
  size_t known = 0, unknown = 0, changed = 0, unreachable = 0;
  // Hosts whose run would fail on the key: changed, and unknown under the strict policy.
  size_t blocking = 0;
};
KeyPreflight check_host_keys(const std::vector<const fleet::Host*>& hosts, const std::vector<ssh::Endpoint>& endpoints,
                             const ssh::SshConfig& config, const GlobalOptions& global);
// "host keys: N known ..." and, for unknown and changed keys, the exact commands that fix them.
std::string key_preflight_text(const KeyPreflight& report);
nlohmann::json key_preflight_json(const KeyPreflight& report);

// Prints a result object as JSON (pretty) or, with -o yaml, as block YAML.
void print_structured(const GlobalOptions& global, const nlohmann::json& value);
std::string to_yaml(const nlohmann::json& value);

// Writes whole lines under one lock so output of concurrent hosts never interleaves.
class SyncOut {
public:
  static SyncOut& instance();
  void out(const std::string& text);  // stdout, text written as is
  void err(const std::string& text);  // stderr
private:
  std::mutex m_mutex;
};

} // namespace sshm::cli
