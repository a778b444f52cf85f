#include "cli/common.hpp"

#include "ssh/libssh_transport.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <atomic>
#include <map>
#include <regex>
#include <thread>

#include <cstdio>
#include <yaml-cpp/yaml.h>
#include <cstdlib>
#include <fmt/format.h>
#include <fcntl.h>
#include <iostream>
#include <set>
#include <termios.h>
#include <unistd.h>

namespace sshm::cli {

std::string xdg_dir(const char* var, const char* fallback) {
  if (const char* v = std::getenv(var); v && *v) return v;
  const char* home = std::getenv("HOME");
  return fmt::format("{}/{}", home ? home : "", fallback);
}

bool isatty_stdout() { return ::isatty(STDOUT_FILENO) == 1; }
bool isatty_stderr() { return ::isatty(STDERR_FILENO) == 1; }

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

void add_target_options(CLI::App* cmd, TargetOptions& opts, bool required) {
  auto* t = cmd->add_option("-t,--targets", opts.targets,
                            "Hosts: names, a,b, web-*, tag:Env=prod, tag-key:K, group:G, all, "
                            "Key=tag:Env,Values=a,b, - (stdin). Several -t are AND'd");
  t->allow_extra_args(false);
  if (required) t->required();
  cmd->add_option("--exclude", opts.excludes, "Hosts to leave out (same forms as -t)")->allow_extra_args(false);
}

namespace {

// @STATE:ID -> the invocation Status it stands for.
const std::map<std::string, std::string>& retarget_states() {
  static const std::map<std::string, std::string> states = {
      {"failed", "Failed"},       {"timedout", "TimedOut"},     {"undeliverable", "Undeliverable"},
      {"success", "Success"},     {"cancelled", "Cancelled"},   {"terminated", "Terminated"},
      {"delivery-timed-out", "DeliveryTimedOut"}};
  return states;
}

// Replaces each @STATE:ID expression by the names of the hosts of command ID in that state.
std::vector<std::string> expand_retargets(const GlobalOptions& global, const std::vector<std::string>& expressions,
                                          std::unique_ptr<store::Store>& store) {
  static const std::regex re("^@(failed|timedout|undeliverable|success|cancelled|terminated|delivery-timed-out):(.+)$");
  std::vector<std::string> out;
  for (const std::string& e : expressions) {
    std::smatch m;
    if (!std::regex_match(e, m, re)) {
      out.push_back(e);
      continue;
    }
    if (!store) store = store::Store::open(state_dir(global));
    store::CommandRecord cmd = *store->get_command(m[2].str());
    const std::string& status = retarget_states().at(m[1].str());
    std::vector<std::string> names;
    std::map<std::string, int> counts;
    for (const auto& inv : store->get_invocations(cmd.command_id)) {
      counts[inv.status]++;
      if (inv.status == status) names.push_back(inv.instance_id);
    }
    if (names.empty()) {
      std::string have;
      for (const auto& [st, n] : counts) have += fmt::format("{}{} {}", have.empty() ? "" : ", ", n, st);
      throw InputError(fmt::format("no host matches '{}': command {} has no host in state {} (it has {})", e,
                                   cmd.command_id, status, have.empty() ? "no hosts" : have));
    }
    out.push_back(join(names, ","));
  }
  return out;
}

} // namespace

std::vector<const fleet::Host*> select(const GlobalOptions& global, const fleet::Inventory& inv,
                                           const TargetOptions& opts) {
  std::unique_ptr<store::Store> store;
  fleet::TargetSpec spec{expand_retargets(global, opts.targets, store), expand_retargets(global, opts.excludes, store)};
  return fleet::select_hosts(inv, spec, &std::cin);
}

KeyPreflight check_host_keys(const std::vector<const fleet::Host*>& hosts, const std::vector<ssh::Endpoint>& endpoints,
                             const ssh::SshConfig& config, const GlobalOptions& global) {
  KeyPreflight report;
  report.entries.resize(hosts.size());
  ssh::LibsshTransport transport(config, resolve_options(global));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < hosts.size(); i = next++) {
      auto& e = report.entries[i];
      e.host = hosts[i]->name;
      e.endpoint = endpoints[i];
      e.check = transport.check_host_key(endpoints[i]);
    }
  };
  std::vector<std::thread> pool;
  const size_t threads = std::min<size_t>(hosts.size(), 32);
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  for (const auto& e : report.entries) {
    switch (e.check.state) {
    case ssh::HostKeyCheck::State::known: ++report.known; break;
    case ssh::HostKeyCheck::State::unknown:
      ++report.unknown;
      if (e.endpoint.host_key_policy == ssh::HostKeyPolicy::strict) ++report.blocking;
      break;
    case ssh::HostKeyCheck::State::changed:
      ++report.changed;
      ++report.blocking;
      break;
    case ssh::HostKeyCheck::State::unreachable: ++report.unreachable; break;
    }
  }
  return report;
}

namespace {

const char* state_name(ssh::HostKeyCheck::State s) {
  switch (s) {
  case ssh::HostKeyCheck::State::known: return "known";
  case ssh::HostKeyCheck::State::unknown: return "unknown";
  case ssh::HostKeyCheck::State::changed: return "changed";
  case ssh::HostKeyCheck::State::unreachable: return "unreachable";
  }
  return "unknown";
}

std::string keyscan_command(const KeyPreflight::Entry& e) {
  return fmt::format("ssh-keyscan -p {} {} >> {}", e.endpoint.port, e.endpoint.hostname, e.check.file);
}

std::string keygen_command(const KeyPreflight::Entry& e) {
  return fmt::format("ssh-keygen -R '{}' -f {}", e.check.known_hosts_name, e.check.file);
}

} // namespace

std::string key_preflight_text(const KeyPreflight& r) {
  std::string out = fmt::format("sshm: host keys of {} hosts: {} known, {} unknown, {} changed, {} unreachable\n",
                                r.entries.size(), r.known, r.unknown, r.changed, r.unreachable);
  std::string unknown, changed, unreachable, fixes;
  bool strict_unknown = false;
  for (const auto& e : r.entries) {
    const auto& c = e.check;
    switch (c.state) {
    case ssh::HostKeyCheck::State::known: break;
    case ssh::HostKeyCheck::State::unknown:
      unknown += fmt::format("  {}  {}  {} {}{}\n", e.host, c.known_hosts_name, c.key_type, c.fingerprint,
                             e.endpoint.host_key_policy == ssh::HostKeyPolicy::strict
                                 ? ""
                                 : fmt::format(" (policy {}: recorded on first connect)",
                                               ssh::to_string(e.endpoint.host_key_policy)));
      if (e.endpoint.host_key_policy == ssh::HostKeyPolicy::strict) {
        strict_unknown = true;
        fixes += fmt::format("  {}\n", keyscan_command(e));
      }
      break;
    case ssh::HostKeyCheck::State::changed:
      changed += fmt::format("  {}  {}  known {}, offered {} {}\n", e.host, c.known_hosts_name, c.known_fingerprint,
                             c.key_type, c.fingerprint);
      fixes = fmt::format("  {}\n", keygen_command(e)) + fixes;
      break;
    case ssh::HostKeyCheck::State::unreachable:
      unreachable += fmt::format("  {}  {}\n", e.host, c.message);
      break;
    }
  }
  if (!changed.empty())
    out += "changed (known_hosts holds another key for these hosts: this may be an attack):\n" + changed;
  if (!unknown.empty()) out += "unknown (not in known_hosts):\n" + unknown;
  if (!unreachable.empty()) out += "unreachable (key not checked):\n" + unreachable;
  if (!fixes.empty()) {
    // Changed entries must go before the new keys are scanned in.
    out += "to fix, after checking the fingerprints with the hosts' owners:\n" + fixes;
    if (strict_unknown) out += "  (or accept unknown keys on first connect: --host-key-policy accept-new)\n";
  }
  if (r.blocking == 0 && r.unknown + r.changed == 0) out += "sshm: every reachable host key is known\n";
  return out;
}

nlohmann::json key_preflight_json(const KeyPreflight& r) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& e : r.entries) {
    const auto& c = e.check;
    nlohmann::json h = {{"Host", e.host},      {"KnownHostsName", c.known_hosts_name}, {"State", state_name(c.state)},
                        {"KeyType", c.key_type}, {"Fingerprint", c.fingerprint},         {"KnownHostsFile", c.file},
                        {"HostKeyPolicy", ssh::to_string(e.endpoint.host_key_policy)}};
    if (c.state == ssh::HostKeyCheck::State::changed) {
      h["KnownFingerprint"] = c.known_fingerprint;
      h["Fix"] = keygen_command(e);
    } else if (c.state == ssh::HostKeyCheck::State::unknown) {
      h["Fix"] = keyscan_command(e);
    } else if (c.state == ssh::HostKeyCheck::State::unreachable) {
      h["Message"] = c.message;
    }
    hosts.push_back(std::move(h));
  }
  return {{"Known", r.known}, {"Unknown", r.unknown}, {"Changed", r.changed}, {"Unreachable", r.unreachable},
          {"Blocking", r.blocking}, {"Hosts", std::move(hosts)}};
}

namespace {

void emit_yaml(YAML::Emitter& out, const nlohmann::json& v) {
  switch (v.type()) {
  case nlohmann::json::value_t::object:
    out << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit_yaml(out, it.value());
    }
    out << YAML::EndMap;
    break;
  case nlohmann::json::value_t::array:
    out << YAML::BeginSeq;
    for (const auto& item : v) emit_yaml(out, item);
    out << YAML::EndSeq;
    break;
  case nlohmann::json::value_t::string:
    out << YAML::DoubleQuoted << v.get<std::string>();
    break;
  case nlohmann::json::value_t::null:
    out << YAML::Null;
    break;
  default:
    out << v.dump();
  }
}

} // namespace

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit_yaml(out, value);
  return std::string(out.c_str()) + "\n";
}

void print_structured(const GlobalOptions& global, const nlohmann::json& value) {
  if (global.output == "yaml") SyncOut::instance().out(to_yaml(value));
  else SyncOut::instance().out(value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

SyncOut& SyncOut::instance() {
  static SyncOut s;
  return s;
}

void SyncOut::out(const std::string& text) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void SyncOut::err(const std::string& text) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

} // namespace sshm::cli
