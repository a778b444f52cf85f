// The Patch compliance section: each host's last scan or install (Patch Manager's
// PatchSummary), the patches still missing, scan ages and the trend over the period.
#include "patch/compliance.hpp"
#include "report/report.hpp"
#include "store/patch_tables.hpp"
#include "store/report_queries.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace sshm::report {

namespace {

constexpr std::array<const char*, 6> k_severities = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"};

size_t severity_rank(const std::string& s) {
  for (size_t i = 0; i < k_severities.size(); ++i)
    if (s == k_severities[i]) return i;
  return k_severities.size() - 1;
}

// SSM reads a host's patch group from its "Patch Group" (or "PatchGroup") tag.
std::string patch_group(const patch::StoredCompliance* c, const std::map<std::string, std::string>& tags) {
  if (c) {
    std::string g = c->summary.value("PatchGroup", "");
    if (!g.empty()) return g;
  }
  for (const char* key : {"Patch Group", "PatchGroup"})
    if (auto it = tags.find(key); it != tags.end() && !it->second.empty()) return it->second;
  return "(none)";
}

// Whole days between two ISO 8601 times; -1 when either does not parse.
long long age_days(const std::string& from, const std::string& to) {
  try {
    return std::chrono::duration_cast<std::chrono::hours>(parse_iso8601(to) - parse_iso8601(from)).count() / 24;
  } catch (const std::exception&) {
    return -1;
  }
}

struct Behind {
  std::string host;
  int critical = 0, security = 0, missing = 0, failed = 0;
  std::string severity, capture_time;
};

nlohmann::json furthest_behind(std::vector<Behind> rows) {
  std::sort(rows.begin(), rows.end(), [](const Behind& a, const Behind& b) {
    return std::tie(b.critical, b.security, b.missing, b.failed, a.host) <
           std::tie(a.critical, a.security, a.missing, a.failed, b.host);
  });
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < rows.size() && i < k_list_rows; ++i)
    out.push_back({{"InstanceId", rows[i].host},
                   {"ComplianceSeverity", rows[i].severity},
                   {"CriticalNonCompliantCount", rows[i].critical},
                   {"SecurityNonCompliantCount", rows[i].security},
                   {"MissingCount", rows[i].missing},
                   {"FailedCount", rows[i].failed},
                   {"CaptureTime", rows[i].capture_time}});
  return out;
}

// Missing security patches: how many hosts lack each, worst ComplianceLevel first.
nlohmann::json missing_security(const std::vector<const patch::StoredCompliance*>& scanned) {
  struct Row { int hosts = 0; std::string level = "UNSPECIFIED"; std::string candidate; };
  std::map<std::string, Row> rows;
  for (const auto* c : scanned) {
    std::set<std::string> seen;
    for (const auto& p : c->non_compliant) {
      if (to_lower(p.value("Classification", "")).find("security") == std::string::npos) continue;
      std::string name = p.value("Name", "");
      if (!seen.insert(name).second) continue;
      Row& r = rows[name];
      ++r.hosts;
      std::string level = p.value("ComplianceLevel", "UNSPECIFIED");
      if (severity_rank(level) < severity_rank(r.level)) r.level = level;
      r.candidate = std::max(r.candidate, p.value("CandidateVersion", ""));
    }
  }
  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::make_pair(severity_rank(a.second.level), -a.second.hosts) <
           std::make_pair(severity_rank(b.second.level), -b.second.hosts);
  });
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < sorted.size() && i < k_list_rows; ++i)
    out.push_back({{"Name", sorted[i].first},
                   {"ComplianceLevel", sorted[i].second.level},
                   {"CandidateVersion", sorted[i].second.candidate},
                   {"Hosts", sorted[i].second.hosts}});
  return {{"Total", sorted.size()}, {"Packages", out}};
}

// Scan ages in buckets, and the hosts whose last scan is oldest.
nlohmann::json scan_ages(const Scope& scope, const std::map<std::string, const patch::StoredCompliance*>& by_host) {
  const std::array<std::pair<const char*, long long>, 4> buckets = {
      {{"under 1 day", 1}, {"1 to 7 days", 7}, {"7 to 30 days", 30}, {"over 30 days", -1}}};
  std::map<std::string, int> counts;
  std::vector<std::pair<long long, std::string>> ages;
  for (const auto& [host, tags] : scope.hosts) {
    auto it = by_host.find(host);
    if (it == by_host.end()) continue;
    long long days = age_days(it->second->capture_time, scope.generated_at);
    ages.push_back({days, host});
    for (const auto& [label, limit] : buckets)
      if (limit < 0 || days < limit) {
        counts[label]++;
        break;
      }
  }
  std::sort(ages.begin(), ages.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  nlohmann::json bucket_json = nlohmann::json::array(), oldest = nlohmann::json::array();
  for (const auto& [label, limit] : buckets) bucket_json.push_back({{"Label", label}, {"Count", counts[label]}});
  for (size_t i = 0; i < ages.size() && i < 10; ++i)
    oldest.push_back({{"InstanceId", ages[i].second},
                      {"CaptureTime", by_host.at(ages[i].second)->capture_time},
                      {"AgeDays", ages[i].first}});
  return {{"Buckets", bucket_json}, {"Oldest", oldest}};
}

// Per day of the period: hosts by the compliance of their latest completed scan or install
// up to the end of that day (operations of the period only).
nlohmann::json trend(store::Store& store, const Scope& scope) {
  std::map<std::string, std::map<std::string, std::string>> by_day;  // day -> host -> status
  for (const auto& op : store::patch_operations_since(store, scope.since.substr(0, 19) + "Z")) {
    std::string status = op.summary.value("ComplianceStatus", "");
    if (!scope.hosts.count(op.host) || status.empty() || op.end_time.size() < 10) continue;
    by_day[op.end_time.substr(0, 10)][op.host] = status;
  }
  nlohmann::json out = nlohmann::json::array();
  std::map<std::string, std::string> state;
  for (const auto& [day, hosts] : by_day) {
    for (const auto& [h, s] : hosts) state[h] = s;
    int compliant = 0;
    for (const auto& [h, s] : state) compliant += s == "COMPLIANT" ? 1 : 0;
    out.push_back({{"Date", day}, {"Compliant", compliant}, {"NonCompliant", static_cast<int>(state.size()) - compliant}});
  }
  return out;
}

} // namespace

nlohmann::json collect_patch(store::Store& store, const Scope& scope) {
  std::vector<patch::StoredCompliance> stored = patch::load_compliance(store);
  std::map<std::string, const patch::StoredCompliance*> by_host;
  for (const auto& c : stored)
    if (scope.hosts.count(c.host)) by_host[c.host] = &c;
  int compliant = 0, non_compliant = 0, not_scanned = 0;
  std::map<std::string, int> by_severity;
  std::map<std::string, std::array<int, 3>> by_group;
  std::vector<Behind> behind;
  std::vector<const patch::StoredCompliance*> scanned;
  for (const auto& [host, tags] : scope.hosts) {
    auto it = by_host.find(host);
    const patch::StoredCompliance* c = it == by_host.end() ? nullptr : it->second;
    auto& group = by_group[patch_group(c, tags)];
    if (!c) {
      ++not_scanned;
      ++group[2];
      continue;
    }
    scanned.push_back(c);
    const nlohmann::json& s = c->summary;
    if (s.value("ComplianceStatus", "NON_COMPLIANT") == "COMPLIANT") {
      ++compliant;
      ++group[0];
      continue;
    }
    ++non_compliant;
    ++group[1];
    std::string severity = s.value("ComplianceSeverity", "");
    ++by_severity[severity.empty() ? "UNSPECIFIED" : severity];
    behind.push_back({host, s.value("CriticalNonCompliantCount", 0), s.value("SecurityNonCompliantCount", 0),
                      s.value("MissingCount", 0), s.value("FailedCount", 0), severity, c->capture_time});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [name, n] : by_group)
    groups.push_back({{"PatchGroup", name}, {"Compliant", n[0]}, {"NonCompliant", n[1]}, {"NotScanned", n[2]}});
  nlohmann::json severities = nlohmann::json::array();
  for (const char* level : k_severities)
    if (by_severity.count(level)) severities.push_back({{"Severity", level}, {"Count", by_severity[level]}});
  return {{"Compliant", compliant},
          {"NonCompliant", non_compliant},
          {"NotScanned", not_scanned},
          {"NonCompliantBySeverity", severities},
          {"ByPatchGroup", groups},
          {"FurthestBehind", furthest_behind(std::move(behind))},
          {"MissingSecurityPatches", missing_security(scanned)},
          {"ScanAge", scan_ages(scope, by_host)},
          {"Trend", trend(store, scope)}};
}

} // namespace sshm::report
