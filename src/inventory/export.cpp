#include "inventory/export.hpp"

#include "aws/s3.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <fstream>

namespace sshm::inventory {

std::string export_key(const std::string& type_name, const ExportOptions& options, const std::string& host) {
  return fmt::format("{}/accountid={}/region={}/resourcetype=ManagedInstanceInventory/{}.json", type_name,
                     options.account_id, options.region, host);
}

std::string export_body(const InventoryItem& item, const std::string& host) {
  std::string out;
  for (const Row& row : item.content) {
    nlohmann::json line = row_to_json(row);
    line["resourceId"] = host;
    line["captureTime"] = item.capture_time;
    line["schemaVersion"] = item.schema_version;
    out += line.dump();
    out += '\n';
  }
  return out;
}

ExportSummary export_items(const InventoryStore& store, const ExportOptions& options, const ExportWriter& write) {
  ExportSummary summary;
  for (const StoredHost& host : store.hosts()) {
    ++summary.hosts;
    for (const InventoryItem& item : store.current(host.name)) {
      write(export_key(item.type_name, options, host.name), export_body(item, host.name));
      summary.lines += static_cast<long long>(item.content.size());
      ++summary.files;
    }
  }
  return summary;
}

ExportSummary export_to_dir(const InventoryStore& store, const std::filesystem::path& dir,
                            const ExportOptions& options) {
  namespace fs = std::filesystem;
  return export_items(store, options, [&](const std::string& key, const std::string& body) {
    fs::path file = dir / key;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
    fs::path tmp = file;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << body;
      if (!out) throw RuntimeError(fmt::format("cannot write {}", tmp.string()));
    }
    fs::rename(tmp, file, ec);
    if (ec) throw RuntimeError(fmt::format("cannot write {}: {}", file.string(), ec.message()));
  });
}

ExportSummary export_to_s3(const InventoryStore& store, aws::AwsContext& context, const std::string& bucket,
                           const std::string& prefix, const ExportOptions& options) {
  aws::S3Client s3(context);
  std::string base = prefix;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return export_items(store, options, [&](const std::string& key, const std::string& body) {
    std::string full = base.empty() ? key : base + "/" + key;
    if (auto err = s3.put_object(bucket, full, body))
      throw RuntimeError(fmt::format("cannot upload s3://{}/{}: {}", bucket, full, err->text()));
  });
}

} // namespace sshm::inventory
