#include "cli/select.hpp"

#include "cli/global_options.hpp"
#include "fleet/targets.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <utility>

namespace sshm::cli {

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
    if (!store) store = open_state_store(global);
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

// Where load_inventory looked, for the error when it found no file and nothing matched.
std::string inventory_search_places() {
  std::error_code ec;
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  const std::string config_home = xdg_dir("XDG_CONFIG_HOME", ".config");
  return fmt::format("no inventory file was found; sshm looked at -i/--inventory, $SSHM_INVENTORY and "
                     "'inventory:' in {}/sshm/config.yaml (none set), {} and {}/sshm/inventory.yaml (neither "
                     "exists); hosts the ssh config names are targets too (sshm help config)",
                     config_home, (cwd / "inventory.yaml").string(), config_home);
}

// Adds the ssh-config-only hosts that the -t expressions name, one word at a time.
void add_ssh_config_hosts(const GlobalOptions& global, fleet::Inventory& inv, const std::vector<std::string>& targets) {
  static const std::regex plain_name("^[A-Za-z0-9_.-]+$");
  std::optional<ssh::SshConfig> config;
  for (const std::string& expression : targets)
    for (const std::string& word : split(expression, ',')) {
      if (!std::regex_match(word, plain_name) || word == "all" || inv.find(word) != nullptr ||
          inv.groups().count(word) > 0)
        continue;
      if (!config) config = load_ssh_config(global);
      if (!config->defines_host(word)) continue;
      fleet::Host host;
      host.name = word;
      host.where = Location{config->files().empty() ? "ssh config" : config->files().front(), 0, 0};
      inv.add_host(std::move(host));
    }
}

} // namespace

std::vector<const fleet::Host*> select(const GlobalOptions& global, fleet::Inventory& inv, const TargetOptions& opts) {
  add_ssh_config_hosts(global, inv, opts.targets);
  return select(global, std::as_const(inv), opts);
}

std::vector<const fleet::Host*> select(const GlobalOptions& global, const fleet::Inventory& inv,
                                           const TargetOptions& opts) {
  std::unique_ptr<store::Store> store;
  fleet::TargetSpec spec{expand_retargets(global, opts.targets, store), expand_retargets(global, opts.excludes, store)};
  if (!inv.source().empty() || !inv.hosts().empty()) return fleet::select_hosts(inv, spec, &std::cin);
  try {
    return fleet::select_hosts(inv, spec, &std::cin);
  } catch (const InputError& e) {
    // Nothing to select from because no inventory file exists: say where sshm looked.
    throw InputError(fmt::format("{}: {}", e.what(), inventory_search_places()), e.suggestion());
  }
}

} // namespace sshm::cli
