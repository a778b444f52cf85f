#include "documents/plugins.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <utility>

namespace sshm::documents {

namespace {

// The agent's allPlugins (agent/framework/runpluginutil), each with what happens on Linux.
// Actions named sshm:* are sshm's own (the agentless patch plugin of AWS-RunPatchBaseline).
const std::vector<std::pair<std::string, PluginSupport>>& catalog() {
  static const std::vector<std::pair<std::string, PluginSupport>> table = {
      {"aws:runShellScript", PluginSupport::runs},
      {"aws:runPowerShellScript", PluginSupport::runs},
      {"aws:runDocument", PluginSupport::runs},
      {"aws:downloadContent", PluginSupport::runs},
      {"aws:softwareInventory", PluginSupport::runs},
      {"aws:applications", PluginSupport::not_linux},
      {"aws:psModule", PluginSupport::not_linux},
      {"aws:updateAgent", PluginSupport::not_linux},
      {"aws:configureDaemon", PluginSupport::not_linux},
      {"aws:configurePackage", PluginSupport::runs},
      {"aws:updateSsmAgent", PluginSupport::agent_only},
      {"aws:runDockerAction", PluginSupport::agent_only},
      {"aws:configureDocker", PluginSupport::agent_only},
      {"aws:configureContainers", PluginSupport::agent_only},
      {"aws:refreshAssociation", PluginSupport::agent_only},
      {"aws:domainJoin", PluginSupport::agent_only},
      {"aws:cloudWatch", PluginSupport::agent_only},
  };
  return table;
}

} // namespace

PluginSupport plugin_support(const std::string& action) {
  for (const auto& [name, support] : catalog())
    if (name == action) return support;
  if (action.rfind("sshm:", 0) == 0) return PluginSupport::runs;
  return PluginSupport::unknown;
}

std::vector<std::string> known_plugins() {
  std::vector<std::string> names;
  for (const auto& entry : catalog()) names.push_back(entry.first);
  return names;
}

std::string agent_only_message(const std::string& action, const std::string& step) {
  return fmt::format("Plugin {} is not run by sshm (the SSM Agent runs it on Linux; sshm has no agent on the "
                     "host to do it). Step name: {}",
                     action, step);
}

} // namespace sshm::documents
