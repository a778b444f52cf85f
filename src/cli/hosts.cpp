// sshm hosts list | show: what the inventory and ssh config make of the fleet.
#include "cli/common.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct HostsListOptions {
  TargetOptions targets;
};

nlohmann::json host_json(const inventory::Host& h) {
  const auto& c = h.connection;
  return {{"name", h.name},
          {"address", c.address.value_or(h.name)},
          {"port", c.port ? nlohmann::json(*c.port) : nlohmann::json(nullptr)},
          {"user", c.user ? nlohmann::json(*c.user) : nlohmann::json(nullptr)},
          {"tags", h.tags},
          {"groups", h.groups},
          {"vars", h.vars},
          {"platform", h.platform}};
}

int run_hosts_list(const GlobalOptions& g, const HostsListOptions& o) {
  auto inv = load_inventory(g);
  TargetOptions t = o.targets;
  if (t.targets.empty()) t.targets = {"all"};
  auto hosts = select(inv, t);
  if (g.output == "json" || g.output == "yaml") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto* h : hosts) arr.push_back(host_json(*h));
    SyncOut::instance().out(arr.dump(2) + "\n");
  } else if (g.output == "jsonl") {
    for (const auto* h : hosts) SyncOut::instance().out(host_json(*h).dump() + "\n");
  } else {
    std::string text;
    for (const auto* h : hosts) {
      std::string tags;
      for (const auto& [k, v] : h->tags) tags += fmt::format("{}{}={}", tags.empty() ? "" : ",", k, v);
      text += fmt::format("{:<24} {:<22} {}\n", h->name,
                          fmt::format("{}:{}", h->connection.address.value_or(h->name),
                                      h->connection.port ? std::to_string(*h->connection.port) : "-"),
                          tags);
    }
    SyncOut::instance().out(text);
  }
  return k_exit_ok;
}

} // namespace

void setup_hosts(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* hosts = app.add_subcommand("hosts", "Resolve targets; show a host's effective connection settings");
  hosts->require_subcommand(1);

  auto list_opts = std::make_shared<HostsListOptions>();
  auto* list = hosts->add_subcommand("list", "List the hosts a target selects (default: all)");
  add_target_options(list, list_opts->targets, false);
  list->callback([&global, &action, list_opts] { action = [&global, list_opts] { return run_hosts_list(global, *list_opts); }; });
}

} // namespace sshm::cli
