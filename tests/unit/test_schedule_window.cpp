// Maintenance windows: SSM's checks, one execution driven by a FakeClock and a fake Run
// Command, and what a tick plans for a window.
#include "schedule/window.hpp"
#include "schedule/window_run.hpp"
#include "util/error.hpp"
#include "fake_clock.hpp"

#include <doctest/doctest.h>
#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

using namespace sshm;
using namespace sshm::schedule;
using namespace std::chrono_literals;

namespace {

SystemTime at(const std::string& iso) { return parse_iso8601(iso); }

// A Run Command that takes `minutes` of the fake clock per document, then ends with
// `status`; a cancel ends it at once as Cancelled.
class FakeRunner final : public TaskRunner {
public:
  explicit FakeRunner(const Clock& clock) : m_clock(clock) {}
  struct Behaviour {
    int minutes = 10;
    std::string status = "Success";
  };
  struct Call {
    RunCommandRequest request;
    SystemTime start, end;
    std::string status;
  };
  std::map<std::string, Behaviour> behaviours;

  RunCommandResult run(const RunCommandRequest& req, const std::atomic<bool>& cancel,
                       const std::function<void(const std::string&)>& started) override {
    Behaviour b;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (behaviours.count(req.document)) b = behaviours[req.document];
      ++m_in_flight;
      max_in_flight = std::max(max_in_flight, m_in_flight);
    }
    const std::string id = "cmd-" + req.document;
    started(id);
    const SystemTime start = m_clock.now();
    std::string status = b.status;
    while (m_clock.now() < start + std::chrono::minutes(b.minutes)) {
      if (cancel) {
        status = "Cancelled";
        break;
      }
      std::this_thread::sleep_for(50us);
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    --m_in_flight;
    calls.push_back({req, start, m_clock.now(), status});
    return {id, status, status};
  }

  const Call* call(const std::string& document) const {
    for (const auto& c : calls)
      if (c.request.document == document) return &c;
    return nullptr;
  }

  std::vector<Call> calls;
  int max_in_flight = 0;

private:
  const Clock& m_clock;
  std::mutex m_mutex;
  int m_in_flight = 0;
};

// Keeps the latest version of every record.
class MemoryRecorder final : public ExecutionRecorder {
public:
  void save(const WindowExecution& e) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    executions[e.window_execution_id] = e;
  }
  void save(const TaskExecution& t) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    tasks[t.task_execution_id] = t;
  }
  void save(const TaskInvocation& i) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    invocations[i.invocation_id] = i;
  }
  bool cancel_requested(const std::string&) override { return cancel; }

  const TaskExecution* task(const std::string& arn) const {
    for (const auto& [id, t] : tasks)
      if (t.task_arn == arn) return &t;
    return nullptr;
  }

  std::atomic<bool> cancel{false};
  std::map<std::string, WindowExecution> executions;
  std::map<std::string, TaskExecution> tasks;
  std::map<std::string, TaskInvocation> invocations;

private:
  std::mutex m_mutex;
};

Window make_window(int duration, int cutoff) {
  Window w;
  w.window_id = "mw-0123456789abcdef0";
  w.name = "weekly-patch";
  w.schedule = "cron(0 2 ? * SAT *)";
  w.duration = duration;
  w.cutoff = cutoff;
  w.created_date = "2026-01-01T00:00:00.000Z";
  return w;
}

WindowTarget make_target() {
  WindowTarget t;
  t.window_id = "mw-0123456789abcdef0";
  t.window_target_id = "11111111-2222-3333-4444-555555555555";
  t.targets = {{"tag:PatchGroup", {"web"}}};
  t.owner_information = "web servers";
  return t;
}

WindowTask make_task(const std::string& document, int priority, const std::string& cutoff_behavior = "CONTINUE_TASK") {
  WindowTask t;
  t.window_id = "mw-0123456789abcdef0";
  t.window_task_id = "task-" + document;
  t.task_arn = document;
  t.targets = {{"WindowTargetIds", {"11111111-2222-3333-4444-555555555555"}}};
  t.priority = priority;
  t.max_concurrency = "10";
  t.max_errors = "1";
  t.cutoff_behavior = cutoff_behavior;
  t.run_command.parameters = {{"commands", {"echo {{WINDOW_EXECUTION_ID}}"}}};
  return t;
}

struct Fixture {
  test::FakeClock clock{at("2026-01-03T02:00:00Z")};
  FakeRunner runner{clock};
  MemoryRecorder recorder;
  ExecutionPacing pacing{1ms, 60s};

  WindowExecution run(const Window& w, const std::vector<WindowTask>& tasks) {
    WindowExecution e;
    e.window_id = w.window_id;
    e.window_execution_id = "exec-1";
    e.start_time = "2026-01-03T02:00:00.000Z";
    return run_window_execution(w, {make_target()}, tasks, e, clock, runner, recorder, pacing);
  }
};

} // namespace

TEST_CASE("a window with Duration 2 / Cutoff 1 starts no task in its last hour and cancels one with CANCEL_TASK") {
  Fixture f;
  f.runner.behaviours["Long-Cancel"] = {90, "Success"};
  f.runner.behaviours["Long-Continue"] = {90, "Success"};
  std::vector<WindowTask> tasks = {make_task("Long-Cancel", 1, "CANCEL_TASK"), make_task("Long-Continue", 1),
                                   make_task("Later", 2)};
  WindowExecution e = f.run(make_window(2, 1), tasks);

  // CANCEL_TASK: cancelled at 03:00, its task execution TIMED_OUT, its invocation CANCELLED.
  const auto* cancelled = f.runner.call("Long-Cancel");
  REQUIRE(cancelled);
  CHECK(cancelled->status == "Cancelled");
  CHECK(cancelled->end >= at("2026-01-03T03:00:00Z"));
  CHECK(cancelled->end < at("2026-01-03T03:30:00Z"));
  CHECK(f.recorder.task("Long-Cancel")->status == "TIMED_OUT");
  // CONTINUE_TASK goes on past the cutoff to its end.
  CHECK(f.runner.call("Long-Continue")->status == "Success");
  CHECK(f.recorder.task("Long-Continue")->status == "SUCCESS");
  // Priority 2 would start after 03:30, inside the last hour: it never starts.
  CHECK(f.runner.call("Later") == nullptr);
  CHECK(f.recorder.task("Later") == nullptr);
  CHECK(e.status == "TIMED_OUT");
  CHECK(e.status_details.find("1 task(s) were not started") != std::string::npos);
}

TEST_CASE("a task that ends before the cutoff is not cancelled and the next priority starts") {
  Fixture f;
  f.runner.behaviours["Short"] = {20, "Success"};
  WindowExecution e = f.run(make_window(2, 1), {make_task("Short", 1, "CANCEL_TASK"), make_task("Next", 2)});
  CHECK(f.recorder.task("Short")->status == "SUCCESS");
  CHECK(f.recorder.task("Next")->status == "SUCCESS");
  CHECK(e.status == "SUCCESS");
}

TEST_CASE("tasks run in priority order, lower first, and equal priorities together") {
  Fixture f;
  f.runner.behaviours["A"] = {120, "Success"};
  f.runner.behaviours["B"] = {60, "Success"};
  f.runner.behaviours["C"] = {10, "Success"};
  WindowExecution e = f.run(make_window(6, 1), {make_task("C", 5), make_task("A", 0), make_task("B", 0)});
  CHECK(e.status == "SUCCESS");
  const auto* a = f.runner.call("A");
  const auto* b = f.runner.call("B");
  const auto* c = f.runner.call("C");
  REQUIRE((a && b && c));
  CHECK(f.runner.max_in_flight == 2);   // A and B at once
  CHECK(a->start < b->end);
  CHECK(b->start < a->end);
  CHECK(c->start >= a->end);            // C after both
  CHECK(c->start >= b->end);
  CHECK(f.recorder.tasks.size() == 3);
}

TEST_CASE("a failed task fails the execution, and later priorities still run") {
  Fixture f;
  f.runner.behaviours["Bad"] = {5, "Failed"};
  WindowExecution e = f.run(make_window(4, 1), {make_task("Bad", 1), make_task("Good", 2)});
  CHECK(f.recorder.task("Bad")->status == "FAILED");
  CHECK(f.recorder.task("Good")->status == "SUCCESS");
  CHECK(e.status == "FAILED");
}

TEST_CASE("pseudo-parameters are replaced in task parameters; AWS-RunPatchBaseline gets the SnapshotId") {
  Fixture f;
  WindowTask t = make_task("AWS-RunShellScript", 1);
  t.run_command.parameters = {{"commands",
                               {"{{WINDOW_ID}} {{WINDOW_TASK_ID}} {{WINDOW_TARGET_ID}} {{WINDOW_EXECUTION_ID}}",
                                "{{TASK_EXECUTION_ID}} {{INVOCATION_ID}} {{TARGET_TYPE}} {{TARGET_ID}}"}}};
  WindowTask patch = make_task("AWS-RunPatchBaseline", 2);
  patch.run_command.parameters = {{"Operation", {"Install"}}};
  f.run(make_window(4, 1), {t, patch});

  REQUIRE(f.recorder.invocations.size() == 2);
  const auto* shell = f.runner.call("AWS-RunShellScript");
  REQUIRE(shell);
  const TaskExecution* te = f.recorder.task("AWS-RunShellScript");
  std::string invocation_id;
  for (const auto& [id, inv] : f.recorder.invocations)
    if (inv.task_execution_id == te->task_execution_id) invocation_id = id;
  const auto& cmds = shell->request.parameters["commands"];
  CHECK(cmds[0] == "mw-0123456789abcdef0 task-AWS-RunShellScript 11111111-2222-3333-4444-555555555555 exec-1");
  // {{TARGET_ID}} is not a Run Command pseudo-parameter: it stays as written.
  CHECK(cmds[1] == te->task_execution_id + " " + invocation_id + " INSTANCE {{TARGET_ID}}");
  CHECK(f.recorder.invocations[invocation_id].parameters["commands"][0] == cmds[0]);
  CHECK(f.recorder.invocations[invocation_id].execution_id == "cmd-AWS-RunShellScript");
  CHECK(f.recorder.invocations[invocation_id].owner_information == "web servers");
  CHECK(f.runner.call("AWS-RunPatchBaseline")->request.parameters["SnapshotId"][0] == "exec-1");
  CHECK(f.runner.call("AWS-RunShellScript")->request.targets[0].key == "tag:PatchGroup");
}

TEST_CASE("cancel-execution cancels running tasks and starts no more") {
  Fixture f;
  f.runner.behaviours["Long"] = {100, "Success"};
  f.recorder.cancel = false;
  std::thread canceller([&] {
    while (f.clock.now() < at("2026-01-03T02:30:00Z")) std::this_thread::sleep_for(100us);
    f.recorder.cancel = true;
  });
  WindowExecution e = f.run(make_window(6, 1), {make_task("Long", 1), make_task("Never", 2)});
  canceller.join();
  CHECK(e.status == "CANCELLED");
  CHECK(f.recorder.task("Long")->status == "CANCELLED");
  CHECK(f.runner.call("Never") == nullptr);
}

TEST_CASE("window checks use SSM's wording") {
  Window w = make_window(2, 2);
  CHECK_THROWS_WITH_AS(validate_window(w), "ValidationException: Cutoff was 2 but must be smaller than 2 (Duration)",
                       InputError);
  w = make_window(25, 1);
  CHECK_THROWS_WITH_AS(validate_window(w),
                       "ValidationException: 1 validation error detected: Value '25' at 'duration' failed to satisfy "
                       "constraint: Member must have value less than or equal to 24",
                       InputError);
  w = make_window(2, 1);
  w.schedule = "rate(1 hours)";
  CHECK_THROWS_AS(validate_window(w), InputError);
  w = make_window(2, 1);
  w.name = "x";
  CHECK_THROWS_AS(validate_window(w), InputError);
  CHECK_NOTHROW(validate_window(make_window(2, 1)));
  CHECK(new_window_id().size() == 20);

  Window strict = make_window(2, 1);
  WindowTask by_id = make_task("AWS-RunShellScript", 1);
  by_id.targets = {{"InstanceIds", {"web1"}}};
  CHECK_THROWS_AS(validate_window_task(by_id, strict, {make_target()}), InputError);
  strict.allow_unassociated_targets = true;
  CHECK_NOTHROW(validate_window_task(by_id, strict, {make_target()}));
  WindowTask unknown = make_task("AWS-RunShellScript", 1);
  unknown.targets = {{"WindowTargetIds", {"nope"}}};
  CHECK_THROWS_AS(validate_window_task(unknown, strict, {make_target()}), InputError);
}

TEST_CASE("a tick before the fire time plans nothing; at it, the execution runs") {
  Window w = make_window(3, 1);
  w.last_fire_time = "2025-12-27T02:00:00.000Z";  // last Saturday's, dealt with
  TickPlan before = plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-03T01:59:00Z")));
  CHECK_FALSE(before.run);
  CHECK_FALSE(before.last_fire);
  TickPlan now = plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-03T02:00:30Z")));
  REQUIRE(now.run);
  CHECK(iso8601_s(*now.run) == "2026-01-03T02:00:00Z");
  CHECK(now.missed.empty());
}

TEST_CASE("missed fire times: the latest runs once if it can still start a task; the others are recorded skipped") {
  Window w = make_window(3, 1);
  w.schedule = "cron(0 2 * * ? *)";
  w.last_fire_time = "2026-01-01T02:00:00.000Z";
  // Off since the 1st; back on the 5th at 03:30, before 02:00 + 3h - 1h.
  TickPlan p = plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-05T03:30:00Z")));
  REQUIRE(p.run);
  CHECK(iso8601_s(*p.run) == "2026-01-05T02:00:00Z");
  CHECK(p.missed.size() == 3);  // the 2nd, 3rd and 4th
  CHECK(p.missed_total == 3);
  std::vector<WindowExecution> skipped = skipped_executions(w, p, false);
  REQUIRE(skipped.size() == 3);
  CHECK(skipped[0].status == "TIMED_OUT");
  CHECK(skipped[0].start_time == "2026-01-02T02:00:00.000Z");
  CHECK(skipped[0].status_details.rfind("Skipped:", 0) == 0);

  // Back only at 04:30: too late for the 5th too.
  TickPlan late = plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-05T04:30:00Z")));
  CHECK_FALSE(late.run);
  CHECK(late.missed.size() == 4);
  CHECK(iso8601_s(*late.last_fire) == "2026-01-05T02:00:00Z");
}

TEST_CASE("a fire time while the previous execution still runs is SKIPPED_OVERLAPPING") {
  Window w = make_window(3, 1);
  w.schedule = "rate(1 hour)";
  w.last_fire_time = "2026-01-03T02:00:00.000Z";
  TickPlan p = plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-03T03:00:00Z")));
  REQUIRE(p.run);
  std::vector<WindowExecution> skipped = skipped_executions(w, p, true);
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].status == "SKIPPED_OVERLAPPING");
  CHECK(skipped[0].start_time == "2026-01-03T03:00:00.000Z");
  CHECK(skipped_executions(w, p, false).empty());
}

TEST_CASE("StartDate and EndDate bound the fire times") {
  Window w = make_window(3, 1);
  w.schedule = "cron(0 2 * * ? *)";
  w.start_date = "2026-01-10T00:00:00Z";
  w.end_date = "2026-01-12T00:00:00Z";
  WindowSchedule ws = window_schedule(w);
  auto first = next_fire_after(ws, std::chrono::floor<std::chrono::seconds>(at("2026-01-01T00:00:00Z")));
  REQUIRE(first);
  CHECK(iso8601_s(*first) == "2026-01-10T02:00:00Z");
  auto second = next_fire_after(ws, *first);
  REQUIRE(second);
  CHECK(iso8601_s(*second) == "2026-01-11T02:00:00Z");
  CHECK_FALSE(next_fire_after(ws, *second));  // the 12th at 02:00 is after EndDate

  Window r = w;
  r.schedule = "rate(12 hours)";
  WindowSchedule rs = window_schedule(r);
  auto rate_first = next_fire_after(rs, std::chrono::floor<std::chrono::seconds>(at("2026-01-01T00:00:00Z")));
  REQUIRE(rate_first);
  CHECK(iso8601_s(*rate_first) == "2026-01-10T00:00:00Z");  // a rate starts at StartDate
  CHECK(iso8601_s(*next_fire_after(rs, *rate_first)) == "2026-01-10T12:00:00Z");

  w.last_fire_time = "2026-01-11T02:00:00.000Z";
  CHECK_FALSE(plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-20T02:30:00Z"))).run);
  w.last_fire_time = "";
  CHECK_FALSE(plan_tick(w, std::chrono::floor<std::chrono::seconds>(at("2026-01-09T02:30:00Z"))).last_fire);
}
