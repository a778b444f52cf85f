#include "fake_transport.hpp"
#include "engine/rate.hpp"
#include "engine/builtin_plugins.hpp"
#include "engine/run.hpp"
#include "engine/status.hpp"
#include "plugins/executor.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <map>

using namespace sshm;

namespace {

documents::Step shell_step(const std::string& name, std::string command = "true") {
  documents::Step s;
  s.name = name;
  s.action = "aws:runShellScript";
  s.inputs = {{"runCommand", nlohmann::json::array({command})}};
  return s;
}

struct Fleet {
  TempDir dir;
  test::FakeTransport transport;
  std::unique_ptr<store::Store> store = store::Store::open(dir.path);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  engine::RunObserver observer;
  engine::RunObserver* watcher = &observer;  // a test may watch with its own
  std::atomic<bool> cancel{false};
  bool resume = false;
  std::vector<store::InvocationRecord> recorded;  // for resume
  plugins::PluginTable plugins = engine::plugin_table();  // tests add their own plugins

  engine::RunResult run(int hosts, const std::string& concurrency, const std::string& errors,
                           std::vector<documents::Step> steps = {shell_step("0.aws:runShellScript")}) {
    engine::RunRequest req;
    req.command.command_id = "11111111-2222-3333-4444-555555555555";
    req.command.document_name = "AWS-RunShellScript";
    req.command.max_concurrency = concurrency;
    req.command.max_errors = errors;
    for (int i = 0; i < hosts; ++i) {
      engine::Target t;
      t.name = "h" + std::to_string(i);
      t.endpoint.name = t.name;
      req.targets.push_back(t);
    }
    req.documents["Linux"].steps = std::move(steps);
    req.resume = resume;
    req.recorded = recorded;
    req.plugins = &plugins;
    return engine::run_command(std::move(req), transport, *store, sinks, *watcher, cancel);
  }
};

std::map<std::string, int> statuses(const engine::RunResult& r) {
  std::map<std::string, int> m;
  for (const auto& inv : r.invocations) m[inv.status]++;
  return m;
}

} // namespace

TEST_CASE("percentages round down; concurrency is at least one") {
  CHECK(engine::concurrency_for("10%", 500) == 50);
  CHECK(engine::concurrency_for("10%", 5) == 1);
  CHECK(engine::concurrency_for("50", 10) == 10);
  CHECK(engine::error_threshold_for("10%", 50) == 5);
  CHECK(engine::error_threshold_for("10%", 9) == 0);
  CHECK(engine::error_threshold_for("3", 50) == 3);
  CHECK_THROWS(engine::validate_max_concurrency("0"));
  CHECK_THROWS(engine::validate_max_concurrency("101%"));
  CHECK_THROWS(engine::validate_max_errors("-1"));
  CHECK_NOTHROW(engine::validate_max_errors("0"));
  CHECK_NOTHROW(engine::validate_max_errors("0%"));
}

TEST_CASE("SSM's example: concurrency 1, max-errors 0, the 2nd host fails") {
  Fleet f;
  f.transport.hosts["h1"].exit_status = 1;
  auto r = f.run(10, "1", "0");
  CHECK(statuses(r) == std::map<std::string, int>{{"Success", 1}, {"Failed", 1}, {"Terminated", 8}});
  CHECK(r.command.status == "Failed");
  CHECK(r.dispatch.stopped_by_threshold);
  CHECK(r.command.error_count == 1);
  CHECK(r.command.completed_count == 10);
  CHECK(f.transport.peak_in_flight == 1);
  // Everything is in the store, terminated ones included.
  auto saved = f.store->get_invocations(r.command.command_id);
  REQUIRE(saved.size() == 10);
  CHECK(f.store->get_command(r.command.command_id)->status == "Failed");
}

TEST_CASE("max-errors 10% of 50 stops at the sixth error") {
  Fleet f;
  for (int i = 0; i < 50; ++i) f.transport.hosts["h" + std::to_string(i)].exit_status = 1;
  auto r = f.run(50, "1", "10%");
  CHECK(statuses(r)["Failed"] == 6);
  CHECK(statuses(r)["Terminated"] == 44);
}

TEST_CASE("errors below the threshold: the rest run and the command is Incomplete") {
  Fleet f;
  f.transport.hosts["h3"].exit_status = 2;
  auto r = f.run(10, "3", "1");
  CHECK(statuses(r) == std::map<std::string, int>{{"Success", 9}, {"Failed", 1}});
  CHECK(r.command.status == "Failed");
  CHECK(r.command.status_details == "Incomplete");
  CHECK_FALSE(r.dispatch.stopped_by_threshold);
}

TEST_CASE("delivery failures do not count as errors") {
  Fleet f;
  f.transport.hosts["h0"].connect_failure = ssh::FailureKind::connect_timeout;
  f.transport.hosts["h1"].connect_failure = ssh::FailureKind::resolve;
  f.transport.hosts["h2"].connect_failure = ssh::FailureKind::host_key_changed;
  auto r = f.run(5, "1", "0");
  CHECK(r.invocations[0].status == "DeliveryTimedOut");
  CHECK(r.invocations[1].status == "Undeliverable");
  CHECK(r.invocations[2].status == "Undeliverable");
  CHECK(r.invocations[2].failure_kind == "host_key_changed");
  CHECK(statuses(r)["Success"] == 2);
  CHECK(r.command.error_count == 0);
  CHECK(r.command.delivery_timed_out_count == 1);
  // One DeliveryTimedOut is more than max-errors 0: SSM calls the command TimedOut.
  CHECK(r.command.status == "TimedOut");
}

TEST_CASE("undeliverable hosts alone leave the command Success") {
  Fleet f;
  f.transport.hosts["h0"].connect_failure = ssh::FailureKind::connect_refused;
  auto r = f.run(3, "2", "0");
  CHECK(r.command.status == "Success");
}

TEST_CASE("concurrency is never exceeded over 10,000 hosts") {
  Fleet f;
  auto r = f.run(10000, "100", "0");
  CHECK(statuses(r)["Success"] == 10000);
  CHECK(f.transport.peak_in_flight <= 100);
  CHECK(r.dispatch.peak_in_flight <= 100);
  CHECK(f.store->get_invocations(r.command.command_id).size() == 10000);
}

TEST_CASE("an execution timeout kills the remote group and counts as an error") {
  Fleet f;
  f.transport.hosts["h0"].hang = true;
  auto step = shell_step("0.aws:runShellScript");
  step.timeout_seconds = 1;
  auto r = f.run(1, "1", "0", {step});
  CHECK(r.invocations[0].status == "TimedOut");
  CHECK(r.invocations[0].status_details == "ExecutionTimedOut");
  CHECK(f.transport.kills == 1);
  CHECK(r.command.error_count == 1);
}

TEST_CASE("cancel stops dispatch and cancels in-flight hosts") {
  Fleet f;
  for (int i = 0; i < 4; ++i) f.transport.hosts["h" + std::to_string(i)].hang = true;
  // Cancels once the four hanging runs have begun (not after a fixed time: a loaded machine
  // may not have started them yet), or after a minute so that a failure cannot hang the test.
  std::thread stopper([&] {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (f.transport.runs_started() < 4 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    f.cancel.store(true);
  });
  auto r = f.run(20, "4", "0");
  stopper.join();
  CHECK(statuses(r)["Cancelled"] == 20);
  CHECK(r.command.status == "Cancelled");
  CHECK(f.transport.kills == 4);
}

TEST_CASE("exit 168 ends the document as success; finallyStep still runs") {
  Fleet f;
  f.transport.hosts["h0"].step_exit = {{"first", 168}};
  auto last = shell_step("cleanup");
  last.finally_step = true;
  auto r = f.run(1, "1", "0", {shell_step("first"), shell_step("second"), last});
  const auto& p = r.invocations[0].plugins;
  REQUIRE(p.size() == 3);
  CHECK(p[0].status == "Success");
  CHECK(p[1].status == "Success");
  CHECK(p[1].status_details == "Skipped");
  CHECK(p[2].status == "Success");
  CHECK(r.invocations[0].status == "Success");
}

TEST_CASE("exit 169 ends the document as failure; onFailure exit stops; plain failures go on") {
  Fleet f;
  f.transport.hosts["h0"].step_exit = {{"a", 169}};
  f.transport.hosts["h1"].step_exit = {{"a", 3}};
  f.transport.hosts["h2"].step_exit = {{"a", 3}};
  auto r = f.run(1, "1", "5", {shell_step("a"), shell_step("b")});
  CHECK(r.invocations[0].status == "Failed");
  CHECK(r.invocations[0].plugins[1].status == "Success");
  CHECK(r.invocations[0].plugins[1].status_details == "Skipped");

  Fleet g;
  g.transport.hosts["h0"].step_exit = {{"a", 3}};
  auto r2 = g.run(1, "1", "5", {shell_step("a"), shell_step("b")});
  CHECK(r2.invocations[0].plugins[1].status == "Success");
  CHECK(r2.invocations[0].status == "Failed");

  Fleet h;
  h.transport.hosts["h0"].step_exit = {{"a", 3}};
  auto a = shell_step("a");
  a.on_failure = "exit";
  auto r3 = h.run(1, "1", "5", {a, shell_step("b")});
  CHECK(r3.invocations[0].plugins[1].status == "Success");
  CHECK(r3.invocations[0].plugins[1].status_details == "Skipped");
}

TEST_CASE("exit 194 is reported as a reboot request, never as plain success") {
  Fleet f;
  f.transport.hosts["h0"].exit_status = 194;
  auto r = f.run(1, "1", "0");
  CHECK(r.invocations[0].status != "Success");
  CHECK(r.invocations[0].status_details == "RebootRequested");
  CHECK(r.invocations[0].plugins[0].status == "SuccessAndReboot");
}

TEST_CASE("a skipped precondition and an unsupported plugin") {
  Fleet f;
  auto skipped = shell_step("win");
  skipped.skip_reason = "platformType Windows";
  documents::Step odd;
  odd.name = "odd";
  odd.action = "aws:domainJoin";
  auto r = f.run(1, "1", "0", {skipped, odd});
  const auto& p = r.invocations[0].plugins;
  CHECK(p[0].status == "Success");
  CHECK(p[0].status_details == "Skipped");
  CHECK(p[1].status == "Failed");
  CHECK(r.invocations[0].standard_error_content.find("Plugin aws:domainJoin is not run by sshm") != std::string::npos);
}

TEST_CASE("stdout is captured whole in files and inline") {
  Fleet f;
  f.transport.hosts["h0"].stdout_text = "hello\n";
  f.transport.hosts["h0"].stderr_text = "warn\n";
  auto r = f.run(1, "1", "0");
  const auto& inv = r.invocations[0];
  CHECK(inv.standard_output_content == "hello\n");
  CHECK(inv.standard_error_content == "warn\n");
  REQUIRE_FALSE(inv.plugins[0].stdout_path.empty());
  CHECK(std::filesystem::path(inv.plugins[0].stdout_path) ==
        f.store->outputs_dir() / r.command.command_id / "h0" / "awsrunShellScript" / "0.awsrunShellScript" / "stdout");
}

// An observer that fails (throws) when one host starts, as a broken plugin or sink might.
struct ThrowingObserver : engine::RunObserver {
  std::string host;
  void on_invocation_start(const std::string& h) override {
    if (h == host) throw std::runtime_error("boom on " + h);
  }
};

TEST_CASE("an exception on one host fails that invocation, never the run") {
  Fleet f;
  ThrowingObserver watcher;
  watcher.host = "h1";
  f.watcher = &watcher;
  auto r = f.run(3, "3", "5");
  REQUIRE(r.invocations.size() == 3);
  CHECK(r.invocations[0].status == "Success");
  CHECK(r.invocations[1].status == "Failed");
  CHECK(r.invocations[1].status_details == engine::k_internal_error);
  CHECK(r.invocations[1].failure_message.find("boom on h1") != std::string::npos);
  CHECK(r.invocations[2].status == "Success");
  // The history says the same: nothing is left Pending or InProgress.
  auto saved = f.store->get_invocations(r.command.command_id);
  REQUIRE(saved.size() == 3);
  CHECK(saved[1].status == "Failed");
  CHECK(saved[1].status_details == engine::k_internal_error);
  CHECK(r.command.status == "Failed");
}

TEST_CASE("a plugin that throws fails its step, and onFailure applies") {
  Fleet f;
  f.plugins["test:throws"] = [](plugins::HostContext&, const documents::Step&, plugins::OutputCapture&)
      -> plugins::StepResult { throw std::runtime_error("plugin broke"); };
  documents::Step bad;
  bad.name = "bad";
  bad.action = "test:throws";
  bad.on_failure = "exit";
  auto r = f.run(1, "1", "0", {bad, shell_step("after")});
  const auto& p = r.invocations[0].plugins;
  REQUIRE(p.size() == 2);
  CHECK(p[0].status == "Failed");
  CHECK(p[1].status == "Success");
  CHECK(p[1].status_details == "Skipped");
  CHECK(r.invocations[0].standard_error_content.find("plugin broke") != std::string::npos);
}

TEST_CASE("an unsupported plugin honours onFailure exit; finallyStep still runs") {
  Fleet f;
  documents::Step download;
  download.name = "download";
  download.action = "aws:downloadContent";
  download.on_failure = "exit";
  auto last = shell_step("cleanup");
  last.finally_step = true;
  auto r = f.run(1, "1", "0", {download, shell_step("install"), last});
  const auto& p = r.invocations[0].plugins;
  REQUIRE(p.size() == 3);
  CHECK(p[0].status == "Failed");
  CHECK(p[1].status == "Success");
  CHECK(p[1].status_details == "Skipped");
  CHECK(p[2].status == "Success");
  CHECK(r.invocations[0].status == "Failed");
}

TEST_CASE("a host's start is in the store before its command is sent") {
  // The plugin looks at the history as the host runs: resume must see that it started.
  static store::Store* seen_store = nullptr;
  static std::string seen;
  Fleet f;
  f.plugins["test:peek"] = [](plugins::HostContext& ctx, const documents::Step&, plugins::OutputCapture&) {
    for (const auto& inv : seen_store->get_invocations(ctx.command_id))
      if (inv.instance_id == ctx.host)
        seen = inv.status + (inv.execution_start_date_time.empty() ? " without start" : " with start");
    return plugins::StepResult{};
  };
  seen_store = f.store.get();
  documents::Step peek;
  peek.name = "peek";
  peek.action = "test:peek";
  f.run(1, "1", "0", {peek});
  CHECK(seen == "InProgress with start");
}

TEST_CASE("resume runs every host that never started, once; in-flight ones are reported") {
  Fleet f;
  auto row = [](const std::string& host, const std::string& status, bool started) {
    store::InvocationRecord inv;
    inv.command_id = "11111111-2222-3333-4444-555555555555";
    inv.instance_id = host;
    inv.status = status;
    inv.status_details = status;
    if (started) inv.execution_start_date_time = "2026-01-01T00:00:00.000Z";
    return inv;
  };
  f.recorded = {row("h0", "Success", true), row("h1", "InProgress", true), row("h2", "InProgress", false),
                row("h3", "Pending", false)};
  CHECK_FALSE(engine::never_started(f.recorded[1]));
  CHECK(engine::never_started(f.recorded[2]));
  f.resume = true;
  auto r = f.run(4, "1", "5");
  CHECK(f.transport.order == std::vector<std::string>{"h2", "h3"});
  CHECK(r.invocations[0].status == "Success");
  CHECK(r.invocations[1].status_details == engine::k_in_flight_at_interruption);
  CHECK(r.invocations[2].status == "Success");
  CHECK(r.invocations[3].status == "Success");
}
