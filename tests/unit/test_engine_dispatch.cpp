#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "engine/dispatch.hpp"
#include "engine/rate.hpp"
#include "engine/run.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

#include <condition_variable>
#include <doctest/doctest.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

using namespace sshm;
using namespace std::chrono_literals;

namespace {

documents::Step shell_step() {
  documents::Step s;
  s.name = "0.aws:runShellScript";
  s.action = "aws:runShellScript";
  s.inputs = {{"runCommand", nlohmann::json::array({"true"})}};
  return s;
}

engine::RunRequest request(int hosts, const std::string& concurrency, const std::string& errors) {
  engine::RunRequest req;
  req.command.command_id = "99999999-2222-3333-4444-555555555555";
  req.command.document_name = "AWS-RunShellScript";
  req.command.max_concurrency = concurrency;
  req.command.max_errors = errors;
  for (int i = 0; i < hosts; ++i) {
    engine::Target t;
    t.name = "h" + std::to_string(i);
    t.endpoint.name = t.name;
    req.targets.push_back(t);
  }
  req.documents["Linux"].steps = {shell_step()};
  return req;
}

} // namespace

TEST_CASE("ramp waves: 1, 2, 4, ... below the window, then the window") {
  CHECK(engine::ramp_waves(5, 50, true) == std::vector<size_t>{1, 2, 4, 5});
  CHECK(engine::ramp_waves(8, 50, true) == std::vector<size_t>{1, 2, 4, 8});
  CHECK(engine::ramp_waves(50, 50, true) == std::vector<size_t>{1, 2, 4, 8, 16, 32});  // 63 >= 50 targets
  CHECK(engine::ramp_waves(50, 100, true) == std::vector<size_t>{1, 2, 4, 8, 16, 32, 50});
  CHECK(engine::ramp_waves(50, 5, true) == std::vector<size_t>{1, 2, 4});  // the targets run out first
  CHECK(engine::ramp_waves(1, 50, true) == std::vector<size_t>{1});
  CHECK(engine::ramp_waves(5, 50, false) == std::vector<size_t>{5});
}

TEST_CASE("dry-run arithmetic in host counts") {
  auto req = request(50, "10%", "10%");
  auto planned = engine::plan_run(req, {});
  auto lines = engine::describe_plan(req.command, 50, planned.plan);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "max-concurrency 10% of 50 → 5 at once; ramp 1, 2, 4, 5");
  CHECK(lines[1] == "max-errors 10% of 50 → dispatch stops at the 6th error");

  req = request(10, "50", "0");
  req.ramp = false;
  planned = engine::plan_run(req, {});
  lines = engine::describe_plan(req.command, 10, planned.plan);
  CHECK(lines[0] == "max-concurrency 50 → 10 at once; no ramp (--no-ramp): all at once");
  CHECK(lines[1] == "max-errors 0 → dispatch stops at the 1st error");

  req = request(3, "1", "100%");
  req.caps = {{"Rack", 2}};
  req.targets[0].tags = {{"Rack", "a"}};
  req.targets[1].tags = {{"Rack", "a"}};
  planned = engine::plan_run(req, {});
  lines = engine::describe_plan(req.command, 3, planned.plan);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "max-concurrency 1 → 1 at once; one at a time");
  CHECK(lines[1] == "max-errors 100% of 3 → dispatch stops at the 4th error (with 3 targets it never stops early)");
  CHECK(lines[2] == "max-concurrency-per Rack=2 → at most 2 at once per Rack value: a (2 hosts); "
                    "1 hosts without Rack are not capped by it");
}

TEST_CASE("ramp-up: a wave starts only when every earlier host is acknowledged") {
  engine::DispatchPlan plan;
  plan.targets = 40;
  plan.concurrency = 8;
  plan.error_threshold = 100;
  std::mutex m;
  size_t acked = 0;
  std::vector<size_t> acked_at_start;  // in dispatch order
  std::atomic<bool> cancel{false};
  auto work = [&](size_t, engine::Acknowledge& ack) {
    {
      std::lock_guard<std::mutex> lock(m);
      acked_at_start.push_back(acked);
    }
    std::this_thread::sleep_for(2ms);  // "connecting"
    {
      std::lock_guard<std::mutex> lock(m);
      ++acked;
    }
    ack();
    std::this_thread::sleep_for(10ms);  // "running"
    return false;
  };
  auto report = engine::dispatch(plan, work, [](size_t) {}, cancel);
  CHECK(report.dispatched == 40);
  CHECK(report.peak_in_flight <= 8);
  REQUIRE(acked_at_start.size() == 40);
  // Waves 1, 2, 4: the 2nd and 3rd host wait for the 1st; the 4th..7th for the first 3;
  // the 8th for the first 7. Then the window of 8 is the only limit.
  CHECK(acked_at_start[0] == 0);
  for (size_t p = 1; p < 3; ++p) CHECK(acked_at_start[p] >= 1);
  for (size_t p = 3; p < 7; ++p) CHECK(acked_at_start[p] >= 3);
  CHECK(acked_at_start[7] >= 7);
}

TEST_CASE("without ramp the whole window starts at once") {
  engine::DispatchPlan plan;
  plan.targets = 8;
  plan.concurrency = 8;
  plan.ramp = false;
  std::atomic<int> started{0};
  std::atomic<bool> cancel{false};
  std::atomic<int> seen_all{0};
  auto work = [&](size_t, engine::Acknowledge&) {
    ++started;
    // Never acknowledged until all 8 started: only possible without the ramp.
    for (int i = 0; i < 2000 && started.load() < 8; ++i) std::this_thread::sleep_for(1ms);
    if (started.load() == 8) ++seen_all;
    return false;
  };
  engine::dispatch(plan, work, [](size_t) {}, cancel);
  CHECK(seen_all.load() == 8);
}

TEST_CASE("a delivery failure during the ramp still moves it on; failures count against max-errors") {
  TempDir dir;
  test::FakeTransport transport;
  auto store = store::Store::open(dir.path);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};
  transport.hosts["h0"].connect_failure = ssh::FailureKind::connect_refused;
  // The others run long, so h1's quick failure is counted while they still hold the window.
  for (int i = 2; i < 20; ++i) transport.hosts["h" + std::to_string(i)].delay = 1000ms;
  transport.hosts["h1"].exit_status = 1;
  auto r = engine::run_command(request(20, "8", "0"), transport, *store, sinks, observer, cancel);
  std::map<std::string, int> st;
  for (const auto& inv : r.invocations) st[inv.status]++;
  REQUIRE(!transport.order.empty());
  CHECK(transport.order[0] == "h0");  // the first wave, alone
  CHECK(st["Undeliverable"] == 1);
  CHECK(st["Failed"] == 1);
  CHECK(r.dispatch.stopped_by_threshold);
  // The ramp went on after h0's failed delivery; h1's failure stopped dispatch while the
  // window (at most 8, reached by waves of 1, 2, 4) was still busy.
  CHECK(st["Terminated"] >= 5);
}

TEST_CASE("per-tag caps: never more than N per tag value, measured; untagged hosts uncapped") {
  engine::DispatchPlan plan;
  plan.targets = 60;
  plan.concurrency = 20;
  plan.ramp = false;
  engine::ConcurrencyCap cap;
  cap.tag = "Rack";
  cap.limit = 2;
  cap.group_names = {"a", "b", "c"};
  // Hosts 0..29 in rack a (so the front of the list is all one rack), 30..44 in b and c
  // alternately, 45..59 untagged.
  for (size_t i = 0; i < 60; ++i) cap.group_of.push_back(i < 30 ? 0 : i < 45 ? static_cast<int>(1 + i % 2) : -1);
  plan.caps.push_back(cap);
  std::mutex m;
  std::map<int, int> now, peak;
  int untagged_peak = 0;
  std::atomic<bool> cancel{false};
  auto work = [&](size_t i, engine::Acknowledge&) {
    int g = plan.caps[0].group_of[i];
    {
      std::lock_guard<std::mutex> lock(m);
      peak[g] = std::max(peak[g], ++now[g]);
      if (g < 0) untagged_peak = std::max(untagged_peak, now[g]);
    }
    std::this_thread::sleep_for(20ms);
    std::lock_guard<std::mutex> lock(m);
    --now[g];
    return false;
  };
  auto report = engine::dispatch(plan, work, [](size_t) { FAIL("every host runs"); }, cancel);
  CHECK(report.dispatched == 60);
  CHECK(peak[0] <= 2);
  CHECK(peak[1] <= 2);
  CHECK(peak[2] <= 2);
  CHECK(report.peak_per_cap[0] <= 2);
  // The dispatcher skipped the full rack for later hosts: others ran alongside.
  CHECK(untagged_peak > 2);
}

TEST_CASE("caps through run_command with the fake transport") {
  TempDir dir;
  test::FakeTransport transport;
  auto store = store::Store::open(dir.path);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};
  auto req = request(30, "10", "0");
  for (int i = 0; i < 30; ++i) {
    req.targets[static_cast<size_t>(i)].tags["hypervisor"] = "hv" + std::to_string(i % 3);
    transport.hosts["h" + std::to_string(i)].delay = 3ms;
  }
  req.caps = {{"hypervisor", 2}};
  auto r = engine::run_command(std::move(req), transport, *store, sinks, observer, cancel);
  CHECK(r.command.status == "Success");
  REQUIRE(r.dispatch.peak_per_cap.size() == 1);
  CHECK(r.dispatch.peak_per_cap[0] <= 2);
  CHECK(transport.peak_in_flight <= 6);
}

TEST_CASE("hosts are reserved in the store before they run") {
  engine::DispatchPlan plan;
  plan.targets = 50;
  plan.concurrency = 4;
  plan.reserve_batch = 8;
  size_t reserved = 0;
  int writes = 0;
  bool ok = true;
  std::mutex m;
  std::atomic<bool> cancel{false};
  auto reserve = [&](size_t first, size_t last) {
    std::lock_guard<std::mutex> lock(m);
    if (first != reserved) ok = false;
    reserved = last;
    ++writes;
  };
  auto work = [&](size_t i, engine::Acknowledge&) {
    std::lock_guard<std::mutex> lock(m);
    if (i >= reserved) ok = false;
    return false;
  };
  engine::dispatch(plan, work, [](size_t) {}, cancel, reserve);
  CHECK(ok);
  CHECK(reserved == 50);
  CHECK(writes == 7);  // batches, not one write per host
}

TEST_CASE("resume: pending hosts run, in-flight ones are reported and never re-run, one record") {
  TempDir dir;
  test::FakeTransport transport;
  auto store = store::Store::open(dir.path);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};
  // A first run, as a controller killed mid-way leaves it: h0 done, h1 h2 in flight, rest pending.
  auto req = request(6, "2", "0");
  std::vector<store::InvocationRecord> invs(6);
  for (size_t i = 0; i < 6; ++i) {
    invs[i].command_id = req.command.command_id;
    invs[i].instance_id = "h" + std::to_string(i);
    invs[i].document_name = req.command.document_name;
  }
  store->begin_command(req.command, invs);
  invs[0].status = invs[0].status_details = "Success";
  invs[1].status = invs[1].status_details = "InProgress";
  invs[2].status = invs[2].status_details = "InProgress";
  // A host counts as in flight once its start is recorded (before the command is sent).
  invs[1].execution_start_date_time = invs[2].execution_start_date_time = "2026-01-01T00:00:00.000Z";
  store->save_invocations(invs);

  req.resume = true;
  req.recorded = store->get_invocations(req.command.command_id);
  auto r = engine::run_command(std::move(req), transport, *store, sinks, observer, cancel);
  std::sort(transport.order.begin(), transport.order.end());
  CHECK(transport.order == std::vector<std::string>{"h3", "h4", "h5"});
  auto saved = store->get_invocations(r.command.command_id);
  REQUIRE(saved.size() == 6);
  CHECK(saved[1].status == "InProgress");
  CHECK(saved[1].status_details == engine::k_in_flight_at_interruption);
  CHECK(saved[3].status == "Success");
  CHECK(saved[5].status == "Success");
  auto cmd = store->get_command(r.command.command_id);
  CHECK(cmd->status == "Failed");
  CHECK(cmd->status_details == "Incomplete");
  CHECK(cmd->completed_count == 6);
  CHECK(store->list_commands({}).size() == 1);
}

TEST_CASE("resume counts recorded errors against max-errors") {
  TempDir dir;
  test::FakeTransport transport;
  auto store = store::Store::open(dir.path);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};
  auto req = request(4, "1", "0");
  std::vector<store::InvocationRecord> invs(4);
  for (size_t i = 0; i < 4; ++i) {
    invs[i].command_id = req.command.command_id;
    invs[i].instance_id = "h" + std::to_string(i);
  }
  invs[0].status = invs[0].status_details = "Failed";
  store->begin_command(req.command, invs);
  req.resume = true;
  req.recorded = store->get_invocations(req.command.command_id);
  auto r = engine::run_command(std::move(req), transport, *store, sinks, observer, cancel);
  CHECK(transport.order.empty());
  CHECK(r.dispatch.stopped_by_threshold);
  CHECK(store->invocation_status_counts(r.command.command_id)["Terminated"] == 3);
}

TEST_CASE("deadline: once the clock passes it nothing new starts; the rest are not dispatched, in order") {
  test::FakeClock clock;
  engine::DispatchPlan plan;
  plan.targets = 10;
  plan.concurrency = 1;
  plan.ramp = false;
  plan.error_threshold = 100;
  plan.clock = &clock;
  plan.deadline = clock.now() + std::chrono::minutes(30);
  std::vector<size_t> ran, left;
  std::atomic<bool> cancel{false};
  auto work = [&](size_t i, engine::Acknowledge&) {
    ran.push_back(i);
    if (i == 2) clock.advance(std::chrono::minutes(31));  // host 2 runs past the window's end
    return false;
  };
  auto report = engine::dispatch(plan, work, [&](size_t i) { left.push_back(i); }, cancel);
  CHECK(ran == std::vector<size_t>{0, 1, 2});
  CHECK(left == std::vector<size_t>{3, 4, 5, 6, 7, 8, 9});
  CHECK(report.dispatched == 3);
  CHECK(report.stopped_by_deadline);
  CHECK_FALSE(report.cancelled);
  CHECK_FALSE(report.stopped_by_threshold);
}

TEST_CASE("deadline: work in flight when it passes finishes") {
  test::FakeClock clock;
  engine::DispatchPlan plan;
  plan.targets = 8;
  plan.concurrency = 4;
  plan.ramp = false;
  plan.error_threshold = 100;
  plan.clock = &clock;
  const SystemTime deadline = clock.now() + std::chrono::seconds(10);
  plan.deadline = deadline;
  std::mutex m;
  std::condition_variable all_started;
  size_t started = 0;
  std::atomic<size_t> finished{0};
  std::vector<size_t> left;
  std::atomic<bool> cancel{false};
  auto work = [&](size_t i, engine::Acknowledge&) {
    std::unique_lock<std::mutex> lock(m);
    ++started;
    all_started.notify_all();
    if (i == 0) {
      // The window closes while all four are running.
      all_started.wait(lock, [&] { return started == 4; });
      clock.advance(std::chrono::seconds(11));
    }
    lock.unlock();
    while (clock.now() < deadline) std::this_thread::sleep_for(1ms);
    ++finished;
    return false;
  };
  auto report = engine::dispatch(plan, work, [&](size_t i) { left.push_back(i); }, cancel);
  CHECK(report.dispatched == 4);
  CHECK(finished.load() == 4);
  CHECK(left == std::vector<size_t>{4, 5, 6, 7});
  CHECK(report.stopped_by_deadline);
}

TEST_CASE("deadline: already past at the start dispatches nothing; no deadline runs everything") {
  test::FakeClock clock;
  engine::DispatchPlan plan;
  plan.targets = 5;
  plan.concurrency = 2;
  plan.error_threshold = 100;
  plan.clock = &clock;
  plan.deadline = clock.now();
  std::atomic<bool> cancel{false};
  size_t left = 0;
  std::atomic<size_t> started{0};
  auto report = engine::dispatch(
      plan, [&](size_t, engine::Acknowledge&) { ++started; return false; }, [&](size_t) { ++left; }, cancel);
  CHECK(started.load() == 0);
  CHECK(report.dispatched == 0);
  CHECK(left == 5);
  CHECK(report.stopped_by_deadline);

  plan.deadline.reset();
  std::atomic<size_t> ran{0};
  report = engine::dispatch(
      plan, [&](size_t, engine::Acknowledge&) { ++ran; clock.advance(std::chrono::hours(1)); return false; },
      [](size_t) { FAIL("every host runs"); }, cancel);
  CHECK(ran.load() == 5);
  CHECK_FALSE(report.stopped_by_deadline);
}

TEST_CASE("fake clock: a sleep moves time to its end at once") {
  test::FakeClock clock;
  const SystemTime start = clock.now();
  clock.sleep_for(std::chrono::minutes(5));
  CHECK(clock.now() - start == std::chrono::minutes(5));
  clock.sleep_until(start);  // already past: time never goes back
  CHECK(clock.now() - start == std::chrono::minutes(5));
}

TEST_CASE("stop_check (--global-errors) stops dispatching between hosts, as the threshold does") {
  engine::DispatchPlan plan;
  plan.targets = 10;
  plan.concurrency = 1;
  plan.error_threshold = 100;
  std::atomic<bool> cancel{false};
  std::atomic<int> done{0};
  std::vector<int> seen;
  // The fleet's sum passes the threshold with this shard's third error: the fourth host is
  // never started (a slot frees only together with its error being counted).
  plan.stop_check = [&](int errors) {
    seen.push_back(errors);
    return errors >= 3;
  };
  std::vector<size_t> left;
  auto work = [&](size_t, engine::Acknowledge&) {
    ++done;
    return true;
  };
  engine::DispatchReport r = engine::dispatch(plan, work, [&](size_t i) { left.push_back(i); }, cancel);
  CHECK(done.load() == 3);
  CHECK(r.stopped_by_threshold);
  CHECK(left.size() == 7);
  CHECK(r.errors == 3);
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.back() == 3);
}
