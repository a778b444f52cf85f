#pragma once
// What the global flags give every command: the inventory, the state directory, the ssh
// config, each host's effective connection settings, the transport.
#include "cli/app.hpp"
#include "fleet/inventory.hpp"
#include "ssh/config.hpp"
#include "ssh/transport.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::cli {

// $VAR, or ~/<fallback> when unset.
std::string xdg_dir(const char* var, const char* fallback);

// The inventory named by -i / SSHM_INVENTORY, else ./inventory.yaml, else
// $XDG_CONFIG_HOME/sshm/inventory.yaml, else an empty one.
fleet::Inventory load_inventory(const GlobalOptions& global);
// --state-dir / SSHM_STATE_DIR, else $XDG_STATE_HOME/sshm.
std::filesystem::path state_dir(const GlobalOptions& global);
// The state store of the state dir, opened by every command that reads or writes the
// history: commands whose sshm died while they ran (crash, kill -9, power loss) are marked
// Interrupted first, so no command ever shows a dead run as Pending or InProgress.
std::unique_ptr<store::Store> open_state_store(const GlobalOptions& global);

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

} // namespace sshm::cli
