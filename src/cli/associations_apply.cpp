// Associations as data: the stored definition, DescribeAssociation's shape, and
// `sshm associations apply -f FILE`, which makes the stored set equal to a file kept in git.
#include "cli/associations.hpp"

#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "store/association_tables.hpp"
#include "store/compliance_tables.hpp"
#include "util/bounded_parse.hpp"
#include "util/error.hpp"
#include "util/yaml_reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

namespace sshm::cli {

store::AssociationRow apply_create(store::Store& store, const schedule::Association& a);
store::AssociationRow apply_update(store::Store& store, const store::AssociationRow& row, const schedule::Association& a);
void apply_validate(const schedule::Association& a);
int run_associations_apply(const GlobalOptions& g, const std::string& file, bool dry_run);

namespace {

std::string str_of(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw InputError(fmt::format("ValidationException: {} must be a string", key));
  return it->get<std::string>();
}

int int_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) throw InputError(fmt::format("ValidationException: {} must be a whole number", key));
  return it->get<int>();
}

// Overview: the hosts' statuses counted, as AssociationOverview.
nlohmann::json overview(const std::vector<store::AssociationHostRow>& hosts) {
  std::map<std::string, int> counts;
  for (const auto& h : hosts) ++counts[h.status];
  std::string status = "Pending";
  if (!hosts.empty()) status = counts["Failed"] > 0 ? "Failed" : counts["Pending"] > 0 ? "Pending" : "Success";
  nlohmann::json aggregated = nlohmann::json::object();
  std::string detailed;
  for (const auto& [k, v] : counts) {
    if (v == 0) continue;
    aggregated[k] = v;
    detailed += fmt::format("{}{} {}", detailed.empty() ? "" : ", ", v, k);
  }
  return {{"Status", status}, {"DetailedStatus", detailed.empty() ? "Pending" : detailed},
          {"AssociationStatusAggregatedCount", aggregated}};
}

} // namespace

nlohmann::json association_to_definition(const schedule::Association& a) {
  return {{"AssociationId", a.association_id},
          {"AssociationName", a.association_name},
          {"AssociationVersion", a.association_version},
          {"Name", a.name},
          {"DocumentVersion", a.document_version},
          {"Parameters", a.parameters},
          {"Targets", a.targets},
          {"ScheduleExpression", a.schedule_expression},
          {"ScheduleOffset", a.schedule_offset},
          {"ApplyOnlyAtCronInterval", a.apply_only_at_cron_interval},
          {"MaxConcurrency", a.max_concurrency},
          {"MaxErrors", a.max_errors},
          {"ComplianceSeverity", a.compliance_severity},
          {"SyncCompliance", a.sync_compliance},
          {"Duration", a.duration},
          {"OutputLocation",
           {{"S3Location",
             {{"OutputS3BucketName", a.output_s3_bucket_name},
              {"OutputS3KeyPrefix", a.output_s3_key_prefix},
              {"OutputS3Region", a.output_s3_region}}}}},
          {"Date", a.date},
          {"LastUpdateAssociationDate", a.last_update_association_date}};
}

schedule::Association association_from_definition(const nlohmann::json& d) {
  if (!d.is_object()) throw InputError("ValidationException: an association must be an object");
  schedule::Association a;
  a.association_id = str_of(d, "AssociationId");
  a.association_name = str_of(d, "AssociationName");
  a.association_version = std::max(1, int_of(d, "AssociationVersion"));
  a.name = str_of(d, "Name");
  a.document_version = str_of(d, "DocumentVersion", "$DEFAULT");
  if (d.contains("Parameters") && !d["Parameters"].is_null()) a.parameters = d["Parameters"];
  if (auto it = d.find("Targets"); it != d.end() && !it->is_null()) {
    if (!it->is_array()) throw InputError("InvalidTarget: Targets must be a list of -t expressions");
    for (const auto& t : *it) {
      if (!t.is_string()) throw InputError("InvalidTarget: each target must be a -t expression (a string)");
      a.targets.push_back(t.get<std::string>());
    }
  }
  a.schedule_expression = str_of(d, "ScheduleExpression");
  a.schedule_offset = int_of(d, "ScheduleOffset");
  if (auto it = d.find("ApplyOnlyAtCronInterval"); it != d.end() && !it->is_null()) {
    if (!it->is_boolean()) throw InputError("ValidationException: ApplyOnlyAtCronInterval must be true or false");
    a.apply_only_at_cron_interval = it->get<bool>();
  }
  a.max_concurrency = str_of(d, "MaxConcurrency");
  a.max_errors = str_of(d, "MaxErrors");
  a.compliance_severity = str_of(d, "ComplianceSeverity", "UNSPECIFIED");
  a.sync_compliance = str_of(d, "SyncCompliance", "AUTO");
  a.duration = int_of(d, "Duration");
  if (auto it = d.find("OutputLocation"); it != d.end() && it->is_object() && it->contains("S3Location")) {
    const nlohmann::json& s3 = (*it)["S3Location"];
    a.output_s3_bucket_name = str_of(s3, "OutputS3BucketName");
    a.output_s3_key_prefix = str_of(s3, "OutputS3KeyPrefix");
    a.output_s3_region = str_of(s3, "OutputS3Region");
  }
  a.date = str_of(d, "Date");
  a.last_update_association_date = str_of(d, "LastUpdateAssociationDate");
  return a;
}

nlohmann::json association_description_json(const store::Store& store, const store::AssociationRow& row) {
  // Stored rows are only read here; a definition written by this code always converts.
  nlohmann::json d = row.definition;
  schedule::Association a = association_from_definition(row.definition);
  d["AssociationVersion"] = std::to_string(row.association_version);
  d["Targets"] = store::ssm_targets(a.targets);
  d["TargetExpressions"] = a.targets;
  d["Overview"] = overview(store::list_association_hosts(store, row.association_id));
  d["LastExecutionDate"] = row.last_execution_date;
  d["LastSuccessfulExecutionDate"] = row.last_successful_execution_date;
  return d;
}

namespace {

const std::vector<std::string> k_file_keys = {
    "AssociationName", "Name",         "DocumentVersion",    "Parameters", "Targets",
    "ScheduleExpression", "ScheduleOffset", "ApplyOnlyAtCronInterval", "MaxConcurrency", "MaxErrors",
    "ComplianceSeverity", "SyncCompliance", "Duration", "OutputLocation"};

// A YAML scalar, list or map as JSON strings (the file's types are checked field by field).
nlohmann::json yaml_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : n) a.push_back(yaml_json(e));
    return a;
  }
  if (n.IsNull()) return nullptr;
  return n.as<std::string>();
}

// One entry of the file as a definition, every problem at its file:line:col.
schedule::Association read_entry(const YamlReader& reader, const YAML::Node& n) {
  reader.expect_map(n, "an association");
  reader.check_keys(n, k_file_keys, "an association");
  for (const char* key : {"AssociationName", "Name"})
    if (!n[key] || !n[key].IsScalar()) reader.fail(n, fmt::format("an association needs {} (a string)", key));
  nlohmann::json d = yaml_json(n);
  if (n["Targets"] && n["Targets"].IsScalar()) d["Targets"] = nlohmann::json::array({d["Targets"]});
  if (d.contains("Parameters")) {
    if (!d["Parameters"].is_object()) reader.fail(n["Parameters"], "Parameters must be a map of name to values");
    for (auto& [k, v] : d["Parameters"].items())
      if (v.is_string()) v = nlohmann::json::array({v});
  }
  for (const char* key : {"ScheduleOffset", "Duration"}) {
    if (!n[key]) continue;
    try {
      d[key] = n[key].as<int>();
    } catch (const YAML::Exception&) {
      reader.fail(n[key], fmt::format("{} must be a whole number", key));
    }
  }
  if (n["ApplyOnlyAtCronInterval"]) {
    try {
      d["ApplyOnlyAtCronInterval"] = n["ApplyOnlyAtCronInterval"].as<bool>();
    } catch (const YAML::Exception&) {
      reader.fail(n["ApplyOnlyAtCronInterval"], "ApplyOnlyAtCronInterval must be true or false");
    }
  }
  try {
    schedule::Association a = association_from_definition(d);
    apply_validate(a);
    return a;
  } catch (const InputError& e) {
    reader.fail(n, e.what());
  }
}

std::vector<schedule::Association> read_file(const std::string& file) {
  YAML::Node root = load_yaml_input(bounded::read_file(file, "associations file"), file);
  YamlReader reader(file, "a mapping");
  reader.expect_map(root, "the associations file");
  reader.check_keys(root, {"associations"}, "the associations file");
  YAML::Node list = root["associations"];
  if (!list || !(list.IsSequence() || list.IsNull())) reader.fail(root, "'associations' must be a list");
  std::vector<schedule::Association> out;
  std::set<std::string> names;
  for (const auto& n : list) {
    schedule::Association a = read_entry(reader, n);
    if (!names.insert(a.association_name).second)
      reader.fail(n, fmt::format("AssociationAlreadyExists: '{}' is in the file twice", a.association_name));
    out.push_back(std::move(a));
  }
  return out;
}

// The fields whose value differs between the stored definition and the file's.
std::vector<std::string> changed_fields(const schedule::Association& stored, const schedule::Association& wanted) {
  nlohmann::json a = association_to_definition(stored);
  nlohmann::json b = association_to_definition(wanted);
  std::vector<std::string> out;
  for (const std::string& key : k_file_keys)
    if (a[key] != b[key]) out.push_back(key);
  return out;
}

void print_apply(const GlobalOptions& g, const nlohmann::json& changes, bool dry_run) {
  if (structured_output(g)) {
    print_structured(g, {{"DryRun", dry_run}, {"Changes", changes}});
    return;
  }
  std::string text;
  int count = 0;
  for (const auto& c : changes) {
    const std::string action = c["Action"].get<std::string>();
    const std::string name = c["AssociationName"].get<std::string>();
    if (action == "update") text += fmt::format("~ update {}: {}\n", name, fmt::join(c["Fields"].get<std::vector<std::string>>(), ", "));
    else text += fmt::format("{} {} {}\n", action == "create" ? "+" : action == "delete" ? "-" : "=", action, name);
    if (action != "unchanged") ++count;
  }
  text += fmt::format("{} change(s){}\n", count, dry_run ? " (dry run: nothing changed)" : "");
  SyncOut::instance().out(text);
}

} // namespace

int run_associations_apply(const GlobalOptions& g, const std::string& file, bool dry_run) {
  // Read and check the whole file first: a bad entry changes nothing.
  std::vector<schedule::Association> wanted = read_file(file);
  auto store = open_state_store(g);
  std::map<std::string, store::AssociationRow> stored;
  for (auto& row : store::list_associations(*store))
    if (!row.association_name.empty()) stored[row.association_name] = row;
  // One entry per association: what apply does (or, with --dry-run, would do) to it.
  nlohmann::json changes = nlohmann::json::array();
  auto note = [&](const char* action, const std::string& name, const std::vector<std::string>& fields = {}) {
    changes.push_back({{"Action", action}, {"AssociationName", name}, {"Fields", fields}});
  };
  for (const auto& a : wanted) {
    auto it = stored.find(a.association_name);
    if (it == stored.end()) {
      note("create", a.association_name);
      if (!dry_run) apply_create(*store, a);
      continue;
    }
    std::vector<std::string> fields = changed_fields(association_from_definition(it->second.definition), a);
    note(fields.empty() ? "unchanged" : "update", a.association_name, fields);
    if (!fields.empty() && !dry_run) apply_update(*store, it->second, a);
    stored.erase(it);
  }
  for (const auto& [name, row] : stored) {
    note("delete", name);
    if (!dry_run) {
      store::delete_association(*store, row.association_id);
      store::delete_compliance_items(*store, "Association", row.association_id);
    }
  }
  print_apply(g, changes, dry_run);
  return k_exit_ok;
}

} // namespace sshm::cli
