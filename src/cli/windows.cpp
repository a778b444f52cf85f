// sshm windows ...: maintenance windows (SSM's CreateMaintenanceWindow, UpdateMaintenanceWindow,
// GetMaintenanceWindow, DescribeMaintenanceWindows, DeleteMaintenanceWindow,
// RegisterTargetWithMaintenanceWindow, RegisterTaskWithMaintenanceWindow, their Deregister and
// Describe calls, DescribeMaintenanceWindowExecutions, ...ExecutionTasks, ...TaskInvocations,
// CancelMaintenanceWindowExecution). `sshm tick` runs them (windows_tick.cpp).
#include "cli/windows.hpp"

#include "cli/common.hpp"
#include "documents/document.hpp"
#include "store/store.hpp"
#include "store/window_tables.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"

#include <fmt/format.h>
#include <set>

namespace sshm::cli {

namespace {

using nlohmann::ordered_json;
using namespace sshm::schedule;

// Options of every verb; each verb reads the ones it declares.
struct WindowsOptions {
  std::string verb;
  std::string window;  // WindowId or Name
  std::string id, id2; // execution / task execution IDs, window target / task IDs
  // window fields
  std::string name, description, schedule, timezone, start_date, end_date;
  int offset = 0, duration = 0, cutoff = 0;
  bool allow_unassociated = false, enabled = true;
  // targets and tasks
  std::vector<std::string> targets;  // --targets Key=...,Values=... (SSM) and -t EXPR (sshm)
  std::string resource_type = "INSTANCE";
  std::string owner_information;
  std::string task_arn, task_type = "RUN_COMMAND", max_concurrency, max_errors, cutoff_behavior = "CONTINUE_TASK";
  int priority = 1;
  std::vector<std::string> parameters;
  std::string comment, s3_bucket, s3_prefix, document_version;
  int timeout_seconds = 0;
  bool safe = false;
  std::set<std::string> given;  // the long option names given, for update
};

void emit(const GlobalOptions& g, const ordered_json& j, const std::string& text) {
  if (structured_output(g)) print_ordered(g, j);
  else SyncOut::instance().out(text);
}

std::string now_iso() { return iso8601_ms(SystemClock::instance().now()); }

// One --targets / -t value as an entry of SSM's Targets: the SSM form as written; sshm's
// tag:K=v, tag-key:K, group:G and all as their SSM keys; any other expression (names, globs,
// ranges) as InstanceIds.
WindowTargetKey target_key(const std::string& text) {
  if (starts_with(text, "Key=")) {
    size_t v = text.find(",Values=");
    if (v == std::string::npos)
      throw InputError(fmt::format("--targets '{}' has Key= but no ,Values= (SSM form: Key=tag:Env,Values=prod)", text));
    std::vector<std::string> values = split(text.substr(v + 8), ',');
    return {text.substr(4, v - 4), values};
  }
  if (starts_with(text, "tag:") && text.find('=') != std::string::npos) {
    size_t eq = text.find('=');
    return {text.substr(0, eq), split(text.substr(eq + 1), ',')};
  }
  if (starts_with(text, "tag-key:")) return {"tag-key", {text.substr(8)}};
  if (starts_with(text, "group:")) return {"resource-groups:Name", {text.substr(6)}};
  if (text == "all") return {"InstanceIds", {"*"}};
  return {"InstanceIds", {text}};
}

std::vector<WindowTargetKey> target_keys(const std::vector<std::string>& texts) {
  std::vector<WindowTargetKey> out;
  for (const auto& t : texts) out.push_back(target_key(t));
  return out;
}

// --parameters as the AWS CLI takes it: a JSON map {"commands":["echo hi"]}, or name=value
// (a JSON list value, or one string); repeated names make a list. SSM's wire form results.
nlohmann::json task_parameters(const std::vector<std::string>& specs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& spec : specs) {
    if (starts_with(trim(spec), "{")) {
      nlohmann::json j = nlohmann::json::parse(spec, nullptr, false);
      if (j.is_discarded() || !j.is_object()) throw InputError(fmt::format("--parameters '{}' is not a JSON map", spec));
      for (auto& [k, v] : j.items()) out[k] = v.is_array() ? v : nlohmann::json::array({v});
      continue;
    }
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(fmt::format("--parameters '{}' must be name=value or a JSON map", spec));
    const std::string name = spec.substr(0, eq), value = spec.substr(eq + 1);
    nlohmann::json list = starts_with(value, "[") ? nlohmann::json::parse(value, nullptr, false) : nlohmann::json();
    if (!list.is_array()) list = nlohmann::json::array({value});
    if (!out.contains(name)) out[name] = nlohmann::json::array();
    for (auto& v : list) out[name].push_back(v);
  }
  return out;
}

std::string next_time_text(const Window& w) {
  if (!w.enabled) return "";
  const SysSeconds now = std::chrono::floor<std::chrono::seconds>(SystemClock::instance().now());
  WindowSchedule ws = window_schedule(w);
  auto next = next_fire_after(ws, now);
  return next ? format_local(*next, ws.zone) : "";
}

ordered_json get_json(const Window& w) {
  ordered_json j = window_json(w, std::nullopt);
  j.erase("SshmLastFireTime");
  std::string next = next_time_text(w);
  if (!next.empty()) j["NextExecutionTime"] = next;
  return j;
}

void apply_window_fields(Window& w, const WindowsOptions& o) {
  auto has = [&](const char* name) { return o.given.count(name) > 0; };
  if (has("name")) w.name = o.name;
  if (has("description")) w.description = o.description;
  if (has("schedule")) w.schedule = o.schedule;
  if (has("schedule-timezone")) w.schedule_timezone = o.timezone;
  if (has("schedule-offset")) w.schedule_offset = o.offset;
  if (has("duration")) w.duration = o.duration;
  if (has("cutoff")) w.cutoff = o.cutoff;
  if (has("start-date")) w.start_date = o.start_date;
  if (has("end-date")) w.end_date = o.end_date;
  if (has("allow-unassociated-targets")) w.allow_unassociated_targets = o.allow_unassociated;
  if (has("enabled")) w.enabled = o.enabled;
}

int run_create(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  for (const char* required : {"name", "schedule", "duration", "cutoff"})
    if (!o.given.count(required)) throw InputError(fmt::format("windows create: --{} is required", required));
  Window w;
  apply_window_fields(w, o);
  validate_window(w);
  for (const auto& other : windows::all_windows(store))
    if (other.name == w.name)
      throw InputError(fmt::format("a maintenance window named {} exists already ({}); sshm finds windows by name too, "
                                   "so names are unique",
                                   w.name, other.window_id));
  w.window_id = new_window_id();
  w.created_date = w.modified_date = now_iso();
  windows::save(store, w);
  emit(g, {{"WindowId", w.window_id}}, w.window_id + "\n");
  return k_exit_ok;
}

int run_update(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  const Window before = w;
  apply_window_fields(w, o);
  validate_window(w);
  w.modified_date = now_iso();
  // A new schedule counts from now: the old one's fire times are not "missed".
  if (w.schedule != before.schedule || w.schedule_timezone != before.schedule_timezone ||
      w.schedule_offset != before.schedule_offset || w.start_date != before.start_date)
    w.last_fire_time = w.modified_date;
  windows::save(store, w);
  emit(g, get_json(w), fmt::format("updated {} ({})\n", w.window_id, w.name));
  return k_exit_ok;
}

int run_get(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  ordered_json j = get_json(w);
  std::string text;
  for (const auto& [k, v] : j.items()) text += fmt::format("{:<26}{}\n", k + ":", v.is_string() ? v.get<std::string>() : v.dump());
  emit(g, j, text);
  return k_exit_ok;
}

int run_list(const GlobalOptions& g, store::Store& store) {
  ordered_json list = ordered_json::array();
  std::string text = fmt::format("{:<21} {:<24} {:<8} {:>3}/{:<3} {:<28} {}\n", "WindowId", "Name", "Enabled", "Dur",
                                 "Cut", "Schedule", "NextExecutionTime");
  for (const Window& w : windows::all_windows(store)) {
    ordered_json j = {{"WindowId", w.window_id}, {"Name", w.name}};
    if (!w.description.empty()) j["Description"] = w.description;
    j["Enabled"] = w.enabled;
    j["Duration"] = w.duration;
    j["Cutoff"] = w.cutoff;
    j["Schedule"] = w.schedule;
    if (!w.schedule_timezone.empty()) j["ScheduleTimezone"] = w.schedule_timezone;
    std::string next = next_time_text(w);
    if (!next.empty()) j["NextExecutionTime"] = next;
    list.push_back(j);
    text += fmt::format("{:<21} {:<24} {:<8} {:>3}/{:<3} {:<28} {}\n", w.window_id, terminal_safe(w.name, false),
                        w.enabled ? "yes" : "no", w.duration, w.cutoff, w.schedule, next);
  }
  emit(g, {{"WindowIdentities", list}}, text);
  return k_exit_ok;
}

int run_delete(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  if (windows::window_running(store.state_dir(), w.window_id))
    throw InputError(fmt::format("window {} has an execution running; cancel it first (sshm windows cancel-execution)",
                                 w.window_id));
  store::delete_window_row(store, store::WindowTable::windows, w.window_id);
  emit(g, {{"WindowId", w.window_id}}, fmt::format("deleted {} ({})\n", w.window_id, w.name));
  return k_exit_ok;
}

int run_register_targets(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  WindowTarget t;
  t.window_id = w.window_id;
  t.window_target_id = new_uuid();
  t.resource_type = o.resource_type;
  t.targets = target_keys(o.targets);
  t.owner_information = o.owner_information;
  t.name = o.name;
  t.description = o.description;
  validate_window_target(t);
  windows::save(store, t);
  emit(g, {{"WindowTargetId", t.window_target_id}}, t.window_target_id + "\n");
  return k_exit_ok;
}

int run_deregister_targets(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  bool found = false;
  for (const auto& t : windows::targets_of(store, w.window_id)) found = found || t.window_target_id == o.id;
  if (!found)
    throw InputError(fmt::format("DoesNotExistException: Maintenance window target {} does not exist in window {}", o.id,
                                 w.window_id));
  for (const auto& task : windows::tasks_of(store, w.window_id))
    for (const auto& key : task.targets)
      if (key.key == "WindowTargetIds" && std::find(key.values.begin(), key.values.end(), o.id) != key.values.end() &&
          o.safe)
        throw InputError(fmt::format("TargetInUseException: window target {} is used by task {} (--safe)", o.id,
                                     task.window_task_id));
  store::delete_window_row(store, store::WindowTable::targets, o.id);
  emit(g, {{"WindowId", w.window_id}, {"WindowTargetId", o.id}}, fmt::format("deregistered {}\n", o.id));
  return k_exit_ok;
}

int run_targets(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  ordered_json list = ordered_json::array();
  std::string text = fmt::format("{:<36}  {:<14}  {:<20}  {}\n", "WindowTargetId", "ResourceType", "Owner", "Targets");
  for (const auto& t : windows::targets_of(store, w.window_id)) {
    list.push_back(window_target_json(t));
    std::vector<std::string> keys;
    for (const auto& k : t.targets) keys.push_back(fmt::format("{}={}", k.key, join(k.values, ",")));
    text += fmt::format("{:<36}  {:<14}  {:<20}  {}\n", t.window_target_id, t.resource_type,
                        terminal_safe(t.owner_information, false), terminal_safe(join(keys, " AND "), false));
  }
  emit(g, {{"Targets", list}}, text);
  return k_exit_ok;
}

int run_register_task(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  if (o.task_arn.empty()) throw InputError("windows register-task: --task-arn DOCUMENT is required");
  WindowTask t;
  t.window_id = w.window_id;
  t.window_task_id = new_uuid();
  t.task_arn = o.task_arn;
  t.task_type = o.task_type;
  t.targets = target_keys(o.targets);
  t.priority = o.priority;
  t.max_concurrency = o.max_concurrency;
  t.max_errors = o.max_errors;
  t.cutoff_behavior = o.cutoff_behavior;
  t.name = o.name;
  t.description = o.description;
  t.run_command.parameters = task_parameters(o.parameters);
  t.run_command.comment = o.comment;
  t.run_command.timeout_seconds = o.timeout_seconds;
  t.run_command.output_s3_bucket_name = o.s3_bucket;
  t.run_command.output_s3_key_prefix = o.s3_prefix;
  t.run_command.document_version = o.document_version;
  validate_window_task(t, w, windows::targets_of(store, w.window_id));
  // The document and its parameters are checked now, not at 02:00 on Saturday, with the
  // pseudo-parameters standing for values of their form.
  const std::string sample = "00000000-0000-4000-8000-000000000000";
  const nlohmann::json sampled = substitute_pseudo_parameters(
      t.run_command.parameters, {"mw-00000000000000000", sample, sample, sample, sample, sample, "INSTANCE"});
  const documents::Document doc = documents::load(t.task_arn);
  (void)documents::resolve(doc, documents::typed_parameters(doc, sampled, "--parameters"), "Linux");
  windows::save(store, t);
  emit(g, {{"WindowTaskId", t.window_task_id}}, t.window_task_id + "\n");
  return k_exit_ok;
}

int run_deregister_task(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  bool found = false;
  for (const auto& t : windows::tasks_of(store, w.window_id)) found = found || t.window_task_id == o.id;
  if (!found)
    throw InputError(fmt::format("DoesNotExistException: Maintenance window task {} does not exist in window {}", o.id,
                                 w.window_id));
  store::delete_window_row(store, store::WindowTable::tasks, o.id);
  emit(g, {{"WindowId", w.window_id}, {"WindowTaskId", o.id}}, fmt::format("deregistered {}\n", o.id));
  return k_exit_ok;
}

int run_tasks(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  Window w = windows::find_window(store, o.window);
  ordered_json list = ordered_json::array();
  std::string text = fmt::format("{:<36}  {:>8}  {:<24}  {:<6} {:<6} {}\n", "WindowTaskId", "Priority", "TaskArn",
                                 "Conc", "Errors", "CutoffBehavior");
  for (const auto& t : windows::tasks_of(store, w.window_id)) {
    list.push_back(window_task_json(t));
    text += fmt::format("{:<36}  {:>8}  {:<24}  {:<6} {:<6} {}\n", t.window_task_id, t.priority,
                        terminal_safe(t.task_arn, false), t.max_concurrency, t.max_errors, t.cutoff_behavior);
  }
  emit(g, {{"Tasks", list}}, text);
  return k_exit_ok;
}

int run_executions(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  std::vector<Window> ws = o.window.empty() ? windows::all_windows(store)
                                            : std::vector<Window>{windows::find_window(store, o.window)};
  ordered_json list = ordered_json::array();
  std::string text = fmt::format("{:<21} {:<36}  {:<20} {:<24}  {}\n", "WindowId", "WindowExecutionId", "Status",
                                 "StartTime", "StatusDetails");
  for (const auto& w : ws)
    for (const auto& e : windows::executions_of(store, w.window_id)) {
      list.push_back(execution_json(e));
      text += fmt::format("{:<21} {:<36}  {:<20} {:<24}  {}\n", e.window_id, e.window_execution_id, e.status,
                          e.start_time, terminal_safe(e.status_details, false));
    }
  emit(g, {{"WindowExecutions", list}}, text);
  return k_exit_ok;
}

int run_execution_tasks(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  WindowExecution e = windows::find_execution(store, o.id);
  ordered_json list = ordered_json::array();
  std::string text = fmt::format("{:<36}  {:>8}  {:<24}  {:<12} {}\n", "TaskExecutionId", "Priority", "TaskArn",
                                 "Status", "StatusDetails");
  for (const auto& t : windows::task_executions_of(store, e.window_execution_id)) {
    list.push_back(task_execution_json(t));
    text += fmt::format("{:<36}  {:>8}  {:<24}  {:<12} {}\n", t.task_execution_id, t.priority,
                        terminal_safe(t.task_arn, false), t.status, terminal_safe(t.status_details, false));
  }
  emit(g, {{"WindowExecutionTaskIdentities", list}}, text);
  return k_exit_ok;
}

int run_task_invocations(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  WindowExecution e = windows::find_execution(store, o.id);
  bool found = false;
  for (const auto& t : windows::task_executions_of(store, e.window_execution_id)) found = found || t.task_execution_id == o.id2;
  if (!found)
    throw InputError(fmt::format("DoesNotExistException: Task execution {} does not exist in window execution {}",
                                 o.id2, o.id));
  ordered_json list = ordered_json::array();
  std::string text = fmt::format("{:<36}  {:<36}  {:<12} {}\n", "InvocationId", "ExecutionId (sshm commands show)",
                                 "Status", "WindowTargetId");
  for (const auto& i : windows::invocations_of(store, o.id2)) {
    list.push_back(task_invocation_json(i));
    text += fmt::format("{:<36}  {:<36}  {:<12} {}\n", i.invocation_id, i.execution_id, i.status, i.window_target_id);
  }
  emit(g, {{"WindowExecutionTaskInvocationIdentities", list}}, text);
  return k_exit_ok;
}

int run_cancel_execution(const GlobalOptions& g, store::Store& store, const WindowsOptions& o) {
  WindowExecution e = windows::find_execution(store, o.id);
  if (is_final_status(e.status))
    throw InputError(fmt::format("window execution {} has ended ({}): nothing to cancel", e.window_execution_id, e.status));
  // The tick that runs it sees CANCELLING, cancels its commands and ends it CANCELLED; with
  // none running it, it is CANCELLED now.
  const bool running = windows::window_running(store.state_dir(), e.window_id);
  e.status = running ? k_cancelling : k_cancelled;
  if (!running) e.end_time = now_iso();
  windows::save(store, e);
  emit(g, {{"WindowExecutionId", e.window_execution_id}}, fmt::format("{} {}\n", e.window_execution_id, e.status));
  return k_exit_ok;
}

int run_windows(const GlobalOptions& g, const WindowsOptions& o) {
  auto store = open_state_store(g);
  const std::string& v = o.verb;
  if (v == "create") return run_create(g, *store, o);
  if (v == "update") return run_update(g, *store, o);
  if (v == "get") return run_get(g, *store, o);
  if (v == "list") return run_list(g, *store);
  if (v == "delete") return run_delete(g, *store, o);
  if (v == "register-targets") return run_register_targets(g, *store, o);
  if (v == "deregister-targets") return run_deregister_targets(g, *store, o);
  if (v == "targets") return run_targets(g, *store, o);
  if (v == "register-task") return run_register_task(g, *store, o);
  if (v == "deregister-task") return run_deregister_task(g, *store, o);
  if (v == "tasks") return run_tasks(g, *store, o);
  if (v == "executions") return run_executions(g, *store, o);
  if (v == "execution-tasks") return run_execution_tasks(g, *store, o);
  if (v == "task-invocations") return run_task_invocations(g, *store, o);
  return run_cancel_execution(g, *store, o);
}

void add_window_fields(CLI::App* cmd, WindowsOptions& o) {
  cmd->add_option("--name", o.name, "Name: 3-128 of a-z A-Z 0-9 _ - .");
  cmd->add_option("--description", o.description, "Description (1-128 characters)");
  cmd->add_option("--schedule", o.schedule, "cron(...) (6 or 7 fields), rate(...) or at(...)");
  cmd->add_option("--schedule-timezone", o.timezone, "IANA time zone of the schedule (default UTC)");
  cmd->add_option("--schedule-offset", o.offset, "Days after each cron date to run (1-6)");
  cmd->add_option("--duration", o.duration, "Hours the window lasts (1-24)");
  cmd->add_option("--cutoff", o.cutoff, "Hours before the end when no new task starts (0-23, less than --duration)");
  cmd->add_option("--start-date", o.start_date, "No execution before this time (ISO 8601)");
  cmd->add_option("--end-date", o.end_date, "No execution after this time (ISO 8601)");
  cmd->add_flag("--allow-unassociated-targets,!--no-allow-unassociated-targets", o.allow_unassociated,
                "Tasks may target hosts not registered as window targets (Key=InstanceIds)");
  cmd->add_flag("--enabled,!--disabled", o.enabled, "Whether the window runs (default enabled)");
}

void add_target_fields(CLI::App* cmd, WindowsOptions& o) {
  cmd->add_option("--targets,-t", o.targets,
                  "Key=tag:Env,Values=prod (SSM form; Key=WindowTargetIds for tasks), or sshm's tag:K=V, "
                  "group:NAME, all, names (repeat: AND'd)")
      ->allow_extra_args(false);
}

void add_task_fields(CLI::App* cmd, WindowsOptions& o) {
  cmd->add_option("--task-arn", o.task_arn, "The document to run (RUN_COMMAND)");
  cmd->add_option("--task-type", o.task_type, "RUN_COMMAND (the only type sshm runs)");
  cmd->add_option("--priority", o.priority, "Lower runs first; equal priorities run at once (default 1)");
  cmd->add_option("--max-concurrency", o.max_concurrency, "Hosts at once: N or P%")->required();
  cmd->add_option("--max-errors", o.max_errors, "Errors before the task stops dispatching: N or P%")->required();
  cmd->add_option("--cutoff-behavior", o.cutoff_behavior, "CONTINUE_TASK (default) or CANCEL_TASK at the cutoff");
  cmd->add_option("--parameters,-p", o.parameters, "name=value or a JSON map; {{WINDOW_EXECUTION_ID}} and friends allowed")
      ->allow_extra_args(false);
  cmd->add_option("--comment", o.comment, "Comment of the commands the task sends");
  cmd->add_option("--timeout-seconds", o.timeout_seconds, "Delivery timeout of the commands (30-2592000)");
  cmd->add_option("--output-s3-bucket-name", o.s3_bucket, "S3 bucket for the commands' output");
  cmd->add_option("--output-s3-key-prefix", o.s3_prefix, "S3 key prefix for the commands' output");
  cmd->add_option("--document-version", o.document_version, "Recorded as given (sshm documents have one version)");
  cmd->add_option("--name", o.name, "Task name");
  cmd->add_option("--description", o.description, "Task description");
}

struct Verb {
  const char* name;
  const char* help;
};

const Verb k_verbs[] = {
    {"create", "Create a maintenance window (CreateMaintenanceWindow)"},
    {"update", "Change a window's fields (UpdateMaintenanceWindow)"},
    {"get", "Show a window (GetMaintenanceWindow)"},
    {"list", "List windows (DescribeMaintenanceWindows)"},
    {"delete", "Delete a window with its targets, tasks and history (DeleteMaintenanceWindow)"},
    {"register-targets", "Register hosts as a window target (RegisterTargetWithMaintenanceWindow)"},
    {"deregister-targets", "Remove a window target (DeregisterTargetFromMaintenanceWindow)"},
    {"targets", "List a window's targets (DescribeMaintenanceWindowTargets)"},
    {"register-task", "Register a Run Command task (RegisterTaskWithMaintenanceWindow)"},
    {"deregister-task", "Remove a task (DeregisterTaskFromMaintenanceWindow)"},
    {"tasks", "List a window's tasks (DescribeMaintenanceWindowTasks)"},
    {"executions", "List executions, of one window or all (DescribeMaintenanceWindowExecutions)"},
    {"execution-tasks", "Tasks of an execution (DescribeMaintenanceWindowExecutionTasks)"},
    {"task-invocations", "Commands of a task execution (DescribeMaintenanceWindowExecutionTaskInvocations)"},
    {"cancel-execution", "Cancel a running execution (CancelMaintenanceWindowExecution)"},
};

// The positional arguments and options of one verb.
void add_verb_arguments(CLI::App* cmd, const std::string& v, WindowsOptions& o) {
  static const std::set<std::string> by_window = {"update", "get", "delete", "register-targets", "deregister-targets",
                                                  "targets", "register-task", "deregister-task", "tasks"};
  if (by_window.count(v)) cmd->add_option("window", o.window, "WindowId or Name")->required();
  if (v == "executions") cmd->add_option("window", o.window, "WindowId or Name (default: every window)");
  if (v == "execution-tasks" || v == "task-invocations" || v == "cancel-execution")
    cmd->add_option("execution", o.id, "WindowExecutionId")->required();
  if (v == "task-invocations") cmd->add_option("task_execution", o.id2, "TaskExecutionId")->required();
  if (v == "create" || v == "update") add_window_fields(cmd, o);
  if (v == "register-targets") {
    add_target_fields(cmd, o);
    cmd->add_option("--resource-type", o.resource_type, "INSTANCE (default) or RESOURCE_GROUP");
    cmd->add_option("--owner-information", o.owner_information, "Free text shown with each task invocation");
    cmd->add_option("--name", o.name, "Target name");
    cmd->add_option("--description", o.description, "Target description");
  }
  if (v == "deregister-targets") {
    cmd->add_option("--window-target-id", o.id, "The WindowTargetId")->required();
    cmd->add_flag("--safe", o.safe, "Refuse when a task still uses the target");
  }
  if (v == "register-task") {
    add_target_fields(cmd, o);
    add_task_fields(cmd, o);
  }
  if (v == "deregister-task") cmd->add_option("--window-task-id", o.id, "The WindowTaskId")->required();
}

} // namespace

void setup_windows(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("windows", "Maintenance windows: scheduled tasks that `sshm tick` runs");
  group->require_subcommand(1);
  group->fallthrough();
  for (const Verb& verb : k_verbs) {
    auto o = std::make_shared<WindowsOptions>();
    o->verb = verb.name;
    auto* cmd = group->add_subcommand(verb.name, verb.help);
    cmd->fallthrough();
    add_verb_arguments(cmd, verb.name, *o);
    cmd->callback([&global, &action, o, cmd] {
      for (const auto* opt : cmd->get_options())
        if (opt->count() > 0 && !opt->get_lnames().empty()) o->given.insert(opt->get_lnames()[0]);
      action = [&global, o] { return run_windows(global, *o); };
    });
  }
}

} // namespace sshm::cli
