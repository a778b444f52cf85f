#pragma once
// Export of current inventory in Resource Data Sync's layout, so Athena/Glue tables made for
// SSM read it: <dir>/<TypeName>/accountid=<id>/region=<r>/resourcetype=ManagedInstanceInventory/<host>.json
// Each file is JSON Lines: one object per entry with its attributes plus resourceId,
// captureTime and schemaVersion.
#include "inventory/inventory_store.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace sshm::aws {
class AwsContext;
}

namespace sshm::inventory {

struct ExportOptions {
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
};

struct ExportSummary {
  int hosts = 0;
  int files = 0;
  long long lines = 0;
};

// The relative key of one host's file of one type.
std::string export_key(const std::string& type_name, const ExportOptions& options, const std::string& host);
// The JSON Lines body of one item for one host.
std::string export_body(const InventoryItem& item, const std::string& host);

// Writes one file: its key (relative to the destination) and its body.
using ExportWriter = std::function<void(const std::string& key, const std::string& body)>;
// Hands every host's current items to `write`, one file per host and type.
ExportSummary export_items(const InventoryStore& store, const ExportOptions& options, const ExportWriter& write);

// Writes every host's current items under `dir` (created when missing); each file is
// replaced atomically.
ExportSummary export_to_dir(const InventoryStore& store, const std::filesystem::path& dir, const ExportOptions& options);

// Uploads every host's current items to s3://bucket/prefix/... (no prefix: keys start at the
// TypeName), as Resource Data Sync does. Throws RuntimeError naming the key that failed.
ExportSummary export_to_s3(const InventoryStore& store, aws::AwsContext& context, const std::string& bucket,
                           const std::string& prefix, const ExportOptions& options);

} // namespace sshm::inventory
