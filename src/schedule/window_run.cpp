// One maintenance window execution, and what a tick does for a window.
#include "schedule/window_run.hpp"

#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/json_fields.hpp"

#include <algorithm>
#include <condition_variable>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace sshm::schedule {

namespace {

using nlohmann::ordered_json;

void put(ordered_json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

std::string stamp(const Clock& clock) { return iso8601_ms(clock.now()); }

// Run Command's status as the maintenance window shows it.
std::string window_status_of(const std::string& command_status) {
  static const std::map<std::string, std::string> k_map = {
      {"Success", k_success},       {"Failed", k_failed},         {"TimedOut", k_timed_out},
      {"Cancelled", k_cancelled},   {"Cancelling", k_cancelling}, {"Pending", k_pending},
      {"InProgress", k_in_progress}};
  auto it = k_map.find(command_status);
  return it == k_map.end() ? k_failed : it->second;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// One invocation of a task: the hosts it runs on and the window target they come from.
struct InvocationTarget {
  std::vector<WindowTargetKey> targets;
  std::string window_target_id;
  std::string target_type = "INSTANCE";
  std::string owner_information;
};

// A task's invocations: one per window target it names (in that order), or one for its
// InstanceIds. SSM runs a task's invocations one after another.
std::vector<InvocationTarget> invocation_targets(const WindowTask& task, const std::vector<WindowTarget>& targets) {
  std::vector<InvocationTarget> out;
  for (const auto& key : task.targets) {
    if (key.key == "InstanceIds") {
      out.push_back({{key}, "", "INSTANCE", ""});
      continue;
    }
    for (const auto& id : key.values)
      for (const auto& t : targets)
        if (t.window_target_id == id) out.push_back({t.targets, t.window_target_id, t.resource_type, t.owner_information});
  }
  return out;
}

// The state of one running task, shared between its thread and the execution's.
struct RunningTask {
  const WindowTask* task = nullptr;
  TaskExecution record;
  std::atomic<bool> cancel{false};
  std::atomic<bool> cut_at_cutoff{false};  // cancelled because the cutoff came (CANCEL_TASK)
  std::atomic<bool> window_cancelled{false};
  bool done = false;
};

// Shared by the task threads and the execution thread: who has finished.
struct Completion {
  std::mutex mutex;
  std::condition_variable changed;
};

class ExecutionRun {
public:
  ExecutionRun(const Window& window, const std::vector<WindowTarget>& targets, WindowExecution& execution,
               const Clock& clock, TaskRunner& runner, ExecutionRecorder& recorder, const ExecutionPacing& pacing)
      : m_window(window), m_targets(targets), m_execution(execution), m_clock(clock), m_runner(runner),
        m_recorder(recorder), m_pacing(pacing) {}

  SysSeconds cutoff() const {
    return instant_of(m_execution.start_time) + std::chrono::hours(m_window.duration - m_window.cutoff);
  }
  bool cancelled() const { return m_cancelled; }
  bool cut() const { return m_cut; }

  // Runs one group of tasks of equal priority, all at once, and waits for all of them.
  std::vector<std::string> run_group(const std::vector<const WindowTask*>& group);
  // Whether the window execution was asked to stop (CancelMaintenanceWindowExecution).
  bool check_cancel();

private:
  void run_task(RunningTask& rt);
  void run_invocation(RunningTask& rt, const InvocationTarget& target, TaskInvocation& inv);
  std::string final_task_status(const RunningTask& rt, const std::vector<std::string>& statuses, size_t expected) const;
  void watch(std::vector<std::unique_ptr<RunningTask>>& running);

  const Window& m_window;
  const std::vector<WindowTarget>& m_targets;
  WindowExecution& m_execution;
  const Clock& m_clock;
  TaskRunner& m_runner;
  ExecutionRecorder& m_recorder;
  const ExecutionPacing& m_pacing;
  Completion m_completion;
  bool m_cancelled = false;
  bool m_cut = false;
};

bool ExecutionRun::check_cancel() {
  if (m_cancelled) return true;
  if (!m_recorder.cancel_requested(m_execution.window_execution_id)) return false;
  m_cancelled = true;
  m_execution.status = k_cancelling;
  m_recorder.save(m_execution);
  return true;
}

void ExecutionRun::run_invocation(RunningTask& rt, const InvocationTarget& target, TaskInvocation& inv) {
  const WindowTask& task = *rt.task;
  PseudoParameters pseudo{m_window.window_id,  task.window_task_id,  target.window_target_id,
                          m_execution.window_execution_id, rt.record.task_execution_id, inv.invocation_id,
                          target.target_type};
  RunCommandRequest req;
  req.document = task.task_arn;
  req.parameters = substitute_pseudo_parameters(task.run_command.parameters, pseudo);
  // Patch Manager's AWS-RunPatchBaseline gets the window execution as its SnapshotId, so
  // every node of one execution uses the same snapshot of the baseline.
  if (task.task_arn == "AWS-RunPatchBaseline" && !req.parameters.contains("SnapshotId"))
    req.parameters["SnapshotId"] = nlohmann::json::array({m_execution.window_execution_id});
  req.settings = task.run_command;
  req.targets = target.targets;
  req.max_concurrency = task.max_concurrency;
  req.max_errors = task.max_errors;
  req.comment = task.run_command.comment.empty()
                    ? fmt::format("Maintenance window {} execution {}", m_window.window_id, m_execution.window_execution_id)
                    : task.run_command.comment;
  inv.parameters = req.parameters;
  inv.status = k_in_progress;
  inv.start_time = stamp(m_clock);
  m_recorder.save(inv);
  RunCommandResult result = m_runner.run(req, rt.cancel, [&](const std::string& command_id) {
    inv.execution_id = command_id;
    m_recorder.save(inv);
  });
  inv.execution_id = result.command_id.empty() ? inv.execution_id : result.command_id;
  inv.status = window_status_of(result.status);
  inv.status_details = result.status_details.empty() ? result.status : result.status_details;
  inv.end_time = stamp(m_clock);
  m_recorder.save(inv);
}

std::string ExecutionRun::final_task_status(const RunningTask& rt, const std::vector<std::string>& statuses,
                                            size_t expected) const {
  auto any = [&](const char* s) { return std::find(statuses.begin(), statuses.end(), s) != statuses.end(); };
  if (rt.window_cancelled) return k_cancelled;
  // CANCEL_TASK at the cutoff: "the status for tasks that are not completed is TIMED_OUT".
  if (rt.cut_at_cutoff && (statuses.size() < expected || any(k_cancelled) || any(k_timed_out))) return k_timed_out;
  if (statuses.empty()) return k_failed;
  if (any(k_failed)) return k_failed;
  if (any(k_timed_out)) return k_timed_out;
  if (any(k_cancelled)) return k_cancelled;
  return k_success;
}

void ExecutionRun::run_task(RunningTask& rt) {
  std::vector<InvocationTarget> targets = invocation_targets(*rt.task, m_targets);
  std::vector<std::string> statuses;
  try {
    for (const auto& target : targets) {
      if (rt.cancel) break;
      TaskInvocation inv;
      inv.window_execution_id = m_execution.window_execution_id;
      inv.task_execution_id = rt.record.task_execution_id;
      inv.invocation_id = new_uuid();
      inv.owner_information = target.owner_information;
      inv.window_target_id = target.window_target_id;
      run_invocation(rt, target, inv);
      statuses.push_back(inv.status);
    }
    rt.record.status = final_task_status(rt, statuses, targets.size());
    if (targets.empty()) rt.record.status_details = "The task has no targets: its window targets were deregistered";
    else if (rt.record.status == k_timed_out && rt.cut_at_cutoff)
      rt.record.status_details = "The maintenance window cutoff was reached: the task was cancelled (CANCEL_TASK)";
  } catch (const std::exception& e) {
    rt.record.status = k_failed;
    rt.record.status_details = e.what();
  }
  rt.record.end_time = stamp(m_clock);
  try {
    m_recorder.save(rt.record);
  } catch (const std::exception&) {
    // The execution's own save reports a store that cannot be written.
  }
  std::lock_guard<std::mutex> lock(m_completion.mutex);
  rt.done = true;
  m_completion.changed.notify_all();
}

void ExecutionRun::watch(std::vector<std::unique_ptr<RunningTask>>& running) {
  const SysSeconds cutoff_at = cutoff();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(m_completion.mutex);
      bool all_done = std::all_of(running.begin(), running.end(), [](const auto& rt) { return rt->done; });
      if (all_done) return;
      m_completion.changed.wait_for(lock, m_pacing.real_wait);
    }
    if (m_pacing.clock_step.count() > 0) m_clock.sleep_for(m_pacing.clock_step);
    if (!m_cut && m_clock.now() >= cutoff_at) {
      m_cut = true;
      for (auto& rt : running)
        if (rt->task->cutoff_behavior == "CANCEL_TASK" && !rt->done) {
          rt->cut_at_cutoff = true;
          rt->cancel = true;
        }
    }
    if (!m_cancelled && check_cancel())
      for (auto& rt : running) {
        rt->window_cancelled = true;
        rt->cancel = true;
      }
  }
}

std::vector<std::string> ExecutionRun::run_group(const std::vector<const WindowTask*>& group) {
  std::vector<std::unique_ptr<RunningTask>> running;
  for (const WindowTask* task : group) {
    auto rt = std::make_unique<RunningTask>();
    rt->task = task;
    TaskExecution& r = rt->record;
    r.window_execution_id = m_execution.window_execution_id;
    r.task_execution_id = new_uuid();
    r.window_task_id = task->window_task_id;
    r.task_arn = task->task_arn;
    r.task_type = task->task_type;
    r.priority = task->priority;
    r.max_concurrency = task->max_concurrency;
    r.max_errors = task->max_errors;
    r.status = k_in_progress;
    r.start_time = stamp(m_clock);
    m_recorder.save(r);
    running.push_back(std::move(rt));
  }
  std::vector<std::thread> threads;
  for (auto& rt : running) threads.emplace_back([this, p = rt.get()] { run_task(*p); });
  watch(running);
  for (auto& t : threads) t.join();
  std::vector<std::string> statuses;
  for (const auto& rt : running) statuses.push_back(rt->record.status);
  return statuses;
}

// The tasks in groups of equal Priority, lowest first, each group in registration order.
std::vector<std::vector<const WindowTask*>> priority_groups(const std::vector<WindowTask>& tasks) {
  std::map<int, std::vector<const WindowTask*>> by_priority;
  for (const auto& t : tasks) by_priority[t.priority].push_back(&t);
  std::vector<std::vector<const WindowTask*>> out;
  for (auto& [priority, group] : by_priority) out.push_back(std::move(group));
  return out;
}

std::string execution_status(bool cancelled, size_t not_started, const std::vector<std::string>& statuses) {
  auto any = [&](const char* s) { return std::find(statuses.begin(), statuses.end(), s) != statuses.end(); };
  if (cancelled) return k_cancelled;
  if (any(k_failed)) return k_failed;
  if (not_started > 0 || any(k_timed_out)) return k_timed_out;
  if (any(k_cancelled)) return k_cancelled;
  return k_success;
}

} // namespace

bool is_final_status(const std::string& s) {
  return s == k_success || s == k_failed || s == k_timed_out || s == k_cancelled || s == k_skipped_overlapping;
}

nlohmann::json substitute_pseudo_parameters(const nlohmann::json& parameters, const PseudoParameters& p) {
  if (parameters.is_string()) {
    std::string s = parameters.get<std::string>();
    const std::pair<const char*, const std::string*> names[] = {
        {"{{WINDOW_ID}}", &p.window_id},
        {"{{WINDOW_TASK_ID}}", &p.window_task_id},
        {"{{WINDOW_TARGET_ID}}", &p.window_target_id},
        {"{{WINDOW_EXECUTION_ID}}", &p.window_execution_id},
        {"{{TASK_EXECUTION_ID}}", &p.task_execution_id},
        {"{{INVOCATION_ID}}", &p.invocation_id},
        {"{{TARGET_TYPE}}", &p.target_type}};
    for (const auto& [name, value] : names) s = replace_all(std::move(s), name, *value);
    return s;
  }
  if (!parameters.is_array() && !parameters.is_object()) return parameters;
  nlohmann::json out = parameters;
  for (auto it = out.begin(); it != out.end(); ++it) *it = substitute_pseudo_parameters(*it, p);
  return out;
}

WindowExecution run_window_execution(const Window& window, const std::vector<WindowTarget>& targets,
                                     const std::vector<WindowTask>& tasks, WindowExecution execution,
                                     const Clock& clock, TaskRunner& runner, ExecutionRecorder& recorder,
                                     const ExecutionPacing& pacing) {
  execution.status = k_in_progress;
  recorder.save(execution);
  ExecutionRun run(window, targets, execution, clock, runner, recorder, pacing);
  std::vector<std::string> statuses;
  size_t not_started = 0;
  for (const auto& group : priority_groups(tasks)) {
    // No task starts after start + Duration - Cutoff, nor once the execution is cancelled.
    if (run.check_cancel() || clock.now() >= run.cutoff()) {
      not_started += group.size();
      continue;
    }
    for (auto& s : run.run_group(group)) statuses.push_back(std::move(s));
  }
  execution.status = execution_status(run.cancelled(), not_started, statuses);
  if (run.cancelled()) execution.status_details = "The maintenance window execution was cancelled";
  else if (not_started > 0)
    execution.status_details =
        fmt::format("The maintenance window cutoff was reached: {} task(s) were not started", not_started);
  else if (tasks.empty()) execution.status_details = "The maintenance window has no tasks";
  else execution.status_details = fmt::format("{} task(s) ran", statuses.size());
  execution.end_time = stamp(clock);
  recorder.save(execution);
  return execution;
}

SysSeconds instant_of(const std::string& iso) {
  return std::chrono::floor<std::chrono::seconds>(parse_iso8601(iso));
}

TickPlan plan_tick(const Window& window, SysSeconds now) {
  TickPlan plan;
  WindowSchedule ws = window_schedule(window);
  SysSeconds anchor = instant_of(window.last_fire_time.empty() ? window.created_date : window.last_fire_time);
  std::vector<SysSeconds> due;
  for (auto next = next_fire_after(ws, anchor); next && *next <= now; next = next_fire_after(ws, *next)) {
    due.push_back(*next);
    ++plan.missed_total;
    if (due.size() > k_max_missed_recorded + 1) due.erase(due.begin());
  }
  if (due.empty()) return plan;
  plan.last_fire = due.back();
  const SysSeconds last_start = due.back() + std::chrono::hours(window.duration - window.cutoff);
  if (now < last_start) {
    plan.run = due.back();
    due.pop_back();
    --plan.missed_total;
  }
  if (due.size() > k_max_missed_recorded) due.erase(due.begin());
  plan.missed = std::move(due);
  return plan;
}

std::vector<WindowExecution> skipped_executions(const Window& window, const TickPlan& plan, bool previous_running) {
  std::vector<WindowExecution> out;
  auto record = [&](SysSeconds fire, const char* status, std::string details) {
    const std::string at = iso8601_ms(fire);
    out.push_back({window.window_id, new_uuid(), status, std::move(details), at, at});
  };
  for (SysSeconds fire : plan.missed)
    record(fire, k_timed_out,
           fmt::format("Skipped: no sshm tick ran between {} and its cutoff ({} h later)", iso8601_s(fire),
                       window.duration - window.cutoff));
  if (plan.run && previous_running)
    record(*plan.run, k_skipped_overlapping, "Skipped: the previous execution of the window was still running");
  return out;
}

nlohmann::ordered_json execution_json(const WindowExecution& e) {
  ordered_json j = {{"WindowId", e.window_id}, {"WindowExecutionId", e.window_execution_id}, {"Status", e.status}};
  put(j, "StatusDetails", e.status_details);
  put(j, "StartTime", e.start_time);
  put(j, "EndTime", e.end_time);
  return j;
}

nlohmann::ordered_json task_execution_json(const TaskExecution& t) {
  ordered_json j = {{"WindowExecutionId", t.window_execution_id},
                    {"TaskExecutionId", t.task_execution_id},
                    {"TaskArn", t.task_arn},
                    {"TaskType", t.task_type},
                    {"WindowTaskId", t.window_task_id},
                    {"Priority", t.priority},
                    {"MaxConcurrency", t.max_concurrency},
                    {"MaxErrors", t.max_errors},
                    {"Status", t.status}};
  put(j, "StatusDetails", t.status_details);
  put(j, "StartTime", t.start_time);
  put(j, "EndTime", t.end_time);
  return j;
}

nlohmann::ordered_json task_invocation_json(const TaskInvocation& i) {
  ordered_json j = {{"WindowExecutionId", i.window_execution_id},
                    {"TaskExecutionId", i.task_execution_id},
                    {"InvocationId", i.invocation_id}};
  put(j, "ExecutionId", i.execution_id);
  j["TaskType"] = i.task_type;
  j["Parameters"] = i.parameters.dump();
  j["Status"] = i.status;
  put(j, "StatusDetails", i.status_details);
  put(j, "StartTime", i.start_time);
  put(j, "EndTime", i.end_time);
  put(j, "OwnerInformation", i.owner_information);
  put(j, "WindowTargetId", i.window_target_id);
  return j;
}

WindowExecution execution_from_json(const nlohmann::json& j) {
  return {json_string(j, "WindowId"), json_string(j, "WindowExecutionId"), json_string(j, "Status"), json_string(j, "StatusDetails"),
          json_string(j, "StartTime"), json_string(j, "EndTime")};
}

TaskExecution task_execution_from_json(const nlohmann::json& j) {
  TaskExecution t;
  t.window_execution_id = json_string(j, "WindowExecutionId");
  t.task_execution_id = json_string(j, "TaskExecutionId");
  t.window_task_id = json_string(j, "WindowTaskId");
  t.task_arn = json_string(j, "TaskArn");
  t.task_type = json_string(j, "TaskType");
  t.priority = j.value("Priority", 0);
  t.max_concurrency = json_string(j, "MaxConcurrency");
  t.max_errors = json_string(j, "MaxErrors");
  t.status = json_string(j, "Status");
  t.status_details = json_string(j, "StatusDetails");
  t.start_time = json_string(j, "StartTime");
  t.end_time = json_string(j, "EndTime");
  return t;
}

TaskInvocation task_invocation_from_json(const nlohmann::json& j) {
  TaskInvocation i;
  i.window_execution_id = json_string(j, "WindowExecutionId");
  i.task_execution_id = json_string(j, "TaskExecutionId");
  i.invocation_id = json_string(j, "InvocationId");
  i.execution_id = json_string(j, "ExecutionId");
  i.task_type = json_string(j, "TaskType");
  i.parameters = nlohmann::json::parse(json_string(j, "Parameters"), nullptr, false);
  if (i.parameters.is_discarded()) i.parameters = nlohmann::json::object();
  i.status = json_string(j, "Status");
  i.status_details = json_string(j, "StatusDetails");
  i.start_time = json_string(j, "StartTime");
  i.end_time = json_string(j, "EndTime");
  i.owner_information = json_string(j, "OwnerInformation");
  i.window_target_id = json_string(j, "WindowTargetId");
  return i;
}

} // namespace sshm::schedule
