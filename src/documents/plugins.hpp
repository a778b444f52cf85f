#pragma once
// The SSM plugins by name, and what a Linux host does with each: the SSM Agent's list of
// every plugin it knows (runpluginutil's allPlugins), which of them it has a Linux
// implementation for, and which of those sshm runs. The agent's step rules stand on this
// (documents::resolve); the README's plugin table says the same in words.
#include <string>
#include <vector>

namespace sshm::documents {

enum class PluginSupport {
  runs,        // sshm runs it (aws:runShellScript, aws:downloadContent, ...)
  not_linux,   // SSM knows it, the agent has no Linux implementation (aws:psModule, ...)
  agent_only,  // the agent runs it on Linux; sshm does not (aws:runDockerAction, ...)
  unknown,     // no SSM plugin has this name
};

PluginSupport plugin_support(const std::string& action);

// Every plugin name SSM's agent knows, in the catalog's order, for messages and the README.
std::vector<std::string> known_plugins();

// Why sshm does not run an agent_only plugin, for the step's failure.
std::string agent_only_message(const std::string& action, const std::string& step);

} // namespace sshm::documents
