// sshm associations: State Manager associations (SSM's CreateAssociation, UpdateAssociation,
// ListAssociations, DescribeAssociation, DeleteAssociation, StartAssociationsOnce,
// DescribeAssociationExecutions, DescribeAssociationExecutionTargets), kept in the state
// store and run by `sshm tick`.
#include "cli/associations.hpp"

#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "cli/select.hpp"
#include "documents/document.hpp"
#include "documents/secrets.hpp"
#include "store/association_tables.hpp"
#include "store/compliance_tables.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>

namespace sshm::cli {

namespace {

// The flags of create and update, named after CreateAssociation's fields. For update, a
// flag not given keeps the stored value.
struct AssociationFlags {
  std::optional<std::string> name;  // --name: the document
  std::optional<std::string> association_name;
  std::optional<std::string> document_version;
  std::vector<std::string> targets;
  std::vector<std::string> parameters;  // NAME=VALUE (repeat for a list)
  std::optional<std::string> parameters_file;
  std::optional<std::string> schedule_expression;
  std::optional<int> schedule_offset;
  std::optional<bool> apply_only_at_cron_interval;
  std::optional<std::string> max_concurrency;
  std::optional<std::string> max_errors;
  std::optional<std::string> compliance_severity;
  std::optional<std::string> sync_compliance;
  std::optional<int> duration;
  std::optional<std::string> s3_bucket;
  std::optional<std::string> s3_prefix;
  std::optional<std::string> s3_region;
};

struct AssociationsOptions {
  AssociationFlags flags;
  std::string id;            // AssociationId or AssociationName
  std::vector<std::string> ids;
  std::string execution_id;
  std::string file;          // apply -f
  bool dry_run = false;
  int limit = 50;
};

// A document name as stored: a file by its absolute path, a built-in by its name.
std::string document_reference(const std::string& name_or_path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) return std::filesystem::absolute(name_or_path, ec).string();
  return name_or_path;
}

// Typed values as SSM's wire form: each parameter a list of strings.
nlohmann::json wire_parameters(const documents::ParameterValues& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : values) {
    nlohmann::json list = nlohmann::json::array();
    if (v.is_array()) {
      for (const auto& e : v) list.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    } else {
      list.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    out[k] = list;
  }
  return out;
}

// The document must exist and the parameters fit it (InvalidDocument, InvalidParameters).
void check_document_and_parameters(const schedule::Association& a) {
  documents::Document doc;
  try {
    doc = documents::load(a.name);
  } catch (const InputError& e) {
    throw InputError("InvalidDocument: " + e.formatted());
  }
  // An association is kept and shown (describe, apply files): a secret goes by reference.
  for (const auto& [key, values] : a.parameters.items()) {
    if (!documents::looks_secret(key)) continue;
    for (const auto& v : values)
      if (v.is_string() && v.get<std::string>().find("{{ssm-secure:") == std::string::npos)
        throw InputError(fmt::format("InvalidParameters: parameter '{}' looks secret and an association keeps its "
                                     "parameters; store it with `sshm params put-parameter --type SecureString` and "
                                     "pass {{{{ssm-secure:NAME}}}}",
                                     key));
  }
  try {
    documents::typed_parameters(doc, a.parameters, "Parameters");
  } catch (const InputError& e) {
    throw InputError("InvalidParameters: " + e.formatted());
  }
}

template <typename T> void take(const std::optional<T>& flag, T& field) {
  if (flag) field = *flag;
}

// The flags given, over `a` (a new association or the stored one).
void apply_flags(const AssociationFlags& f, schedule::Association& a) {
  if (f.name) a.name = document_reference(*f.name);
  take(f.association_name, a.association_name);
  take(f.document_version, a.document_version);
  if (!f.targets.empty()) a.targets = f.targets;
  take(f.schedule_expression, a.schedule_expression);
  take(f.schedule_offset, a.schedule_offset);
  take(f.apply_only_at_cron_interval, a.apply_only_at_cron_interval);
  take(f.max_concurrency, a.max_concurrency);
  take(f.max_errors, a.max_errors);
  take(f.compliance_severity, a.compliance_severity);
  take(f.sync_compliance, a.sync_compliance);
  take(f.duration, a.duration);
  take(f.s3_bucket, a.output_s3_bucket_name);
  take(f.s3_prefix, a.output_s3_key_prefix);
  take(f.s3_region, a.output_s3_region);
  if (!f.parameters.empty() || f.parameters_file) {
    documents::Document doc = documents::load(a.name);
    try {
      a.parameters = wire_parameters(documents::parse_cli_parameters(doc, f.parameters, f.parameters_file.value_or("")));
    } catch (const InputError& e) {
      throw InputError("InvalidParameters: " + e.formatted());
    }
  }
}

void validate(const schedule::Association& a) {
  if (auto problem = schedule::check_association(a)) throw InputError(*problem);
  check_document_and_parameters(a);
}

store::AssociationRow row_for(const schedule::Association& a) {
  store::AssociationRow row;
  row.association_id = a.association_id;
  row.association_name = a.association_name;
  row.association_version = a.association_version;
  row.definition = association_to_definition(a);
  return row;
}

void print_description(const GlobalOptions& g, const store::Store& store, const store::AssociationRow& row) {
  nlohmann::json d = association_description_json(store, row);
  if (g.output == "text" || g.output == "table") {
    SyncOut::instance().out(fmt::format("{}  {}  version {}  {}  {}\n", d["AssociationId"].get<std::string>(),
                                        d["AssociationName"].get<std::string>(), d["AssociationVersion"].get<std::string>(),
                                        d["Name"].get<std::string>(), d["ScheduleExpression"].get<std::string>()));
    return;
  }
  print_structured(g, {{"AssociationDescription", d}});
}

store::AssociationRow find_or_fail(const store::Store& store, const std::string& id) {
  auto row = store::find_association(store, id);
  if (!row) throw InputError(fmt::format("AssociationDoesNotExist: no association with id or name '{}'", id));
  return *row;
}

// CreateAssociation: stored, and (unless ApplyOnlyAtCronInterval) run at the next tick.
store::AssociationRow create_association(store::Store& store, schedule::Association a, SystemTime now) {
  a.association_id = new_uuid();
  a.association_version = 1;
  a.date = iso8601_ms(now);
  a.last_update_association_date = a.date;
  validate(a);
  store::AssociationRow row = row_for(a);
  row.run_requested = !a.apply_only_at_cron_interval;
  row.request_reason = "created";
  row.anchor = iso8601_s(now);
  row.schedule_from = row.anchor;
  store::insert_association(store, row);
  return row;
}

// UpdateAssociation: a new AssociationVersion; edits of what a run does run it again.
store::AssociationRow update_association(store::Store& store, store::AssociationRow row, const schedule::Association& after,
                                         SystemTime now) {
  schedule::Association before = association_from_definition(row.definition);
  schedule::Association a = after;
  a.association_id = before.association_id;
  a.date = before.date;
  a.association_version = before.association_version + 1;
  a.last_update_association_date = iso8601_ms(now);
  validate(a);
  const bool rerun = schedule::edit_reruns(before, a) && !a.apply_only_at_cron_interval;
  if (before.schedule_expression != a.schedule_expression) {
    row.anchor = iso8601_s(now);
    row.schedule_from = row.anchor;
  }
  row.association_name = a.association_name;
  row.association_version = a.association_version;
  row.definition = association_to_definition(a);
  if (rerun) {
    row.run_requested = true;
    row.request_reason = "updated";
  }
  store::save_association(store, row, true);
  return row;
}

int run_create(const GlobalOptions& g, const AssociationsOptions& o) {
  if (!o.flags.name) throw InputError("--name DOCUMENT is required (the document the association runs)");
  schedule::Association a;
  apply_flags(o.flags, a);
  auto store = open_state_store(g);
  print_description(g, *store, create_association(*store, a, std::chrono::system_clock::now()));
  return k_exit_ok;
}

int run_update(const GlobalOptions& g, const AssociationsOptions& o) {
  auto store = open_state_store(g);
  store::AssociationRow row = find_or_fail(*store, o.id);
  schedule::Association a = association_from_definition(row.definition);
  apply_flags(o.flags, a);
  print_description(g, *store, update_association(*store, row, a, std::chrono::system_clock::now()));
  return k_exit_ok;
}

int run_list(const GlobalOptions& g, const AssociationsOptions&) {
  auto store = open_state_store(g);
  std::vector<store::AssociationRow> rows = store::list_associations(*store);
  if (g.output == "text" || g.output == "table") {
    std::string text = fmt::format("{:<36}  {:<24}  {:>3}  {:<24}  {:<22}  {}\n", "ASSOCIATION ID", "NAME", "VER",
                                   "DOCUMENT", "SCHEDULE", "STATUS");
    for (const auto& r : rows) {
      nlohmann::json d = association_description_json(*store, r);
      text += fmt::format("{:<36}  {:<24}  {:>3}  {:<24}  {:<22}  {}\n", r.association_id, r.association_name,
                          r.association_version, d["Name"].get<std::string>(), d["ScheduleExpression"].get<std::string>(),
                          d["Overview"]["Status"].get<std::string>());
    }
    SyncOut::instance().out(text);
    return k_exit_ok;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : rows) list.push_back(association_description_json(*store, r));
  print_structured(g, {{"Associations", list}});
  return k_exit_ok;
}

int run_describe(const GlobalOptions& g, const AssociationsOptions& o) {
  auto store = open_state_store(g);
  store::AssociationRow row = find_or_fail(*store, o.id);
  if (!structured_output(g)) {
    SyncOut::instance().out(object_text(association_description_json(*store, row)));
    return k_exit_ok;
  }
  print_description(g, *store, row);
  return k_exit_ok;
}

int run_delete(const GlobalOptions& g, const AssociationsOptions& o) {
  auto store = open_state_store(g);
  store::AssociationRow row = find_or_fail(*store, o.id);
  store::delete_association(*store, row.association_id);
  store::delete_compliance_items(*store, "Association", row.association_id);
  if (g.verbosity >= 0) SyncOut::instance().err(fmt::format("deleted association {}\n", row.association_id));
  if (structured_output(g)) print_structured(g, nlohmann::json::object());  // DeleteAssociation's empty response
  return k_exit_ok;
}

int run_start_once(const GlobalOptions& g, const AssociationsOptions& o) {
  auto store = open_state_store(g);
  for (const std::string& id : o.ids) {
    store::AssociationRow row = find_or_fail(*store, id);
    row.run_requested = true;
    row.request_reason = "start-once";
    store::save_association(*store, row, false);
  }
  if (g.verbosity >= 0)
    SyncOut::instance().err(fmt::format("{} association(s) will run at the next tick\n", o.ids.size()));
  if (structured_output(g)) print_structured(g, nlohmann::json::object());  // StartAssociationsOnce's empty response
  return k_exit_ok;
}

nlohmann::json execution_json(const store::AssociationExecutionRow& e) {
  nlohmann::json j = {{"AssociationId", e.association_id},
                      {"AssociationVersion", std::to_string(e.association_version)},
                      {"ExecutionId", e.execution_id},
                      {"Status", e.status},
                      {"DetailedStatus", e.detailed_status},
                      {"CreatedTime", e.created_time},
                      {"LastExecutionDate", e.last_execution_date},
                      {"ResourceCountByStatus", e.resource_count_by_status.dump()},
                      {"Trigger", e.trigger}};
  if (!e.command_id.empty()) j["CommandId"] = e.command_id;
  return j;
}

int run_executions(const GlobalOptions& g, const AssociationsOptions& o) {
  auto store = open_state_store(g);
  store::AssociationRow row = find_or_fail(*store, o.id);
  auto rows = store::list_association_executions(*store, row.association_id, o.limit);
  if (g.output == "text" || g.output == "table") {
    std::string text = fmt::format("{:<36}  {:<24}  {:<10}  {:<28}  {:<36}  {}\n", "EXECUTION ID", "CREATED", "STATUS",
                                   "DETAILED STATUS", "COMMAND ID", "RESOURCES");
    for (const auto& e : rows)
      text += fmt::format("{:<36}  {:<24}  {:<10}  {:<28}  {:<36}  {}\n", e.execution_id, e.created_time, e.status,
                          e.detailed_status, e.command_id.empty() ? "-" : e.command_id,
                          e.resource_count_by_status.dump());
    SyncOut::instance().out(text);
    return k_exit_ok;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : rows) list.push_back(execution_json(e));
  print_structured(g, {{"AssociationExecutions", list}});
  return k_exit_ok;
}

int run_execution_targets(const GlobalOptions& g, const AssociationsOptions& o) {
  auto store = open_state_store(g);
  store::AssociationRow row = find_or_fail(*store, o.id);
  auto rows = store::list_association_execution_targets(*store, row.association_id, o.execution_id);
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const auto& t : rows) {
    list.push_back({{"AssociationId", t.association_id},
                    {"AssociationVersion", std::to_string(t.association_version)},
                    {"ExecutionId", t.execution_id},
                    {"ResourceId", t.resource_id},
                    {"ResourceType", "ManagedInstance"},
                    {"Status", t.status},
                    {"DetailedStatus", t.detailed_status},
                    {"LastExecutionDate", t.last_execution_date},
                    {"OutputSource", {{"OutputSourceId", t.command_id}, {"OutputSourceType", "RunCommand"}}}});
    text += fmt::format("{:<24}  {:<8}  {:<18}  {}\n", t.resource_id, t.status, t.detailed_status, t.command_id);
  }
  if (g.output == "text" || g.output == "table") {
    SyncOut::instance().out(text);
    return k_exit_ok;
  }
  print_structured(g, {{"AssociationExecutionTargets", list}});
  return k_exit_ok;
}

void add_definition_flags(CLI::App* cmd, AssociationFlags& f) {
  cmd->add_option("--name", f.name, "Name: the document to run (built-in name or file)");
  cmd->add_option("--association-name", f.association_name, "AssociationName ([a-zA-Z0-9_.-], 3-128)");
  cmd->add_option("--document-version", f.document_version, "DocumentVersion (default $DEFAULT)");
  cmd->add_option("-t,--targets", f.targets, "Targets: any sshm -t expression (repeat to AND, at most 5)");
  cmd->add_option("-p,--parameters", f.parameters, "Parameters: name=value (repeat for lists)");
  cmd->add_option("--parameters-file", f.parameters_file, "Parameters from a JSON or YAML file");
  cmd->add_option("--schedule-expression", f.schedule_expression, "ScheduleExpression: cron(...), rate(...)");
  cmd->add_option("--schedule-offset", f.schedule_offset, "ScheduleOffset: days after the cron time (1-6)");
  cmd->add_flag_callback("--apply-only-at-cron-interval", [&f] { f.apply_only_at_cron_interval = true; },
                         "ApplyOnlyAtCronInterval: run only at the cron times (default: also at the next tick)");
  cmd->add_flag_callback("--no-apply-only-at-cron-interval", [&f] { f.apply_only_at_cron_interval = false; },
                         "ApplyOnlyAtCronInterval false");
  cmd->add_option("--max-concurrency", f.max_concurrency, "MaxConcurrency: N or P%");
  cmd->add_option("--max-errors", f.max_errors, "MaxErrors: N or P%");
  cmd->add_option("--compliance-severity", f.compliance_severity, "CRITICAL|HIGH|MEDIUM|LOW|UNSPECIFIED");
  cmd->add_option("--sync-compliance", f.sync_compliance, "AUTO (default) or MANUAL");
  cmd->add_option("--duration", f.duration, "Duration in hours (1-24; needs ApplyOnlyAtCronInterval)");
  cmd->add_option("--output-s3-bucket-name", f.s3_bucket, "OutputLocation.S3Location.OutputS3BucketName");
  cmd->add_option("--output-s3-key-prefix", f.s3_prefix, "OutputLocation.S3Location.OutputS3KeyPrefix");
  cmd->add_option("--output-s3-region", f.s3_region, "OutputLocation.S3Location.OutputS3Region");
}

} // namespace

int run_associations_apply(const GlobalOptions& g, const std::string& file, bool dry_run);

void setup_associations(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("associations", "State Manager associations: desired state, run by `sshm tick`");
  group->require_subcommand(1);
  group->fallthrough();
  auto o = std::make_shared<AssociationsOptions>();
  auto bind = [&global, &action, o](CLI::App* cmd, int (*fn)(const GlobalOptions&, const AssociationsOptions&)) {
    cmd->fallthrough();
    cmd->callback([&global, &action, o, fn] { action = [&global, o, fn] { return fn(global, *o); }; });
  };
  auto* create = group->add_subcommand("create", "CreateAssociation: runs at the next tick unless ApplyOnlyAtCronInterval");
  add_definition_flags(create, o->flags);
  bind(create, run_create);
  auto* update = group->add_subcommand("update", "UpdateAssociation: a new AssociationVersion");
  update->add_option("association", o->id, "AssociationId or AssociationName")->required();
  add_definition_flags(update, o->flags);
  bind(update, run_update);
  bind(group->add_subcommand("list", "ListAssociations"), run_list);
  auto* describe = group->add_subcommand("describe", "DescribeAssociation");
  describe->add_option("association", o->id, "AssociationId or AssociationName")->required();
  bind(describe, run_describe);
  auto* del = group->add_subcommand("delete", "DeleteAssociation (and its Association compliance items)");
  del->add_option("association", o->id, "AssociationId or AssociationName")->required();
  bind(del, run_delete);
  auto* once = group->add_subcommand("start-once", "StartAssociationsOnce: run at the next tick on every target");
  once->add_option("associations", o->ids, "AssociationIds or AssociationNames")->required();
  bind(once, run_start_once);
  auto* execs = group->add_subcommand("executions", "DescribeAssociationExecutions, newest first");
  execs->add_option("association", o->id, "AssociationId or AssociationName")->required();
  execs->add_option("--limit", o->limit, "At most this many (default 50)")->check(CLI::Range(1, 100000));
  bind(execs, run_executions);
  auto* targets = group->add_subcommand("execution-targets", "DescribeAssociationExecutionTargets");
  targets->add_option("association", o->id, "AssociationId or AssociationName")->required();
  targets->add_option("execution-id", o->execution_id, "ExecutionId")->required();
  bind(targets, run_execution_targets);
  auto* apply = group->add_subcommand("apply", "Make the stored associations equal to a YAML file (by AssociationName)");
  apply->add_option("-f,--file", o->file, "associations.yaml")->required();
  apply->add_flag("--dry-run", o->dry_run, "Print the changes; change nothing");
  apply->fallthrough();
  apply->callback([&global, &action, o] {
    action = [&global, o] { return run_associations_apply(global, o->file, o->dry_run); };
  });
}

// The create and update of `apply -f`, shared with associations_apply.cpp.
store::AssociationRow apply_create(store::Store& store, const schedule::Association& a) {
  return create_association(store, a, std::chrono::system_clock::now());
}
store::AssociationRow apply_update(store::Store& store, const store::AssociationRow& row, const schedule::Association& a) {
  return update_association(store, row, a, std::chrono::system_clock::now());
}
void apply_validate(const schedule::Association& a) { validate(a); }

} // namespace sshm::cli
