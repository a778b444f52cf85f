#pragma once
// Maintenance windows as SSM defines them (CreateMaintenanceWindow,
// RegisterTargetWithMaintenanceWindow, RegisterTaskWithMaintenanceWindow): the records, the
// checks SSM applies to them with its wording, and their JSON in SSM's shapes. Nothing here
// reads the clock or touches the store.
#include "schedule/schedule.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::schedule {

// One entry of SSM's Targets list: Key=tag:Env,Values=prod,stage.
struct WindowTargetKey {
  std::string key;
  std::vector<std::string> values;
};

struct Window {
  std::string window_id;  // mw- and 17 hex digits
  std::string name;
  std::string description;
  std::string schedule;
  std::string schedule_timezone;  // "" is UTC
  int schedule_offset = 0;
  int duration = 0;  // hours, 1..24
  int cutoff = 0;    // hours, 0..23, less than duration
  std::string start_date;  // ISO 8601 or ""
  std::string end_date;
  bool enabled = true;
  bool allow_unassociated_targets = false;
  std::string created_date;
  std::string modified_date;
  // The last fire time a tick has dealt with (run, skipped or missed); "" before the first.
  // sshm's own bookkeeping, not part of SSM's shape.
  std::string last_fire_time;
};

struct WindowTarget {
  std::string window_id;
  std::string window_target_id;  // a UUID
  std::string resource_type = "INSTANCE";  // INSTANCE | RESOURCE_GROUP
  std::vector<WindowTargetKey> targets;
  std::string owner_information;
  std::string name;
  std::string description;
};

// TaskInvocationParameters.RunCommand.
struct RunCommandParameters {
  nlohmann::json parameters = nlohmann::json::object();  // name -> list of strings
  std::string comment;
  int timeout_seconds = 0;
  std::string output_s3_bucket_name;
  std::string output_s3_key_prefix;
  std::string document_version;
};

struct WindowTask {
  std::string window_id;
  std::string window_task_id;  // a UUID
  std::string task_arn;        // the document name
  std::string task_type = "RUN_COMMAND";
  std::vector<WindowTargetKey> targets;  // Key=WindowTargetIds or Key=InstanceIds
  int priority = 1;
  std::string max_concurrency;
  std::string max_errors;
  std::string cutoff_behavior = "CONTINUE_TASK";  // | CANCEL_TASK
  std::string name;
  std::string description;
  RunCommandParameters run_command;
};

// Checks a window's fields as CreateMaintenanceWindow does; throws InputError with SSM's
// wording ("1 validation error detected: ...") for the first problem.
void validate_window(const Window& window);
// Checks a window target's fields (RegisterTargetWithMaintenanceWindow).
void validate_window_target(const WindowTarget& target);
// Checks a task (RegisterTaskWithMaintenanceWindow) against its window and the window's
// registered targets.
void validate_window_task(const WindowTask& task, const Window& window, const std::vector<WindowTarget>& targets);

// A new WindowId: "mw-" and 17 random hex digits.
std::string new_window_id();

// The window's schedule, zone and offset, already checked by validate_window.
struct WindowSchedule {
  Schedule schedule;
  Zone zone = nullptr;
  int offset_days = 0;
  std::optional<SysSeconds> start_date, end_date;
};
WindowSchedule window_schedule(const Window& window);

// The next time the window fires strictly after `from`, within StartDate/EndDate.
std::optional<SysSeconds> next_fire_after(const WindowSchedule& ws, SysSeconds from);

// SSM's shapes: GetMaintenanceWindow, DescribeMaintenanceWindowTargets' and
// DescribeMaintenanceWindowTasks' entries.
nlohmann::ordered_json window_json(const Window& window, std::optional<SysSeconds> next_execution);
nlohmann::ordered_json targets_json(const std::vector<WindowTargetKey>& targets);
nlohmann::ordered_json window_target_json(const WindowTarget& target);
nlohmann::ordered_json window_task_json(const WindowTask& task);

// The records from their stored JSON (the shapes above); throws InputError when damaged.
Window window_from_json(const nlohmann::json& j);
WindowTarget window_target_from_json(const nlohmann::json& j);
WindowTask window_task_from_json(const nlohmann::json& j);
std::vector<WindowTargetKey> targets_from_json(const nlohmann::json& j);

} // namespace sshm::schedule
