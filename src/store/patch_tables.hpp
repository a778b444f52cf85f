#pragma once
// Patch Manager results in the state store:
//   patch_summaries  the latest PatchSummary per host (what `patch compliance` reports)
//   patch_items      the latest per-package states of each host
//   patch_operations every operation ever run, including failed ones (history)
// src/patch maps its reports onto these rows.
#include "store/store.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::store {

// One scan or install of one host, as the history keeps it.
struct PatchOperationRow {
  std::string host;
  std::string operation;  // Scan, Install
  std::string status;     // Success, Failed
  std::string error;
  std::string start_time;
  std::string end_time;
  nlohmann::json summary = nlohmann::json::object();  // SSM's PatchSummary shape
};

// The state of a host that a completed operation established.
struct PatchStateRow {
  std::string operating_system;
  std::string baseline_id;
  std::string compliance;  // COMPLIANT, NON_COMPLIANT
  std::string severity;
  std::string capture_time;
};

// One package of a host's state.
struct PatchItemRow {
  std::string name;
  std::string arch;
  std::string state;  // Installed, Missing, Failed, ...
  std::string installed_version;
  std::string candidate_version;
  std::string compliance_level;
  nlohmann::json item = nlohmann::json::object();  // SSM's patch shape
};

// Records one operation in one transaction. With `state`, it also becomes the host's latest
// state and `items` replace its packages; without (host not reached), only the history grows.
// Throws StoreError when it cannot write.
void save_patch_operation(Store& store, const PatchOperationRow& operation, const std::optional<PatchStateRow>& state,
                          const std::vector<PatchItemRow>& items);

// A host's latest state as stored.
struct StoredPatchState {
  std::string host;
  std::string operating_system;
  std::string capture_time;
  nlohmann::json summary;
  std::vector<nlohmann::json> non_compliant;  // items Missing, Failed, InstalledRejected, InstalledPendingReboot
};

// The latest state of every host, by host name.
std::vector<StoredPatchState> load_patch_states(const Store& store);
// The operations recorded for a host, oldest first.
std::vector<PatchOperationRow> patch_history(const Store& store, const std::string& host);
// Every operation (any host) that started at or after `since` (ISO 8601), oldest first.
std::vector<PatchOperationRow> patch_operations_since(const Store& store, const std::string& since);

} // namespace sshm::store
