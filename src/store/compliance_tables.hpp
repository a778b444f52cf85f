#pragma once
// Compliance items in the state store, as SSM's PutComplianceItems / ListComplianceItems keep
// them: per resource (host) and ComplianceType ("Association", "Custom:..."), the items of the
// latest upload. Patch compliance lives in patch_tables.hpp and is read from there.
#include "store/store.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::store {

// One ComplianceItem (SSM's ComplianceItemEntry plus what the service adds).
struct ComplianceItem {
  std::string id;        // Id: for Association items, the AssociationId
  std::string title;     // Title
  std::string status;    // COMPLIANT, NON_COMPLIANT
  std::string severity;  // CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNSPECIFIED
  nlohmann::json details = nlohmann::json::object();  // Details: string -> string
};

// A stored item with the upload it came from.
struct StoredComplianceItem {
  std::string resource_id;      // the host
  std::string compliance_type;  // Association, Custom:...
  ComplianceItem item;
  std::string execution_id;     // ExecutionSummary.ExecutionId
  std::string execution_time;   // ExecutionSummary.ExecutionTime, ISO 8601
};

// PutComplianceItems for one host and type. `complete` (UploadType COMPLETE) replaces every
// item of that type on that host; otherwise (PARTIAL) only the items with the same Ids.
// Throws StoreError when it cannot write.
void put_compliance_items(Store& store, const std::string& resource_id, const std::string& type,
                          const std::string& execution_id, const std::string& execution_time,
                          const std::vector<ComplianceItem>& items, bool complete);

// Every stored item, by host, type and Id; "" matches any host / type.
std::vector<StoredComplianceItem> list_compliance_items(const Store& store, const std::string& resource_id = "",
                                                        const std::string& type = "");

// Removes the items of one Id (an association that was deleted) from every host.
void delete_compliance_items(Store& store, const std::string& type, const std::string& id);

} // namespace sshm::store
