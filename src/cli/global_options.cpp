#include "cli/global_options.hpp"

#include "engine/recovery.hpp"
#include "ssh/libssh_transport.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <fmt/format.h>
#include <set>
#include <termios.h>
#include <unistd.h>

namespace sshm::cli {

std::string xdg_dir(const char* var, const char* fallback) {
  if (const char* v = std::getenv(var); v && *v) return v;
  const char* home = std::getenv("HOME");
  return fmt::format("{}/{}", home ? home : "", fallback);
}


fleet::Inventory load_inventory(const GlobalOptions& global) {
  if (!global.inventory.empty()) {
    if (!std::filesystem::exists(global.inventory))
      throw InputError(fmt::format("inventory file '{}' does not exist", global.inventory));
    return fleet::Inventory::load(global.inventory);
  }
  for (const std::string& candidate :
       {std::string("inventory.yaml"), xdg_dir("XDG_CONFIG_HOME", ".config") + "/sshm/inventory.yaml"}) {
    if (std::filesystem::exists(candidate)) return fleet::Inventory::load(candidate);
  }
  return fleet::Inventory{};
}

std::filesystem::path state_dir(const GlobalOptions& global) {
  if (!global.state_dir.empty()) return global.state_dir;
  return std::filesystem::path(xdg_dir("XDG_STATE_HOME", ".local/state")) / "sshm";
}

std::unique_ptr<store::Store> open_state_store(const GlobalOptions& global) {
  auto store = store::Store::open(state_dir(global));
  engine::recover_interrupted(*store);
  return store;
}

ssh::ResolveOptions resolve_options(const GlobalOptions& global) {
  ssh::ResolveOptions o;
  if (!global.host_key_policy.empty()) {
    if (global.host_key_policy == "strict") o.host_key_policy = ssh::HostKeyPolicy::strict;
    else if (global.host_key_policy == "accept-new") o.host_key_policy = ssh::HostKeyPolicy::accept_new;
    else if (global.host_key_policy == "off") o.host_key_policy = ssh::HostKeyPolicy::off;
    else
      throw InputError(fmt::format("unknown host key policy '{}' (use strict, accept-new or off)",
                                   global.host_key_policy));
  }
  if (global.connect_timeout > 0) o.connect_timeout = global.connect_timeout;
  return o;
}

ssh::Overrides overrides_for(const fleet::Host& host) {
  ssh::Overrides o;
  const auto& c = host.connection;
  o.hostname = c.address;
  o.port = c.port;
  o.user = c.user;
  o.identity_file = c.identity_file;
  o.proxy_jump = c.proxy_jump;
  o.connect_timeout = c.connect_timeout;
  return o;
}

std::unique_ptr<ssh::Transport> make_transport(const GlobalOptions& global, const ssh::SshConfig& config) {
  return std::make_unique<ssh::LibsshTransport>(config, resolve_options(global));
}

ssh::SshConfig load_ssh_config(const GlobalOptions& global) { return ssh::SshConfig::load(global.ssh_config); }

std::vector<ssh::Endpoint> endpoints_for(const std::vector<const fleet::Host*>& hosts, const ssh::SshConfig& config,
                                         const ssh::ResolveOptions& options) {
  std::vector<ssh::Endpoint> out;
  out.reserve(hosts.size());
  for (const auto* h : hosts) out.push_back(config.resolve(h->name, overrides_for(*h), options));
  return out;
}

void prepare_key_passphrase(const std::vector<ssh::Endpoint>& endpoints) {
  if (std::getenv("SSHM_KEY_PASSPHRASE")) return;
  std::set<std::string> seen;
  std::vector<std::string> files;
  for (const auto& e : endpoints)
    for (const auto& f : e.identity_files)
      if (seen.insert(f).second) files.push_back(f);
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return;
  if (!::isatty(STDIN_FILENO)) {
    ::close(tty);
    return;
  }
  auto locked = ssh::keys_needing_passphrase(files);
  if (locked.empty()) {
    ::close(tty);
    return;
  }
  std::string prompt = fmt::format("Passphrase for {}: ", join(locked, ", "));
  [[maybe_unused]] ssize_t w = ::write(tty, prompt.data(), prompt.size());
  termios old{};
  bool restore = ::tcgetattr(tty, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  std::string pass;
  char c = 0;
  while (::read(tty, &c, 1) == 1 && c != '\n') pass += c;
  if (restore) ::tcsetattr(tty, TCSAFLUSH, &old);
  w = ::write(tty, "\n", 1);
  ::close(tty);
  ssh::set_key_passphrase(std::move(pass));
}

} // namespace sshm::cli
