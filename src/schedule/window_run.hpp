#pragma once
// Running maintenance windows: what a tick must do for a window at a given time (plan_tick),
// and one window execution from start to end (run_window_execution): tasks in Priority order
// (lower first), equal priorities at once, no task started after the cutoff, CANCEL_TASK
// tasks cancelled at it. The Run Command itself and the records are behind two small
// interfaces, so this is tested with a FakeClock and a fake runner.
#include "schedule/window.hpp"
#include "util/time.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::schedule {

// SSM's MaintenanceWindowExecutionStatus values.
inline constexpr const char* k_pending = "PENDING";
inline constexpr const char* k_in_progress = "IN_PROGRESS";
inline constexpr const char* k_success = "SUCCESS";
inline constexpr const char* k_failed = "FAILED";
inline constexpr const char* k_timed_out = "TIMED_OUT";
inline constexpr const char* k_cancelling = "CANCELLING";
inline constexpr const char* k_cancelled = "CANCELLED";
inline constexpr const char* k_skipped_overlapping = "SKIPPED_OVERLAPPING";

// Whether a status is final.
bool is_final_status(const std::string& status);

// DescribeMaintenanceWindowExecutions' entry.
struct WindowExecution {
  std::string window_id;
  std::string window_execution_id;  // a UUID
  std::string status = k_pending;
  std::string status_details;
  std::string start_time;  // the fire time it runs for
  std::string end_time;
};

// DescribeMaintenanceWindowExecutionTasks' entry.
struct TaskExecution {
  std::string window_execution_id;
  std::string task_execution_id;  // a UUID
  std::string window_task_id;
  std::string task_arn;
  std::string task_type = "RUN_COMMAND";
  int priority = 0;
  std::string max_concurrency;
  std::string max_errors;
  std::string status = k_pending;
  std::string status_details;
  std::string start_time;
  std::string end_time;
};

// DescribeMaintenanceWindowExecutionTaskInvocations' entry: one Run Command (ExecutionId is
// its CommandId).
struct TaskInvocation {
  std::string window_execution_id;
  std::string task_execution_id;
  std::string invocation_id;  // a UUID
  std::string execution_id;   // the CommandId, once the command is recorded
  std::string task_type = "RUN_COMMAND";
  nlohmann::json parameters = nlohmann::json::object();  // as sent, pseudo-parameters replaced
  std::string status = k_pending;
  std::string status_details;
  std::string start_time;
  std::string end_time;
  std::string owner_information;
  std::string window_target_id;
};

nlohmann::ordered_json execution_json(const WindowExecution& e);
nlohmann::ordered_json task_execution_json(const TaskExecution& t);
nlohmann::ordered_json task_invocation_json(const TaskInvocation& i);
WindowExecution execution_from_json(const nlohmann::json& j);
TaskExecution task_execution_from_json(const nlohmann::json& j);
TaskInvocation task_invocation_from_json(const nlohmann::json& j);

// One Run Command a task invocation sends.
struct RunCommandRequest {
  std::string document;
  nlohmann::json parameters = nlohmann::json::object();  // name -> value(s)
  RunCommandParameters settings;                          // comment, timeout, S3 output, version
  std::vector<WindowTargetKey> targets;                   // the hosts, in SSM's Targets form
  std::string max_concurrency;
  std::string max_errors;
  std::string comment;  // what the command is recorded with
};

// Run Command's outcome: its CommandId and its Status (Success, Failed, TimedOut, Cancelled, ...).
struct RunCommandResult {
  std::string command_id;
  std::string status;
  std::string status_details;
};

// Sends one Run Command and waits for its end. `started` is called with the CommandId as soon
// as the command is recorded; when `cancel` becomes true the command is cancelled (SSM's
// CancelCommand) and run returns once it has ended. Never throws for a host's failure.
class TaskRunner {
public:
  virtual ~TaskRunner() = default;
  virtual RunCommandResult run(const RunCommandRequest& request, const std::atomic<bool>& cancel,
                               const std::function<void(const std::string& command_id)>& started) = 0;
};

// Where an execution's records go as they change; called from several threads.
class ExecutionRecorder {
public:
  virtual ~ExecutionRecorder() = default;
  virtual void save(const WindowExecution& execution) = 0;
  virtual void save(const TaskExecution& task) = 0;
  virtual void save(const TaskInvocation& invocation) = 0;
  // Whether CancelMaintenanceWindowExecution was asked for this execution.
  virtual bool cancel_requested(const std::string& window_execution_id) = 0;
};

// How often a running execution looks at the clock: it waits up to `real_wait` for a task to
// end, then moves `clock_step` on the clock (0 for a real clock; tests move a FakeClock).
struct ExecutionPacing {
  std::chrono::milliseconds real_wait{1000};
  std::chrono::seconds clock_step{0};
};

// `parameters` (name -> string or list of strings) with SSM's pseudo-parameters
// ({{WINDOW_ID}}, {{WINDOW_TASK_ID}}, {{WINDOW_TARGET_ID}}, {{WINDOW_EXECUTION_ID}},
// {{TASK_EXECUTION_ID}}, {{INVOCATION_ID}}, {{TARGET_TYPE}}) replaced; others stay verbatim.
struct PseudoParameters {
  std::string window_id, window_task_id, window_target_id, window_execution_id, task_execution_id, invocation_id,
      target_type;
};
nlohmann::json substitute_pseudo_parameters(const nlohmann::json& parameters, const PseudoParameters& p);

// Runs the execution `execution` (its id and StartTime, the fire time, set) of `window` to its
// end, saving every change through `recorder`, and returns it final.
WindowExecution run_window_execution(const Window& window, const std::vector<WindowTarget>& targets,
                                     const std::vector<WindowTask>& tasks, WindowExecution execution,
                                     const Clock& clock, TaskRunner& runner, ExecutionRecorder& recorder,
                                     const ExecutionPacing& pacing = {});

// What a tick does for one window at `now`: the fire times since the last one dealt with that
// are past their chance (recorded as skipped), the one to run now if it can still start a
// task (before start + Duration - Cutoff), and the new last fire time.
struct TickPlan {
  std::vector<SysSeconds> missed;
  std::optional<SysSeconds> run;
  std::optional<SysSeconds> last_fire;  // null when nothing was due
  size_t missed_total = 0;              // `missed` keeps the latest k_max_missed_recorded
};
inline constexpr size_t k_max_missed_recorded = 100;
TickPlan plan_tick(const Window& window, SysSeconds now);

// The executions a tick records without running them: each missed fire time (TIMED_OUT,
// "Skipped: ..."), and the fire time to run when the previous execution still runs
// (`previous_running`): SKIPPED_OVERLAPPING. New execution IDs; StartTime the fire time.
std::vector<WindowExecution> skipped_executions(const Window& window, const TickPlan& plan, bool previous_running);

// The instant of a stored ISO-8601 time.
SysSeconds instant_of(const std::string& iso);

} // namespace sshm::schedule
