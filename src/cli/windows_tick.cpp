// The tick's part for maintenance windows, and a window task's Run Command through the run
// engine's front-end (the same path as `sshm run`: rate control, history, S3 output).
#include "cli/run.hpp"
#include "cli/windows.hpp"

#include "cli/global_options.hpp"
#include "documents/document.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <thread>

namespace sshm::cli {

namespace {

using namespace sshm::schedule;

// One entry of SSM's Targets as sshm's target expression (several are AND'd, as SSM does).
std::string target_expression(const WindowTargetKey& key) {
  if (key.key == "InstanceIds") return key.values.size() == 1 && key.values[0] == "*" ? "all" : join(key.values, ",");
  return fmt::format("Key={},Values={}", key.key, join(key.values, ","));
}

// Sees a task's command: its CommandId as soon as it is recorded, its status at the end.
class TaskObserver final : public CliRunObserver {
public:
  TaskObserver(const std::function<void(const std::string&)>& started, RunCommandResult& result)
      : m_started(started), m_result(result) {}
  void on_start(const store::CommandRecord& command, const engine::DispatchPlan&) override {
    m_result.command_id = command.command_id;
    m_started(command.command_id);
  }
  void finish(const engine::RunResult& r) override {
    m_result.command_id = r.command.command_id;
    m_result.status = r.command.status;
    m_result.status_details = r.command.status_details;
  }
  std::optional<int> exit_code(const engine::RunResult&) const override { return 0; }

private:
  const std::function<void(const std::string&)>& m_started;
  RunCommandResult& m_result;
};

class FrontEndTaskRunner final : public TaskRunner {
public:
  explicit FrontEndTaskRunner(const GlobalOptions& g) : m_global(g) {}

  RunCommandResult run(const RunCommandRequest& req, const std::atomic<bool>& cancel,
                       const std::function<void(const std::string&)>& started) override {
    RunCommandResult result;
    try {
      FrontEndRun fr;
      fr.document = req.document;
      fr.values = documents::typed_parameters(documents::load(req.document), req.parameters, "task parameters");
      for (const auto& key : req.targets) fr.targets.targets.push_back(target_expression(key));
      fr.max_concurrency = req.max_concurrency;
      fr.max_errors = req.max_errors;
      fr.ramp = true;
      fr.comment = req.comment.substr(0, 100);
      fr.timeout = req.settings.timeout_seconds;
      fr.sinks.s3_bucket = req.settings.output_s3_bucket_name;
      fr.sinks.s3_prefix = req.settings.output_s3_key_prefix;
      fr.cancel = &cancel;
      fr.make_observer = [&](size_t) { return std::make_unique<TaskObserver>(started, result); };
      run_front_end(m_global, fr);
    } catch (const std::exception& e) {
      // Nothing was sent (no host matched, a parameter the document refuses): the
      // invocation failed, and says why.
      if (result.status.empty()) result = {result.command_id, "Failed", e.what()};
    }
    if (result.status.empty()) result.status = "Failed";
    return result;
  }

private:
  const GlobalOptions& m_global;
};

class StoreRecorder final : public ExecutionRecorder {
public:
  explicit StoreRecorder(store::Store& store) : m_store(store) {}
  void save(const WindowExecution& e) override { windows::save(m_store, e); }
  void save(const TaskExecution& t) override { windows::save(m_store, t); }
  void save(const TaskInvocation& i) override { windows::save(m_store, i); }
  // Read on a connection of its own: while a task's command runs, the tick's long-lived
  // connection was seen to keep reading the execution as it was before `cancel-execution`.
  bool cancel_requested(const std::string& id) override {
    auto fresh = store::Store::open(m_store.state_dir());
    return windows::find_execution(*fresh, id).status == k_cancelling;
  }

private:
  store::Store& m_store;
};

// Executions left IN_PROGRESS (or PENDING, CANCELLING) by an sshm that died: TIMED_OUT, and
// their unfinished tasks and invocations FAILED, each saying why.
int mark_abandoned(store::Store& store, const Window& w, const SystemTime now, TickLog& log) {
  int marked = 0;
  const std::string why = "The sshm process that ran this execution ended before it finished";
  for (auto e : windows::executions_of(store, w.window_id)) {
    if (is_final_status(e.status)) continue;
    for (auto t : windows::task_executions_of(store, e.window_execution_id)) {
      for (auto i : windows::invocations_of(store, t.task_execution_id))
        if (!is_final_status(i.status)) {
          i.status = k_failed, i.status_details = why, i.end_time = iso8601_ms(now);
          windows::save(store, i);
        }
      if (is_final_status(t.status)) continue;
      t.status = k_failed, t.status_details = why, t.end_time = iso8601_ms(now);
      windows::save(store, t);
    }
    e.status = e.status == k_cancelling ? k_cancelled : k_timed_out;
    e.status_details = why;
    e.end_time = iso8601_ms(now);
    windows::save(store, e);
    log.line(fmt::format("window {} ({}): execution {} marked {}: {}", w.name, w.window_id, e.window_execution_id,
                         e.status, why));
    ++marked;
  }
  return marked;
}

// A due execution this tick runs, with the lock it holds.
struct DueExecution {
  Window window;
  WindowExecution execution;
  std::unique_ptr<windows::WindowLock> lock;
};

// What the tick records for one window now; the execution to run, if any.
std::optional<DueExecution> prepare_window(const TickContext& ctx, Window w, SysSeconds now, int& actions) {
  // An execution left unfinished with no process holding the lock: its sshm died.
  std::unique_ptr<windows::WindowLock> lock;
  bool lock_tried = false;
  for (const auto& e : windows::executions_of(ctx.store, w.window_id))
    if (!is_final_status(e.status) && !lock_tried) {
      lock_tried = true;
      lock = windows::WindowLock::try_take(ctx.store.state_dir(), w.window_id);
      if (lock) actions += mark_abandoned(ctx.store, w, ctx.clock.now(), ctx.log);
    }
  TickPlan plan = plan_tick(w, now);
  if (!plan.last_fire) return std::nullopt;
  w.last_fire_time = iso8601_ms(*plan.last_fire);
  if (!w.enabled) {
    windows::save(ctx.store, w);
    ctx.log.line(fmt::format("window {} ({}): disabled, fire time {} not run", w.name, w.window_id,
                             iso8601_s(*plan.last_fire)));
    return std::nullopt;
  }
  if (!lock_tried) lock = windows::WindowLock::try_take(ctx.store.state_dir(), w.window_id);
  for (const auto& e : skipped_executions(w, plan, lock == nullptr)) {
    windows::save(ctx.store, e);
    ctx.log.line(fmt::format("window {} ({}): fire time {} skipped, {}: {}", w.name, w.window_id, e.start_time,
                             e.status, e.status_details));
    ++actions;
  }
  if (plan.missed_total > plan.missed.size())
    ctx.log.line(fmt::format("window {} ({}): {} older missed fire times not recorded", w.name, w.window_id,
                             plan.missed_total - plan.missed.size()));
  windows::save(ctx.store, w);
  if (!plan.run || !lock) return std::nullopt;
  WindowExecution e;
  e.window_id = w.window_id;
  e.window_execution_id = new_uuid();
  e.start_time = iso8601_ms(*plan.run);
  windows::save(ctx.store, e);
  return DueExecution{std::move(w), std::move(e), std::move(lock)};
}

void run_due(const TickContext& ctx, DueExecution& due) {
  const Window& w = due.window;
  ctx.log.line(fmt::format("window {} ({}): execution {} started for fire time {}", w.name, w.window_id,
                           due.execution.window_execution_id, due.execution.start_time));
  try {
    FrontEndTaskRunner runner(ctx.global);
    StoreRecorder recorder(ctx.store);
    WindowExecution done = run_window_execution(w, windows::targets_of(ctx.store, w.window_id),
                                                windows::tasks_of(ctx.store, w.window_id), due.execution, ctx.clock,
                                                runner, recorder);
    ctx.log.line(fmt::format("window {} ({}): execution {} finished {}: {}", w.name, w.window_id,
                             done.window_execution_id, done.status, done.status_details));
  } catch (const std::exception& e) {
    ctx.log.line(fmt::format("window {} ({}): execution {} stopped: {}", w.name, w.window_id,
                             due.execution.window_execution_id, e.what()));
  }
}

} // namespace

int tick_windows(const TickContext& ctx) {
  const SysSeconds now = std::chrono::floor<std::chrono::seconds>(ctx.clock.now());
  int actions = 0;
  std::vector<DueExecution> due;
  for (const Window& w : windows::all_windows(ctx.store)) {
    try {
      if (auto d = prepare_window(ctx, w, now, actions)) due.push_back(std::move(*d));
    } catch (const InputError& e) {
      ctx.log.line(fmt::format("window {} ({}): not run: {}", w.name, w.window_id, e.what()));
    }
  }
  // Windows due at the same time run side by side; the tick returns when all have ended.
  std::vector<std::thread> threads;
  for (auto& d : due) threads.emplace_back([&ctx, &d] { run_due(ctx, d); });
  for (auto& t : threads) t.join();
  return actions + static_cast<int>(due.size());
}

} // namespace sshm::cli
