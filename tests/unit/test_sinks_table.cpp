// The engine feeds every sink the same way: each finished step, each invocation, the command
// once; a sink that reports a failure is in the run's sink reports. Driven with the fake
// transport and the fake sink.
#include "fake_sink.hpp"
#include "fake_transport.hpp"
#include "engine/run.hpp"
#include "sinks/sinks.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <algorithm>
#include <filesystem>

using namespace sshm;

namespace {

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("sshm-unit-sinks-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

engine::RunRequest two_step_request(int hosts) {
  engine::RunRequest req;
  req.command.command_id = "aaaaaaaa-2222-3333-4444-555555555555";
  req.command.document_name = "AWS-RunShellScript";
  req.command.max_concurrency = "4";
  req.command.max_errors = "0";
  for (int i = 0; i < hosts; ++i) {
    engine::Target t;
    t.name = "h" + std::to_string(i);
    t.endpoint.name = t.name;
    req.targets.push_back(t);
  }
  for (const char* name : {"first", "second"}) {
    documents::Step s;
    s.name = name;
    s.action = "aws:runShellScript";
    s.inputs = {{"runCommand", nlohmann::json::array({"true"})}};
    req.documents["Linux"].steps.push_back(s);
  }
  return req;
}

} // namespace

TEST_CASE("every sink sees each step, each invocation and the command once") {
  auto dir = scratch_dir("feed");
  test::FakeTransport transport;
  transport.hosts["h1"].stdout_text = "hello from h1\n";
  auto store = store::Store::open(dir);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  sinks.push_back(std::make_unique<test::FakeSink>());
  auto* fake = static_cast<test::FakeSink*>(sinks.back().get());
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};

  auto result = engine::run_command(two_step_request(3), transport, *store, sinks, observer, cancel);

  std::sort(fake->steps.begin(), fake->steps.end());
  CHECK(fake->steps == std::vector<std::string>{"h0/first", "h0/second", "h1/first", "h1/second", "h2/first",
                                                "h2/second"});
  std::sort(fake->invocations.begin(), fake->invocations.end());
  CHECK(fake->invocations == std::vector<std::string>{"h0 Success", "h1 Success", "h2 Success"});
  REQUIRE_FALSE(fake->commands.empty());
  CHECK(fake->commands.back() == "Success");
  CHECK(fake->streamed.find("hello from h1") != std::string::npos);
  REQUIRE(result.sink_reports.size() == 1);
  CHECK_FALSE(result.sink_reports[0].failed);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a sink's failure reaches the run's sink reports with its message") {
  auto dir = scratch_dir("fail");
  test::FakeTransport transport;
  auto store = store::Store::open(dir);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  sinks.push_back(std::make_unique<test::FakeSink>());
  static_cast<test::FakeSink*>(sinks.back().get())->fail = true;
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};

  auto result = engine::run_command(two_step_request(1), transport, *store, sinks, observer, cancel);

  REQUIRE(result.sink_reports.size() == 1);
  CHECK(result.sink_reports[0].failed);
  CHECK(result.sink_reports[0].message == "scripted failure");
  std::filesystem::remove_all(dir);
}

TEST_CASE("the table of backends builds only the sinks the options ask for") {
  sinks::SinkOptions options;
  options.state_dir = scratch_dir("table");
  CHECK(sinks::make_sinks(options).empty());
  options.notify = {"exec:true"};
  auto made = sinks::make_sinks(options);
  REQUIRE(made.size() == 1);
  CHECK(made[0]->name().find("notif") != std::string::npos);
  for (auto& sink : made) sink->finish();
  options.state_dir.clear();
  CHECK_THROWS_AS(sinks::make_sinks(options), InputError);
  std::filesystem::remove_all(scratch_dir("table"));
}
