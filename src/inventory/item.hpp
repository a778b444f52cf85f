#pragma once
// One inventory item in SSM's shape: {TypeName, SchemaVersion, CaptureTime, Content: [{attr: value}]}.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::inventory {

// One entry of an item's Content: attribute name to string value (SSM stores strings).
using Row = std::map<std::string, std::string>;

struct InventoryItem {
  std::string type_name;       // e.g. AWS:Application, Custom:RackInfo, sshm:Process
  std::string schema_version;  // e.g. 1.1
  std::string capture_time;    // YYYY-MM-DDTHH:MM:SSZ
  std::vector<Row> content;
};

// SSM's JSON shape of an item.
nlohmann::json item_to_json(const InventoryItem& item);
nlohmann::json row_to_json(const Row& row);

// The inventory types sshm gathers itself, with their SSM schema versions and attributes.
struct TypeSchema {
  const char* type_name;
  const char* schema_version;
  std::vector<std::string> attributes;
};
const std::vector<TypeSchema>& builtin_types();
const TypeSchema* find_builtin_type(const std::string& type_name);

} // namespace sshm::inventory
