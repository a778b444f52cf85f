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
#include <regex>

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

} // namespace

std::vector<const fleet::Host*> select(const GlobalOptions& global, const fleet::Inventory& inv,
                                           const TargetOptions& opts) {
  std::unique_ptr<store::Store> store;
  fleet::TargetSpec spec{expand_retargets(global, opts.targets, store), expand_retargets(global, opts.excludes, store)};
  return fleet::select_hosts(inv, spec, &std::cin);
}

} // namespace sshm::cli
