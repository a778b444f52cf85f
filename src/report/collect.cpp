// The report's data: the scope, the Fleet section and the Inventory package versions.
#include "inventory/inventory_store.hpp"
#include "patch/compliance.hpp"
#include "report/report.hpp"
#include "store/report_queries.hpp"

#include <algorithm>
#include <set>

namespace sshm::report {

namespace {

// Each host's value of one InstanceInformation attribute, by host name.
std::map<std::string, std::string> instance_attribute(const inventory::InventoryStore& inv,
                                                      const std::map<std::int64_t, std::string>& names,
                                                      const std::string& attribute) {
  std::map<std::string, std::string> out;
  for (const auto& [id, values] : inv.values_by_host("AWS:InstanceInformation", attribute)) {
    auto name = names.find(id);
    if (name != names.end() && !values.empty()) out[name->second] = *values.begin();
  }
  return out;
}

std::string value_or(const std::map<std::string, std::string>& m, const std::string& key, const std::string& none) {
  auto it = m.find(key);
  return it == m.end() || it->second.empty() ? none : it->second;
}

// Reachable, unreachable or unknown, from the host's last delivered-or-not invocation.
nlohmann::json reachability(const Scope& scope, const std::vector<store::HostContact>& contacts) {
  std::map<std::string, const store::HostContact*> by_host;
  for (const auto& c : contacts) by_host[c.instance_id] = &c;
  int reachable = 0, unknown = 0;
  nlohmann::json unreachable = nlohmann::json::array();
  size_t unreachable_total = 0;
  for (const auto& [host, tags] : scope.hosts) {
    auto it = by_host.find(host);
    if (it == by_host.end()) {
      ++unknown;
    } else if (it->second->failure_kind.empty() && it->second->status != "Undeliverable" &&
               it->second->status != "DeliveryTimedOut") {
      ++reachable;
    } else if (++unreachable_total <= k_list_rows) {
      unreachable.push_back({{"InstanceId", host},
                             {"LastContact", it->second->requested_date_time},
                             {"Status", it->second->status},
                             {"FailureKind", it->second->failure_kind}});
    }
  }
  return {{"Reachable", reachable},
          {"Unreachable", unreachable_total},
          {"Unknown", unknown},
          {"UnreachableHosts", unreachable}};
}

} // namespace

nlohmann::json counts_json(const std::map<std::string, int>& counts, const char* key) {
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [value, count] : sorted) out.push_back({{key, value}, {"Count", count}});
  return out;
}

nlohmann::json collect_fleet(store::Store& store, const Scope& scope) {
  inventory::InventoryStore inv(store);
  std::map<std::int64_t, std::string> names;
  for (const auto& h : inv.hosts()) names[h.id] = h.name;
  auto platform = instance_attribute(inv, names, "PlatformName");
  auto version = instance_attribute(inv, names, "PlatformVersion");
  auto kernel = instance_attribute(inv, names, "KernelVersion");
  std::map<std::string, int> by_platform, by_kernel;
  std::map<std::string, std::map<std::string, int>> by_tag;
  for (const auto& [host, tags] : scope.hosts) {
    std::string os = value_or(platform, host, "");
    by_platform[os.empty() ? "(no inventory)" : os + " " + value_or(version, host, "")]++;
    by_kernel[value_or(kernel, host, "(no inventory)")]++;
    for (const auto& [k, v] : tags) by_tag[k][v]++;
  }
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& [key, values] : by_tag)
    for (const auto& row : counts_json(values)) tags.push_back({{"Key", key}, {"Value", row["Value"]}, {"Count", row["Count"]}});
  return {{"HostCount", scope.hosts.size()},
          {"ByPlatform", counts_json(by_platform)},
          {"ByKernel", counts_json(by_kernel)},
          {"ByTag", tags},
          {"Reachability", reachability(scope, store::last_contacts(store))}};
}

nlohmann::json collect_packages(store::Store& store, const Scope& scope) {
  inventory::InventoryStore inv(store);
  std::map<std::int64_t, std::string> names;
  int with_inventory = 0;
  for (const auto& h : inv.hosts()) {
    names[h.id] = h.name;
    with_inventory += scope.hosts.count(h.name) ? 1 : 0;
  }
  nlohmann::json packages = nlohmann::json::array();
  for (const std::string& package : scope.packages) {
    std::map<std::int64_t, std::string> versions;  // entry ID -> Version
    std::vector<std::int64_t> ids;
    for (const auto& e : inv.entries("AWS:Application", package, std::nullopt)) {
      auto v = e.row.find("Version");
      versions[e.id] = v == e.row.end() ? "" : v->second;
      ids.push_back(e.id);
    }
    std::map<std::string, int> spread;
    std::set<std::string> installed;
    for (const auto& [host_id, entry_id] : inv.hosts_with_entries(ids)) {
      auto name = names.find(host_id);
      if (name == names.end() || !scope.hosts.count(name->second)) continue;
      spread[versions[entry_id]]++;
      installed.insert(name->second);
    }
    packages.push_back({{"Name", package},
                        {"Installed", installed.size()},
                        {"NotInstalled", with_inventory - static_cast<int>(installed.size())},
                        {"Versions", counts_json(spread, "Version")}});
  }
  return {{"HostsWithInventory", with_inventory}, {"Packages", packages}};
}

nlohmann::json collect(store::Store& store, Scope scope) {
  // Without -t, every host the store knows about is part of the fleet too.
  if (scope.add_store_hosts) {
    for (const auto& c : patch::load_compliance(store)) scope.hosts.try_emplace(c.host);
    inventory::InventoryStore inv(store);
    for (const auto& h : inv.hosts()) scope.hosts.try_emplace(h.name);
    for (const auto& c : store::last_contacts(store)) scope.hosts.try_emplace(c.instance_id);
  }
  return {{"ReportVersion", 1},
          {"GeneratedAt", scope.generated_at},
          {"Since", scope.since},
          {"Targets", scope.targets},
          {"Fleet", collect_fleet(store, scope)},
          {"PatchCompliance", collect_patch(store, scope)},
          {"Associations", collect_associations(store, scope)},
          {"RunCommand", collect_runs(store, scope)},
          {"Inventory", collect_packages(store, scope)}};
}

} // namespace sshm::report
