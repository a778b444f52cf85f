#pragma once
// The one table of plugins: every action the executor runs, those of the plugins layer and
// those that stand on patch/ and inventory/, which only this layer may name. Adding a plugin
// is one line here.
#include "plugins/executor.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace sshm::engine {

const plugins::PluginTable& plugin_table();

// What aws:softwareInventory hands back to the front-end through HostContext::on_result.
struct InventoryOutcome {
  bool ok = false;
  std::string error_kind;  // an ssh failure kind, "store", or "input"
  std::string error;
  std::vector<std::string> warnings;
  std::map<std::string, size_t> counts;  // type -> entries
  size_t bytes = 0;                      // the gatherer's stream
};

// The keys of HostContext::run_settings each plugin reads.
inline constexpr const char* k_patch_action = "sshm:runPatchBaseline";
inline constexpr const char* k_inventory_action = "aws:softwareInventory";

} // namespace sshm::engine
