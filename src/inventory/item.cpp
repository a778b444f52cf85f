#include "inventory/item.hpp"

namespace sshm::inventory {

nlohmann::json row_to_json(const Row& row) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : row) j[k] = v;
  return j;
}

nlohmann::json item_to_json(const InventoryItem& item) {
  nlohmann::json content = nlohmann::json::array();
  for (const Row& r : item.content) content.push_back(row_to_json(r));
  return {{"TypeName", item.type_name},
          {"SchemaVersion", item.schema_version},
          {"CaptureTime", item.capture_time},
          {"Content", std::move(content)}};
}

const std::vector<TypeSchema>& builtin_types() {
  static const std::vector<TypeSchema> types = {
      {"AWS:InstanceInformation", "1.0",
       {"AgentType", "AgentVersion", "ComputerName", "InstanceId", "IpAddress", "PlatformName", "PlatformType",
        "PlatformVersion", "ResourceType", "AgentStatus", "InstanceStatus", "KernelVersion", "Architecture"}},
      {"AWS:Application", "1.1",
       {"Name", "ApplicationType", "Publisher", "Version", "Release", "Epoch", "InstalledTime", "Architecture", "URL",
        "Summary", "PackageId"}},
      {"AWS:AWSComponent", "1.0",
       {"Name", "ApplicationType", "Publisher", "Version", "InstalledTime", "Architecture", "URL"}},
      {"AWS:Network", "1.0",
       {"Name", "SubnetMask", "Gateway", "DHCPServer", "DNSServer", "MacAddress", "IPV4", "IPV6"}},
      {"AWS:InstanceDetailedInformation", "1.0",
       {"CPUModel", "CPUCores", "CPUs", "CPUSpeedMHz", "CPUSockets", "CPUHyperThreadEnabled", "OSServicePack",
        "KernelVersion", "TotalMemoryMB"}},
      {"AWS:Service", "1.0",
       {"Name", "DisplayName", "ServiceType", "Status", "DependentServices", "ServicesDependedOn", "StartType"}},
      {"AWS:File", "1.0",
       {"Name", "Size", "Description", "FileVersion", "InstalledDate", "ModificationTime", "LastAccessTime",
        "ProductName", "InstalledDir", "ProductLanguage", "CompanyName", "ProductVersion", "Hash"}},
      {"sshm:Process", "1.0", {"Name", "User", "Pid", "CommandLine"}},
  };
  return types;
}

const TypeSchema* find_builtin_type(const std::string& type_name) {
  for (const TypeSchema& t : builtin_types())
    if (type_name == t.type_name) return &t;
  return nullptr;
}

} // namespace sshm::inventory
