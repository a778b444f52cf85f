// Maintenance window records: SSM's checks and JSON shapes.
#include "schedule/window.hpp"

#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/json_fields.hpp"

#include <fmt/format.h>
#include <regex>

namespace sshm::schedule {

namespace {

// AWS's request validation wording, as every SSM API answers a field out of bounds.
[[noreturn]] void constraint(const std::string& value, const std::string& field, const std::string& rule) {
  throw InputError(fmt::format("ValidationException: 1 validation error detected: Value '{}' at '{}' failed to "
                               "satisfy constraint: Member must {}",
                               value, field, rule));
}

void check_length(const std::string& value, const std::string& field, size_t lo, size_t hi) {
  if (value.size() < lo) constraint(value, field, fmt::format("have length greater than or equal to {}", lo));
  if (value.size() > hi) constraint(value, field, fmt::format("have length less than or equal to {}", hi));
}

void check_range(int value, const std::string& field, int lo, int hi) {
  if (value < lo) constraint(std::to_string(value), field, fmt::format("have value greater than or equal to {}", lo));
  if (value > hi) constraint(std::to_string(value), field, fmt::format("have value less than or equal to {}", hi));
}

void check_name(const std::string& name, const std::string& field, bool required) {
  if (name.empty() && !required) return;
  static const std::regex pattern("^[a-zA-Z0-9_\\-.]{3,128}$");
  if (!std::regex_match(name, pattern))
    constraint(name, field, "satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.]{3,128}$");
}

std::optional<SysSeconds> date_of(const std::string& text, const char* field) {
  if (text.empty()) return std::nullopt;
  auto utc = find_time_zone("");
  if (!utc) throw InputError(utc.error().message);
  auto t = parse_time(text, *utc);
  if (!t) throw InputError(fmt::format("ValidationException: {} '{}' is not a valid ISO-8601 date: {}", field, text,
                                       t.error().message));
  return *t;
}

void check_targets(const std::vector<WindowTargetKey>& targets, bool required) {
  if (targets.empty() && required) constraint("[]", "targets", "have length greater than or equal to 1");
  if (targets.size() > 5) constraint(std::to_string(targets.size()) + " targets", "targets", "have length less than or equal to 5");
  for (const auto& t : targets) {
    check_length(t.key, "targets.member.key", 1, 163);
    if (t.values.empty()) constraint(t.key, "targets.member.values", "have length greater than or equal to 1");
    if (t.values.size() > 50) constraint(t.key, "targets.member.values", "have length less than or equal to 50");
  }
}

// Rate controls: a number or a percentage, as Run Command takes them.
void check_rate(const std::string& value, const std::string& field, bool concurrency) {
  static const std::regex number("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$");
  static const std::regex errors("^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
  if (!std::regex_match(value, concurrency ? number : errors))
    constraint(value, field,
               std::string("satisfy regular expression pattern: ") +
                   (concurrency ? "^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$" : "^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$"));
}

} // namespace

void validate_window(const Window& w) {
  check_name(w.name, "name", true);
  if (!w.description.empty()) check_length(w.description, "description", 1, 128);
  check_length(w.schedule, "schedule", 1, 256);
  check_range(w.duration, "duration", 1, 24);
  check_range(w.cutoff, "cutoff", 0, 23);
  if (w.cutoff >= w.duration)
    throw InputError(fmt::format("ValidationException: Cutoff was {} but must be smaller than {} (Duration)", w.cutoff,
                                 w.duration));
  (void)window_schedule(w);
}

WindowSchedule window_schedule(const Window& w) {
  WindowSchedule ws;
  auto parsed = parse(w.schedule, Kind::window);
  if (!parsed) throw InputError("ValidationException: " + parsed.error().message);
  auto zone = find_time_zone(w.schedule_timezone);
  if (!zone) throw InputError("ValidationException: " + zone.error().message);
  if (w.schedule_offset != 0) {
    check_range(w.schedule_offset, "scheduleOffset", 1, 6);
    if (auto problem = check_offset(*parsed, w.schedule_offset)) throw InputError("ValidationException: " + problem->message);
  }
  ws.schedule = std::move(*parsed);
  ws.zone = *zone;
  ws.offset_days = w.schedule_offset;
  // StartDate and EndDate are instants, independent of ScheduleTimezone (SSM's
  // CreateMaintenanceWindow: "StartDate ... in ISO-8601 Extended format").
  ws.start_date = date_of(w.start_date, "StartDate");
  ws.end_date = date_of(w.end_date, "EndDate");
  if (ws.start_date && ws.end_date && *ws.end_date <= *ws.start_date)
    throw InputError("ValidationException: EndDate must be later than StartDate");
  return ws;
}

std::optional<SysSeconds> next_fire_after(const WindowSchedule& ws, SysSeconds from) {
  // Before StartDate, count from StartDate: a rate schedule starts there (SSM: "the
  // maintenance window doesn't run before StartDate").
  SysSeconds base = from;
  if (ws.start_date && *ws.start_date > base) {
    // A rate schedule's first fire time is StartDate itself.
    if (std::holds_alternative<Rate>(ws.schedule.form)) return ws.end_date && *ws.start_date > *ws.end_date ? std::nullopt : ws.start_date;
    base = *ws.start_date - std::chrono::seconds(1);
  }
  auto next = next_after(ws.schedule, base, ws.zone, ws.offset_days);
  if (!next || (ws.end_date && *next > *ws.end_date)) return std::nullopt;
  return next;
}

void validate_window_target(const WindowTarget& t) {
  if (t.resource_type != "INSTANCE" && t.resource_type != "RESOURCE_GROUP")
    constraint(t.resource_type, "resourceType", "satisfy enum value set: [INSTANCE, RESOURCE_GROUP]");
  check_targets(t.targets, true);
  if (!t.owner_information.empty()) check_length(t.owner_information, "ownerInformation", 1, 128);
  check_name(t.name, "name", false);
  if (!t.description.empty()) check_length(t.description, "description", 1, 128);
}

void validate_window_task(const WindowTask& task, const Window& window, const std::vector<WindowTarget>& targets) {
  if (task.task_type != "RUN_COMMAND")
    throw InputError(fmt::format("ValidationException: TaskType {} is not supported by sshm: only RUN_COMMAND", task.task_type));
  check_length(task.task_arn, "taskArn", 1, 1600);
  check_targets(task.targets, true);
  if (task.priority < 0) constraint(std::to_string(task.priority), "priority", "have value greater than or equal to 0");
  check_rate(task.max_concurrency, "maxConcurrency", true);
  check_rate(task.max_errors, "maxErrors", false);
  if (task.cutoff_behavior != "CONTINUE_TASK" && task.cutoff_behavior != "CANCEL_TASK")
    constraint(task.cutoff_behavior, "cutoffBehavior", "satisfy enum value set: [CONTINUE_TASK, CANCEL_TASK]");
  check_name(task.name, "name", false);
  const int timeout = task.run_command.timeout_seconds;
  if (timeout != 0) check_range(timeout, "timeoutSeconds", 30, 2592000);
  for (const auto& key : task.targets) {
    if (key.key == "WindowTargetIds") {
      for (const auto& id : key.values) {
        bool known = false;
        for (const auto& t : targets) known = known || t.window_target_id == id;
        if (!known)
          throw InputError(fmt::format("DoesNotExistException: Maintenance window target {} does not exist in window {}",
                                       id, window.window_id));
      }
    } else if (key.key == "InstanceIds") {
      if (!window.allow_unassociated_targets)
        throw InputError(fmt::format("ValidationException: Window {} does not allow unassociated targets: register the "
                                     "nodes with register-targets and use Key=WindowTargetIds, or create the window "
                                     "with --allow-unassociated-targets",
                                     window.window_id));
    } else {
      throw InputError(fmt::format("ValidationException: Targets key '{}' is not valid for a maintenance window task: "
                                   "use WindowTargetIds or InstanceIds",
                                   key.key));
    }
  }
}

std::string new_window_id() { return "mw-" + random_hex(9).substr(0, 17); }

nlohmann::ordered_json window_json(const Window& w, std::optional<SysSeconds> next) {
  nlohmann::ordered_json j = {{"WindowId", w.window_id}, {"Name", w.name}};
  if (!w.description.empty()) j["Description"] = w.description;
  if (!w.start_date.empty()) j["StartDate"] = w.start_date;
  if (!w.end_date.empty()) j["EndDate"] = w.end_date;
  j["Schedule"] = w.schedule;
  if (!w.schedule_timezone.empty()) j["ScheduleTimezone"] = w.schedule_timezone;
  if (w.schedule_offset != 0) j["ScheduleOffset"] = w.schedule_offset;
  if (next) j["NextExecutionTime"] = format_local(*next, window_schedule(w).zone);
  j["Duration"] = w.duration;
  j["Cutoff"] = w.cutoff;
  j["AllowUnassociatedTargets"] = w.allow_unassociated_targets;
  j["Enabled"] = w.enabled;
  j["CreatedDate"] = w.created_date;
  j["ModifiedDate"] = w.modified_date;
  if (!w.last_fire_time.empty()) j["SshmLastFireTime"] = w.last_fire_time;
  return j;
}

nlohmann::ordered_json targets_json(const std::vector<WindowTargetKey>& targets) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& t : targets) out.push_back({{"Key", t.key}, {"Values", t.values}});
  return out;
}

nlohmann::ordered_json window_target_json(const WindowTarget& t) {
  nlohmann::ordered_json j = {{"WindowId", t.window_id},
                              {"WindowTargetId", t.window_target_id},
                              {"ResourceType", t.resource_type},
                              {"Targets", targets_json(t.targets)}};
  if (!t.owner_information.empty()) j["OwnerInformation"] = t.owner_information;
  if (!t.name.empty()) j["Name"] = t.name;
  if (!t.description.empty()) j["Description"] = t.description;
  return j;
}

nlohmann::ordered_json window_task_json(const WindowTask& t) {
  nlohmann::ordered_json rc = {{"Parameters", t.run_command.parameters}};
  if (!t.run_command.comment.empty()) rc["Comment"] = t.run_command.comment;
  if (t.run_command.timeout_seconds != 0) rc["TimeoutSeconds"] = t.run_command.timeout_seconds;
  if (!t.run_command.output_s3_bucket_name.empty()) rc["OutputS3BucketName"] = t.run_command.output_s3_bucket_name;
  if (!t.run_command.output_s3_key_prefix.empty()) rc["OutputS3KeyPrefix"] = t.run_command.output_s3_key_prefix;
  if (!t.run_command.document_version.empty()) rc["DocumentVersion"] = t.run_command.document_version;
  nlohmann::ordered_json j = {{"WindowId", t.window_id},
                              {"WindowTaskId", t.window_task_id},
                              {"TaskArn", t.task_arn},
                              {"Type", t.task_type},
                              {"Targets", targets_json(t.targets)},
                              {"TaskInvocationParameters", {{"RunCommand", rc}}},
                              {"Priority", t.priority},
                              {"MaxConcurrency", t.max_concurrency},
                              {"MaxErrors", t.max_errors},
                              {"CutoffBehavior", t.cutoff_behavior}};
  if (!t.name.empty()) j["Name"] = t.name;
  if (!t.description.empty()) j["Description"] = t.description;
  return j;
}

std::vector<WindowTargetKey> targets_from_json(const nlohmann::json& j) {
  std::vector<WindowTargetKey> out;
  if (!j.is_array()) return out;
  for (const auto& t : j) {
    WindowTargetKey k;
    k.key = json_string(t, "Key");
    if (t.contains("Values") && t["Values"].is_array())
      for (const auto& v : t["Values"])
        if (v.is_string()) k.values.push_back(v.get<std::string>());
    out.push_back(std::move(k));
  }
  return out;
}

Window window_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw InputError("a stored maintenance window is damaged");
  Window w;
  w.window_id = json_string(j, "WindowId");
  w.name = json_string(j, "Name");
  w.description = json_string(j, "Description");
  w.start_date = json_string(j, "StartDate");
  w.end_date = json_string(j, "EndDate");
  w.schedule = json_string(j, "Schedule");
  w.schedule_timezone = json_string(j, "ScheduleTimezone");
  w.schedule_offset = j.value("ScheduleOffset", 0);
  w.duration = j.value("Duration", 1);
  w.cutoff = j.value("Cutoff", 0);
  w.allow_unassociated_targets = j.value("AllowUnassociatedTargets", false);
  w.enabled = j.value("Enabled", true);
  w.created_date = json_string(j, "CreatedDate");
  w.modified_date = json_string(j, "ModifiedDate");
  w.last_fire_time = json_string(j, "SshmLastFireTime");
  return w;
}

WindowTarget window_target_from_json(const nlohmann::json& j) {
  WindowTarget t;
  t.window_id = json_string(j, "WindowId");
  t.window_target_id = json_string(j, "WindowTargetId");
  t.resource_type = json_string(j, "ResourceType");
  t.targets = targets_from_json(j.value("Targets", nlohmann::json::array()));
  t.owner_information = json_string(j, "OwnerInformation");
  t.name = json_string(j, "Name");
  t.description = json_string(j, "Description");
  return t;
}

WindowTask window_task_from_json(const nlohmann::json& j) {
  WindowTask t;
  t.window_id = json_string(j, "WindowId");
  t.window_task_id = json_string(j, "WindowTaskId");
  t.task_arn = json_string(j, "TaskArn");
  t.task_type = json_string(j, "Type");
  t.targets = targets_from_json(j.value("Targets", nlohmann::json::array()));
  t.priority = j.value("Priority", 1);
  t.max_concurrency = json_string(j, "MaxConcurrency");
  t.max_errors = json_string(j, "MaxErrors");
  t.cutoff_behavior = json_string(j, "CutoffBehavior");
  t.name = json_string(j, "Name");
  t.description = json_string(j, "Description");
  const nlohmann::json rc = j.value("TaskInvocationParameters", nlohmann::json::object()).value("RunCommand", nlohmann::json::object());
  t.run_command.parameters = rc.value("Parameters", nlohmann::json::object());
  t.run_command.comment = json_string(rc, "Comment");
  t.run_command.timeout_seconds = rc.value("TimeoutSeconds", 0);
  t.run_command.output_s3_bucket_name = json_string(rc, "OutputS3BucketName");
  t.run_command.output_s3_key_prefix = json_string(rc, "OutputS3KeyPrefix");
  t.run_command.document_version = json_string(rc, "DocumentVersion");
  return t;
}

} // namespace sshm::schedule
