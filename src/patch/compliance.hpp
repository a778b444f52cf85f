#pragma once
// Patch compliance in the state store: each host's latest state and the history of every
// operation (store/patch_tables.hpp holds the tables and their SQL).
#include "patch/operations.hpp"
#include "store/store.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::patch {

// Records one host's operation. A host that was not reached only adds history; its
// last known compliance stays. Throws store::StoreError when the store cannot be written.
void save_report(store::Store& store, const HostPatchReport& report);

struct StoredCompliance {
  std::string host;
  std::string operating_system;
  std::string capture_time;
  nlohmann::json summary;  // summary_to_json shape
  std::vector<nlohmann::json> non_compliant;  // item_to_json of Missing, Failed, InstalledRejected, InstalledPendingReboot
};

// The latest compliance of every host in the store, by host name.
std::vector<StoredCompliance> load_compliance(const store::Store& store);

} // namespace sshm::patch
