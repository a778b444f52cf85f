// aws:downloadContent (fetched once per command on the controller, written on each host)
// and aws:runDocument (where its document comes from, its parameters, its depth limit).
#include "fake_transport.hpp"
#include "engine/builtin_plugins.hpp"
#include "engine/run.hpp"
#include "plugins/content.hpp"
#include "store/store.hpp"

#include <atomic>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace sshm;

namespace {

struct Scratch {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("sshm-unit-download-" + std::to_string(::getpid()) + "-" + std::to_string(next()++));
  Scratch() { std::filesystem::create_directories(path); }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  static int& next() {
    static int n = 0;
    return n;
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

documents::Step step(const std::string& name, const std::string& action, nlohmann::json inputs) {
  documents::Step s;
  s.name = name;
  s.action = action;
  s.inputs = std::move(inputs);
  return s;
}

// A run on `hosts` fake hosts whose every exec runs here under sh, with `fetch` as the source.
struct LocalFleet {
  Scratch state;
  test::FakeTransport transport;
  std::unique_ptr<store::Store> store = store::Store::open(state.path / "state");
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  engine::RunObserver observer;
  std::atomic<bool> cancel{false};
  std::atomic<int> fetches{0};
  plugins::ContentFetch fetch = [this](const std::string& type, const nlohmann::json& info) {
    ++fetches;
    plugins::Content c;
    if (type != "S3") {
      c.error = "no such source";
      return c;
    }
    c.file_name = "run.sh";
    c.bytes = std::string("#!/bin/sh\necho from ") + info.value("path", "?") + "\n" + std::string("\x01\xff\0z", 4);
    c.sha256 = "feed";
    c.source = "s3://b/run.sh";
    return c;
  };

  engine::RunResult run(int hosts, std::vector<documents::Step> steps) {
    engine::RunRequest req;
    req.command.command_id = "dddddddd-2222-3333-4444-555555555555";
    req.command.document_name = "test";
    req.command.max_concurrency = "10";
    req.command.max_errors = "10";
    for (int i = 0; i < hosts; ++i) {
      engine::Target t;
      t.name = "h" + std::to_string(i);
      t.endpoint.name = t.name;
      transport.hosts[t.name].on(test::any_request(), test::local_shell("sh"));
      req.targets.push_back(t);
    }
    req.documents["Linux"].steps = std::move(steps);
    req.fetch = fetch;
    return engine::run_command(std::move(req), transport, *store, sinks, observer, cancel);
  }
};

} // namespace

TEST_CASE("ContentCache fetches a source once, however many threads ask") {
  std::atomic<int> calls{0};
  plugins::ContentCache cache([&](const std::string&, const nlohmann::json&) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    plugins::Content c;
    c.bytes = "x";
    return c;
  });
  std::vector<std::thread> threads;
  std::atomic<int> seen{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { seen += cache.get("S3", {{"path", "a"}})->bytes == "x" ? 1 : 0; });
  for (auto& t : threads) t.join();
  CHECK(calls == 1);
  CHECK(seen == 8);
  cache.get("S3", {{"path", "b"}});
  CHECK(calls == 2);
}

TEST_CASE("file names from keys and URLs are plain names or nothing") {
  CHECK(plugins::safe_file_name("https://h/dir/run.sh") == "run.sh");
  CHECK(plugins::safe_file_name("scripts/a b.py") == "a b.py");
  CHECK(plugins::safe_file_name("dir/").empty());
  CHECK(plugins::safe_file_name("dir/..").empty());
  CHECK(plugins::safe_file_name("x/evil\x1b[2J").empty());
}

TEST_CASE("aws:downloadContent: fetched once per command, the bytes written whole on every host") {
  LocalFleet f;
  Scratch dest;
  auto r = f.run(3, {step("get", "aws:downloadContent",
                          {{"sourceType", "S3"},
                           {"sourceInfo", "{\"path\": \"https://s3.amazonaws.com/b/run.sh\"}"},
                           {"destinationPath", (dest.path / "sub").string() + "/"}})});
  CHECK(f.fetches == 1);
  REQUIRE(r.invocations.size() == 3);
  for (const auto& inv : r.invocations) {
    CHECK(inv.status == "Success");
    CHECK(inv.standard_output_content.find("Content downloaded to " + (dest.path / "sub").string() + "/run.sh") !=
          std::string::npos);
    CHECK(inv.standard_output_content.find("sha256 feed") != std::string::npos);
  }
  std::string written = slurp(dest.path / "sub" / "run.sh");
  CHECK(written == std::string("#!/bin/sh\necho from https://s3.amazonaws.com/b/run.sh\n") + std::string("\x01\xff\0z", 4));
  CHECK((std::filesystem::status(dest.path / "sub" / "run.sh").permissions() & std::filesystem::perms::owner_exec) !=
        std::filesystem::perms::none);
}

TEST_CASE("aws:downloadContent: a source that cannot be fetched fails the step; bad inputs fail as the agent's") {
  LocalFleet f;
  auto r = f.run(1, {step("get", "aws:downloadContent", {{"sourceType", "HTTP"}, {"sourceInfo", {{"url", "x"}}}}),
                     step("bad", "aws:downloadContent", {{"sourceType", "FTP"}, {"sourceInfo", "{}"}})});
  const auto& p = r.invocations[0].plugins;
  REQUIRE(p.size() == 2);
  CHECK(p[0].status == "Failed");
  CHECK(r.invocations[0].standard_error_content.find("no such source") != std::string::npos);
  CHECK(p[1].status == "Failed");
  CHECK(r.invocations[0].standard_error_content.find("invalid input: Unsupported location type") != std::string::npos);
}

TEST_CASE("aws:runDocument: documentParameters in YAML when they are not JSON, as the agent reads them") {
  LocalFleet f;
  auto r = f.run(1, {step("nested", "aws:runDocument",
                          {{"documentType", "SSMDocument"},
                           {"documentPath", "AWS-RunShellScript"},
                           {"documentParameters", "{commands: [echo yaml-said-hi], executionTimeout: 60}"}})});
  CHECK(r.invocations[0].status == "Success");
  CHECK(r.invocations[0].standard_output_content.find("yaml-said-hi") != std::string::npos);
}

TEST_CASE("aws:runDocument: LocalPath reads the document from the host; nesting stops at the agent's depth 3") {
  LocalFleet f;
  Scratch docs;
  std::ofstream(docs.path / "leaf.yaml") << "schemaVersion: '2.2'\nmainSteps:\n- action: aws:runShellScript\n"
                                            "  name: leaf\n  inputs: {runCommand: [echo leaf-ran]}\n";
  std::string self = (docs.path / "self.yaml").string();
  std::ofstream(self) << "schemaVersion: '2.2'\nmainSteps:\n- action: aws:runDocument\n  name: again\n"
                         "  inputs: {documentType: SSMDocument, documentPath: '" + self + "'}\n";
  auto r = f.run(1, {step("local", "aws:runDocument", {{"documentType", "LocalPath"}, {"documentPath", (docs.path / "leaf.yaml").string()}}),
                     step("deep", "aws:runDocument", {{"documentType", "SSMDocument"}, {"documentPath", self}})});
  const auto& p = r.invocations[0].plugins;
  REQUIRE(p.size() == 2);
  CHECK(p[0].status == "Success");
  CHECK(r.invocations[0].standard_output_content.find("leaf-ran") != std::string::npos);
  CHECK(p[1].status == "Failed");
  CHECK(r.invocations[0].standard_error_content.find(
            "Maximum depth for document execution exceeded. Maximum depth permitted - 3 and current depth - 4") !=
        std::string::npos);
}
