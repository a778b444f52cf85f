#pragma once
// Patch compliance in the state store (SQLite), in tables this folder owns:
//   patch_summaries  the latest PatchSummary per host (what `patch compliance` reports)
//   patch_items      the latest per-package states of each host
//   patch_operations every operation ever run, including failed ones (history)
#include "patch/operations.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

struct sqlite3;

namespace sshm::patch {

// Creates the tables when missing; safe to call every time.
void ensure_compliance_schema(sqlite3* db);

// Records one host's operation. A host that was not reached only adds history; its
// last known compliance stays.
void save_report(sqlite3* db, const HostPatchReport& report);

struct StoredCompliance {
  std::string host;
  std::string operating_system;
  std::string capture_time;
  nlohmann::json summary;  // summary_to_json shape
  std::vector<nlohmann::json> non_compliant;  // item_to_json of Missing, Failed, InstalledRejected, InstalledPendingReboot
};

// The latest compliance of every host in the store, by host name.
std::vector<StoredCompliance> load_compliance(sqlite3* db);

} // namespace sshm::patch
