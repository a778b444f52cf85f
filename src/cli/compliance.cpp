// sshm compliance summary | list | put: SSM Compliance over the state store, with the shapes
// of ListComplianceSummaries, ListResourceComplianceSummaries, ListComplianceItems and
// PutComplianceItems. Three types: Association (State Manager, SyncCompliance AUTO), Patch
// (each host's last patch scan or install) and Custom:* (written by scripts with `put`).
#include "cli/common.hpp"
#include "patch/compliance.hpp"
#include "store/compliance_tables.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"
#include "util/time.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

namespace sshm::cli {

namespace {

// SeveritySummary's fields, from the most to the least severe.
constexpr std::array<const char*, 6> k_severities = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"};
constexpr std::array<const char*, 6> k_severity_fields = {"CriticalCount",      "HighCount",       "MediumCount",
                                                          "LowCount", "InformationalCount", "UnspecifiedCount"};

size_t severity_rank(const std::string& severity) {
  for (size_t i = 0; i < k_severities.size(); ++i)
    if (severity == k_severities[i]) return i;
  return k_severities.size() - 1;
}

struct Filters {
  std::vector<std::string> resource_ids;
  std::string type, status, severity;
};

bool wanted(const Filters& f, const store::StoredComplianceItem& i) {
  if (!f.resource_ids.empty() &&
      std::find(f.resource_ids.begin(), f.resource_ids.end(), i.resource_id) == f.resource_ids.end())
    return false;
  if (!f.type.empty() && i.compliance_type != f.type) return false;
  if (!f.status.empty() && i.item.status != f.status) return false;
  return f.severity.empty() || i.item.severity == f.severity;
}

// A host's Patch compliance as items: each non-compliant patch of its last scan or install,
// or, for a compliant host, one COMPLIANT item for the baseline it was checked against (the
// compliance tables keep the non-compliant patches only; `sshm patch compliance -v` shows more).
std::vector<store::StoredComplianceItem> patch_items(const store::Store& store) {
  std::vector<store::StoredComplianceItem> out;
  for (const patch::StoredCompliance& c : patch::load_compliance(store)) {
    auto base = [&](store::ComplianceItem item) {
      return store::StoredComplianceItem{c.host, "Patch", std::move(item),
                                         c.summary.value("SnapshotId", std::string()), c.capture_time};
    };
    if (c.summary.value("ComplianceStatus", std::string()) == "COMPLIANT" || c.non_compliant.empty()) {
      std::string baseline = c.summary.value("BaselineId", std::string());
      out.push_back(base({baseline, "Patch baseline " + baseline, "COMPLIANT", "UNSPECIFIED",
                          {{"PatchState", "Installed"}, {"Operation", c.summary.value("Operation", std::string())}}}));
      continue;
    }
    for (const nlohmann::json& p : c.non_compliant) {
      std::string name = p.value("Name", std::string());
      std::string arch = p.value("Arch", std::string());
      store::ComplianceItem item{arch.empty() ? name : name + "." + arch,
                                 name + " " + p.value("CandidateVersion", std::string()), "NON_COMPLIANT",
                                 p.value("ComplianceLevel", std::string("UNSPECIFIED")),
                                 {{"PatchState", p.value("State", std::string())},
                                  {"Classification", p.value("Classification", std::string())},
                                  {"PatchSeverity", p.value("Severity", std::string())}}};
      out.push_back(base(std::move(item)));
    }
  }
  return out;
}

// Every item of every type, filtered, in a stable order.
std::vector<store::StoredComplianceItem> all_items(const store::Store& store, const Filters& f) {
  std::vector<store::StoredComplianceItem> out;
  for (auto& i : store::list_compliance_items(store))
    if (wanted(f, i)) out.push_back(std::move(i));
  for (auto& i : patch_items(store))
    if (wanted(f, i)) out.push_back(std::move(i));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.resource_id, a.compliance_type, a.item.id) < std::tie(b.resource_id, b.compliance_type, b.item.id);
  });
  return out;
}

nlohmann::json execution_summary(const store::StoredComplianceItem& i) {
  nlohmann::json s = {{"ExecutionTime", i.execution_time}, {"ExecutionType", "Command"}};
  if (!i.execution_id.empty()) s["ExecutionId"] = i.execution_id;
  return s;
}

// ComplianceItem, as ListComplianceItems returns it.
nlohmann::json item_json(const store::StoredComplianceItem& i) {
  return {{"ComplianceType", i.compliance_type}, {"ResourceType", "ManagedInstance"},
          {"ResourceId", i.resource_id},         {"Id", i.item.id},
          {"Title", i.item.title},               {"Status", i.item.status},
          {"Severity", i.item.severity},         {"ExecutionSummary", execution_summary(i)},
          {"Details", i.item.details}};
}

nlohmann::json zero_severities() {
  nlohmann::json s = nlohmann::json::object();
  for (const char* field : k_severity_fields) s[field] = 0;
  return s;
}

// One host's compliance for one type (ResourceComplianceSummaryItem): NON_COMPLIANT when any
// item is, with the worst severity among those items as OverallSeverity.
struct ResourceSummary {
  std::string resource_id, type, status = "COMPLIANT", overall_severity = "UNSPECIFIED";
  std::array<int, 6> compliant{}, non_compliant{};
  const store::StoredComplianceItem* latest = nullptr;
};

std::vector<ResourceSummary> by_resource(const std::vector<store::StoredComplianceItem>& items) {
  std::map<std::pair<std::string, std::string>, ResourceSummary> rows;
  for (const auto& i : items) {
    ResourceSummary& r = rows[{i.resource_id, i.compliance_type}];
    r.resource_id = i.resource_id;
    r.type = i.compliance_type;
    size_t rank = severity_rank(i.item.severity);
    if (i.item.status == "NON_COMPLIANT") {
      if (r.status == "COMPLIANT" || rank < severity_rank(r.overall_severity)) r.overall_severity = k_severities[rank];
      r.status = "NON_COMPLIANT";
      ++r.non_compliant[rank];
    } else {
      ++r.compliant[rank];
    }
    if (!r.latest || i.execution_time > r.latest->execution_time) r.latest = &i;
  }
  std::vector<ResourceSummary> out;
  for (auto& [key, r] : rows) out.push_back(r);
  return out;
}

nlohmann::json severity_json(const std::array<int, 6>& counts) {
  nlohmann::json s = zero_severities();
  for (size_t i = 0; i < counts.size(); ++i) s[k_severity_fields[i]] = counts[i];
  return s;
}

int sum(const std::array<int, 6>& counts) {
  int n = 0;
  for (int c : counts) n += c;
  return n;
}

nlohmann::json resource_json(const ResourceSummary& r) {
  return {{"ComplianceType", r.type},
          {"ResourceType", "ManagedInstance"},
          {"ResourceId", r.resource_id},
          {"Status", r.status},
          {"OverallSeverity", r.overall_severity},
          {"ExecutionSummary", r.latest ? execution_summary(*r.latest) : nlohmann::json::object()},
          {"CompliantSummary", {{"CompliantCount", sum(r.compliant)}, {"SeveritySummary", severity_json(r.compliant)}}},
          {"NonCompliantSummary",
           {{"NonCompliantCount", sum(r.non_compliant)}, {"SeveritySummary", severity_json(r.non_compliant)}}}};
}

// ComplianceSummaryItem per type: counts of hosts, a non-compliant host counted under its
// OverallSeverity and a compliant one under UNSPECIFIED... as the console's summary does,
// per resource rather than per item.
nlohmann::json type_summaries(const std::vector<ResourceSummary>& resources) {
  std::map<std::string, std::pair<std::array<int, 6>, std::array<int, 6>>> types;
  for (const auto& r : resources) {
    auto& [compliant, non_compliant] = types[r.type];
    if (r.status == "NON_COMPLIANT") ++non_compliant[severity_rank(r.overall_severity)];
    else ++compliant[severity_rank(r.overall_severity)];
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [type, counts] : types)
    out.push_back({{"ComplianceType", type},
                   {"CompliantSummary",
                    {{"CompliantCount", sum(counts.first)}, {"SeveritySummary", severity_json(counts.first)}}},
                   {"NonCompliantSummary",
                    {{"NonCompliantCount", sum(counts.second)}, {"SeveritySummary", severity_json(counts.second)}}}});
  return out;
}

bool structured(const GlobalOptions& g) { return structured_output(g); }

void print(const GlobalOptions& g, const nlohmann::json& value) {
  print_structured(g, value);
}

std::string safe(const std::string& s) { return terminal_safe(s, false); }

struct SummaryOptions {
  Filters filters;
  bool by_resource = false;
};

void print_summary_text(const std::vector<ResourceSummary>& resources, bool per_resource) {
  std::string text;
  if (per_resource) {
    text += fmt::format("{:<24}  {:<20}  {:<14}  {:<13}  {:>9}  {:>13}\n", "RESOURCE", "TYPE", "STATUS", "SEVERITY",
                        "COMPLIANT", "NON_COMPLIANT");
    for (const auto& r : resources)
      text += fmt::format("{:<24}  {:<20}  {:<14}  {:<13}  {:>9}  {:>13}\n", safe(r.resource_id), safe(r.type), r.status,
                          r.status == "NON_COMPLIANT" ? r.overall_severity : "-", sum(r.compliant), sum(r.non_compliant));
  } else {
    text += fmt::format("{:<24}  {:>9}  {:>13}  {}\n", "TYPE", "COMPLIANT", "NON_COMPLIANT", "NON_COMPLIANT BY SEVERITY");
    for (const auto& s : type_summaries(resources)) {
      std::string severities;
      const nlohmann::json& counts = s["NonCompliantSummary"]["SeveritySummary"];
      for (size_t i = 0; i < k_severities.size(); ++i)
        if (int n = counts.value(k_severity_fields[i], 0); n > 0)
          severities += fmt::format("{}{} {}", severities.empty() ? "" : ", ", k_severities[i], n);
      text += fmt::format("{:<24}  {:>9}  {:>13}  {}\n", safe(s["ComplianceType"].get<std::string>()),
                          s["CompliantSummary"]["CompliantCount"].get<int>(),
                          s["NonCompliantSummary"]["NonCompliantCount"].get<int>(), severities.empty() ? "-" : severities);
    }
  }
  if (resources.empty()) text += "(no compliance data: run a patch scan, an association or `sshm compliance put`)\n";
  SyncOut::instance().out(text);
}

// `compliance summary`: exit 1 when any host is NON_COMPLIANT for any type, for cron alerts.
int run_summary(const GlobalOptions& g, const SummaryOptions& o) {
  auto store = open_state_store(g);
  std::vector<store::StoredComplianceItem> items = all_items(*store, o.filters);
  std::vector<ResourceSummary> resources = by_resource(items);
  if (structured(g)) {
    nlohmann::json list = nlohmann::json::array();
    if (o.by_resource)
      for (const auto& r : resources) list.push_back(resource_json(r));
    print(g, o.by_resource ? nlohmann::json{{"ResourceComplianceSummaryItems", list}}
                           : nlohmann::json{{"ComplianceSummaryItems", type_summaries(resources)}});
  } else {
    print_summary_text(resources, o.by_resource);
  }
  bool any_non_compliant = std::any_of(resources.begin(), resources.end(),
                                       [](const ResourceSummary& r) { return r.status == "NON_COMPLIANT"; });
  return any_non_compliant ? k_exit_failed : k_exit_ok;
}

int run_list(const GlobalOptions& g, const Filters& f) {
  auto store = open_state_store(g);
  std::vector<store::StoredComplianceItem> items = all_items(*store, f);
  if (structured(g)) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : items) list.push_back(item_json(i));
    print(g, {{"ComplianceItems", list}});
    return k_exit_ok;
  }
  std::string text = fmt::format("{:<24}  {:<20}  {:<14}  {:<13}  {:<30}  {}\n", "RESOURCE", "TYPE", "STATUS",
                                 "SEVERITY", "ID", "TITLE");
  for (const auto& i : items)
    text += fmt::format("{:<24}  {:<20}  {:<14}  {:<13}  {:<30}  {}\n", safe(i.resource_id), safe(i.compliance_type),
                        safe(i.item.status), safe(i.item.severity), safe(i.item.id), safe(i.item.title));
  if (items.empty()) text += "(no compliance items match)\n";
  SyncOut::instance().out(text);
  return k_exit_ok;
}

// PutComplianceItems' rules, checked before anything is written.

void check_type(const std::string& type) {
  // ComplianceType's pattern in the PutComplianceItems API reference.
  static const RE2 pattern(R"([A-Za-z0-9_\-]\w+|Custom:[a-zA-Z0-9_\-]\w+)");
  if (type.size() > 100 || !RE2::FullMatch(type, pattern))
    throw InputError(fmt::format("ValidationException: compliance type '{}' does not match "
                                 "[A-Za-z0-9_\\-]\\w+|Custom:[a-zA-Z0-9_\\-]\\w+",
                                 safe(type)) +
                     " (custom types are written Custom:Name, such as Custom:DiskEncryption)");
  if (type == "Patch")
    throw InputError("compliance type 'Patch' comes from `sshm patch scan` and `sshm patch install`; it cannot be "
                     "put (use a type of your own, such as Custom:Patching)");
}

void check_item(const store::ComplianceItem& i, size_t index) {
  std::string where = fmt::format("item {}", index + 1);
  if (i.id.size() > 100) throw InputError(fmt::format("ValidationException: {}: Id is longer than 100 characters", where));
  if (i.title.size() > 500)
    throw InputError(fmt::format("ValidationException: {}: Title is longer than 500 characters", where));
  if (i.status != "COMPLIANT" && i.status != "NON_COMPLIANT")
    throw InputError(fmt::format("ValidationException: {}: Status must be COMPLIANT or NON_COMPLIANT, not '{}'", where,
                                 safe(i.status)));
  if (std::find(k_severities.begin(), k_severities.end(), i.severity) == k_severities.end())
    throw InputError(fmt::format("ValidationException: {}: Severity must be CRITICAL, HIGH, MEDIUM, LOW, "
                                 "INFORMATIONAL or UNSPECIFIED, not '{}'",
                                 where, safe(i.severity)));
  if (!i.details.is_object())
    throw InputError(fmt::format("ValidationException: {}: Details must be a map of strings", where));
  for (const auto& [k, v] : i.details.items())
    if (!v.is_string())
      throw InputError(fmt::format("ValidationException: {}: Details.{} must be a string", where, safe(k)));
}

struct PutOptions {
  std::string resource_id, type, items_file, upload_type = "COMPLETE", execution_id, execution_time;
  std::vector<std::string> items;  // Id=..,Title=..,Severity=..,Status=..
};

std::string read_items_file(const std::string& path) {
  if (path == "-") return read_all(std::cin);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read items file {}", path));
  std::string text = read_all(in);
  if (text.size() > 16 * 1024 * 1024) throw InputError(fmt::format("{}: larger than 16 MB", path));
  return text;
}

// --items-file: a JSON array of ComplianceItemEntry ({Id, Title, Severity, Status, Details}).
std::vector<store::ComplianceItem> items_from_json(const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(read_items_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_array())
    throw InputError(fmt::format("{}: not a JSON array of items; write "
                                 R"([{{"Id": "...", "Title": "...", "Severity": "HIGH", "Status": "NON_COMPLIANT"}}])",
                                 path == "-" ? "stdin" : path));
  std::vector<store::ComplianceItem> out;
  for (const nlohmann::json& e : j) {
    if (!e.is_object()) throw InputError(fmt::format("{}: item {} is not an object", path, out.size() + 1));
    auto str = [&](const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string(); };
    out.push_back({str("Id"), str("Title"), str("Status"), str("Severity"),
                   e.contains("Details") ? e["Details"] : nlohmann::json::object()});
  }
  return out;
}

// --item Id=X,Title=Y,Severity=HIGH,Status=NON_COMPLIANT (the aws CLI's shorthand).
store::ComplianceItem item_from_shorthand(const std::string& text) {
  store::ComplianceItem item;
  for (std::string_view rest = text; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos)
      throw InputError(fmt::format("--item '{}': expected Key=Value pairs separated by commas", safe(text)));
    std::string key(pair.substr(0, eq)), value(pair.substr(eq + 1));
    if (key == "Id") item.id = value;
    else if (key == "Title") item.title = value;
    else if (key == "Severity") item.severity = value;
    else if (key == "Status") item.status = value;
    else if (key.rfind("Details.", 0) == 0) item.details[key.substr(8)] = value;
    else throw InputError(fmt::format("--item: unknown key '{}' (keys are Id, Title, Severity, Status, Details.NAME)", safe(key)));
  }
  return item;
}

void check_resource(const GlobalOptions& g, const std::string& resource_id) {
  fleet::Inventory inventory = load_inventory(g);
  if (inventory.find(resource_id)) return;
  throw InputError(fmt::format("InvalidResourceId: '{}' is not a host of the inventory (see `sshm hosts list`)",
                               safe(resource_id)),
                   closest_match(resource_id, inventory.host_names()));
}

int run_put(const GlobalOptions& g, const PutOptions& o) {
  check_type(o.type);
  std::vector<store::ComplianceItem> items;
  if (!o.items_file.empty()) items = items_from_json(o.items_file);
  for (const std::string& s : o.items) items.push_back(item_from_shorthand(s));
  if (items.size() > 10000) throw InputError("ValidationException: at most 10000 items per upload");
  for (size_t i = 0; i < items.size(); ++i) check_item(items[i], i);
  check_resource(g, o.resource_id);
  std::string time = o.execution_time.empty() ? iso8601_s(SystemClock::instance().now())
                                              : iso8601_s(parse_iso8601(o.execution_time));
  auto store = open_state_store(g);
  // At most 10 custom compliance types per managed node (PutComplianceItems).
  if (o.type.rfind("Custom:", 0) == 0) {
    std::set<std::string> types;
    for (const auto& i : store::list_compliance_items(*store, o.resource_id))
      if (i.compliance_type.rfind("Custom:", 0) == 0) types.insert(i.compliance_type);
    types.insert(o.type);
    if (types.size() > 10)
      throw InputError(fmt::format("ComplianceTypeCountLimitExceededException: '{}' already has 10 custom compliance "
                                   "types",
                                   safe(o.resource_id)));
  }
  store::put_compliance_items(*store, o.resource_id, o.type, o.execution_id, time, items, o.upload_type == "COMPLETE");
  if (!structured(g))
    SyncOut::instance().out(fmt::format("{} {}: {} item(s) recorded{}\n", safe(o.resource_id), safe(o.type), items.size(),
                                        o.upload_type == "COMPLETE" ? ", replacing the earlier ones" : ""));
  else print(g, nlohmann::json::object());  // PutComplianceItems' response is empty
  return k_exit_ok;
}

void add_filters(CLI::App* cmd, Filters& f) {
  cmd->add_option("--resource-id", f.resource_ids, "Only these hosts (repeatable)");
  cmd->add_option("--type", f.type, "Only this compliance type: Association, Patch or Custom:NAME");
  cmd->add_option("--status", f.status, "Only COMPLIANT or NON_COMPLIANT items")
      ->check(CLI::IsMember({"COMPLIANT", "NON_COMPLIANT"}));
  cmd->add_option("--severity", f.severity, "Only items of this severity")
      ->check(CLI::IsMember({"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"}));
}

} // namespace

void setup_compliance(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("compliance", "Compliance: Association, Patch and Custom types, as SSM reports them");
  group->require_subcommand(1);
  group->fallthrough();

  auto summary = std::make_shared<SummaryOptions>();
  auto* s = group->add_subcommand("summary", "Compliant and non-compliant hosts per type; exit 1 when any is non-compliant");
  add_filters(s, summary->filters);
  s->add_flag("--by-resource", summary->by_resource, "One row per host and type (ListResourceComplianceSummaries)");
  s->fallthrough();
  s->callback([&global, &action, summary] { action = [&global, summary] { return run_summary(global, *summary); }; });

  auto list = std::make_shared<Filters>();
  auto* l = group->add_subcommand("list", "Compliance items (ListComplianceItems)");
  add_filters(l, *list);
  l->fallthrough();
  l->callback([&global, &action, list] { action = [&global, list] { return run_list(global, *list); }; });

  auto put = std::make_shared<PutOptions>();
  auto* p = group->add_subcommand("put", "Record compliance items of a host (PutComplianceItems), for scripts");
  p->add_option("--resource-id", put->resource_id, "The host")->required();
  p->add_option("--compliance-type", put->type, "Custom:NAME (or Association for SyncCompliance MANUAL)")->required();
  p->add_option("--items-file", put->items_file, "A JSON array of {Id, Title, Severity, Status, Details}; - for stdin");
  p->add_option("--item", put->items, "Id=..,Title=..,Severity=..,Status=..[,Details.K=V] (repeatable)");
  p->add_option("--upload-type", put->upload_type, "COMPLETE (default: replaces the type's items) or PARTIAL")
      ->check(CLI::IsMember({"COMPLETE", "PARTIAL"}));
  p->add_option("--execution-id", put->execution_id, "ExecutionSummary.ExecutionId");
  p->add_option("--execution-time", put->execution_time, "ExecutionSummary.ExecutionTime (ISO 8601; default now)");
  p->fallthrough();
  p->callback([&global, &action, put] { action = [&global, put] { return run_put(global, *put); }; });
}

} // namespace sshm::cli
