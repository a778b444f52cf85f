#include "collectors/export.hpp"

#include "util/error.hpp"

#include <fmt/format.h>
#include <fstream>

namespace sshm::collectors {

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

ExportSummary export_to_dir(const InventoryStore& store, const std::filesystem::path& dir,
                            const ExportOptions& options) {
  namespace fs = std::filesystem;
  ExportSummary summary;
  for (const StoredHost& host : store.hosts()) {
    ++summary.hosts;
    for (const InventoryItem& item : store.current(host.name)) {
      fs::path file = dir / export_key(item.type_name, options, host.name);
      std::error_code ec;
      fs::create_directories(file.parent_path(), ec);
      if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
      fs::path tmp = file;
      tmp += ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        std::string body = export_body(item, host.name);
        out << body;
        if (!out) throw RuntimeError(fmt::format("cannot write {}", tmp.string()));
        summary.lines += static_cast<long long>(item.content.size());
      }
      fs::rename(tmp, file, ec);
      if (ec) throw RuntimeError(fmt::format("cannot write {}: {}", file.string(), ec.message()));
      ++summary.files;
    }
  }
  return summary;
}

} // namespace sshm::collectors
