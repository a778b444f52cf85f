// sshm hosts list | show: what the inventory and ssh config make of the fleet.
#include "cli/common.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct HostsListOptions {
  TargetOptions targets;
  bool names = false;  // --names: one name a line, for xargs and other tools
};

struct HostsShowOptions {
  std::string name;
};

nlohmann::json host_json(const fleet::Host& h) {
  const auto& c = h.connection;
  return {{"Name", h.name},
          {"Address", c.address.value_or(h.name)},
          {"Port", c.port ? nlohmann::json(*c.port) : nlohmann::json(nullptr)},
          {"User", c.user ? nlohmann::json(*c.user) : nlohmann::json(nullptr)},
          {"Tags", h.tags},
          {"Groups", h.groups},
          {"Vars", h.vars},
          {"Platform", h.platform}};
}

int run_hosts_list(const GlobalOptions& g, const HostsListOptions& o) {
  auto inv = load_inventory(g);
  TargetOptions t = o.targets;
  if (t.targets.empty()) t.targets = {"all"};
  auto hosts = select(g, inv, t);
  if (o.names) {
    // Host names are checked when the inventory is read (no control characters, no '/').
    std::string text;
    for (const auto* h : hosts) text += h->name + "\n";
    SyncOut::instance().out(text);
  } else if (structured_output(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto* h : hosts) arr.push_back(host_json(*h));
    print_structured(g, arr);
  } else {
    TextTable table({"HOST", "ADDRESS", "TAGS"});
    for (const auto* h : hosts) {
      std::string tags;
      for (const auto& [k, v] : h->tags) tags += fmt::format("{}{}={}", tags.empty() ? "" : ",", k, v);
      table.add({h->name,
                 fmt::format("{}:{}", h->connection.address.value_or(h->name),
                             h->connection.port ? std::to_string(*h->connection.port) : "-"),
                 tags});
    }
    SyncOut::instance().out(table.render(false));  // no header: one host per line, for awk and cut
  }
  return k_exit_ok;
}

// Host key pre-flight: every selected host's key checked at once, one answer. Exit 0 when
// every reachable key is known (or will be accepted under accept-new), else 1.
int run_hosts_keys(const GlobalOptions& g, const HostsListOptions& o) {
  auto inv = load_inventory(g);
  TargetOptions t = o.targets;
  if (t.targets.empty()) t.targets = {"all"};
  auto hosts = select(g, inv, t);
  auto config = load_ssh_config(g);
  auto endpoints = endpoints_for(hosts, config, resolve_options(g));
  KeyPreflight report = check_host_keys(hosts, endpoints, config, g);
  if (structured_output(g))
    print_structured(g, key_preflight_json(report));
  else
    SyncOut::instance().out(key_preflight_text(report));
  return report.blocking == 0 ? k_exit_ok : k_exit_failed;
}

// A host's effective connection settings; works for hosts only the ssh config knows.
int run_hosts_show(const GlobalOptions& g, const HostsShowOptions& o) {
  auto inv = load_inventory(g);
  auto config = load_ssh_config(g);
  ssh::Overrides overrides;
  if (const auto* h = inv.find(o.name)) overrides = overrides_for(*h);
  ssh::Endpoint e = config.resolve(o.name, overrides, resolve_options(g));
  // The host's merged variables, as `ansible-inventory --host NAME` prints them.
  const nlohmann::json vars = inv.find(o.name) ? inv.find(o.name)->vars : nlohmann::json::object();
  if (structured_output(g)) {
    nlohmann::json j = {{"name", e.name},
                        {"hostname", e.hostname},
                        {"port", e.port},
                        {"user", e.user},
                        {"identity_files", e.identity_files},
                        {"identities_only", e.identities_only},
                        {"proxy_jump", e.proxy_jump.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.proxy_jump)},
                        {"known_hosts_files", e.known_hosts_files},
                        {"host_key_policy", ssh::to_string(e.host_key_policy)},
                        {"connect_timeout", e.connect_timeout_s},
                        {"in_inventory", inv.find(o.name) != nullptr},
                        {"vars", vars}};
    print_structured(g, j);
    return k_exit_ok;
  }
  // One `key value` per line, like `ssh -G`.
  std::string text = fmt::format("name {}\nhostname {}\nport {}\nuser {}\n", e.name, e.hostname, e.port, e.user);
  for (const auto& f : e.identity_files) text += fmt::format("identityfile {}\n", f);
  text += fmt::format("identitiesonly {}\n", e.identities_only ? "yes" : "no");
  if (!e.proxy_jump.empty()) text += fmt::format("proxyjump {}\n", e.proxy_jump);
  text += fmt::format("userknownhostsfile {}\n", join(e.known_hosts_files, " "));
  text += fmt::format("hostkeypolicy {}\n", ssh::to_string(e.host_key_policy));
  text += fmt::format("connecttimeout {}\n", e.connect_timeout_s);
  text += fmt::format("vars {}\n", terminal_safe(vars.dump(), false));
  SyncOut::instance().out(text);
  return k_exit_ok;
}

} // namespace

void setup_hosts(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* hosts = app.add_subcommand("hosts", "Resolve targets; show a host's effective connection settings");
  hosts->require_subcommand(1);

  auto list_opts = std::make_shared<HostsListOptions>();
  auto* list = hosts->add_subcommand("list", "List the hosts a target selects (default: all)");
  add_target_options(list, list_opts->targets, false);
  list->add_flag("--names", list_opts->names, "Only the host names, one a line (for xargs and other tools)");
  list->callback([&global, &action, list_opts] { action = [&global, list_opts] { return run_hosts_list(global, *list_opts); }; });

  auto keys_opts = std::make_shared<HostsListOptions>();
  auto* keys = hosts->add_subcommand(
      "keys", "Check every selected host's key against known_hosts at once (no login, no prompt); list the fixes");
  add_target_options(keys, keys_opts->targets, false);
  keys->callback([&global, &action, keys_opts] { action = [&global, keys_opts] { return run_hosts_keys(global, *keys_opts); }; });

  auto show_opts = std::make_shared<HostsShowOptions>();
  auto* show = hosts->add_subcommand("show", "Show a host's effective connection settings (inventory, then ssh config)");
  show->add_option("name", show_opts->name, "Host name (from the inventory or the ssh config)")->required();
  show->callback([&global, &action, show_opts] { action = [&global, show_opts] { return run_hosts_show(global, *show_opts); }; });
}

} // namespace sshm::cli
