#pragma once
// A Sink for unit tests: records what the engine gives it, in order, and can be told to fail.
#include "sinks/sink.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace sshm::test {

class FakeSink : public sinks::Sink {
public:
  std::mutex mutex;
  std::string streamed;                     // every chunk's bytes, in arrival order
  std::vector<std::string> steps;           // "host/step" per on_step_done
  std::vector<std::string> invocations;     // "host Status" per on_invocation
  std::vector<std::string> commands;        // "Status" per on_command
  bool fail = false;                        // finish() reports a failure

  std::string name() const override { return "fake"; }
  void on_output(const sinks::OutputChunk& chunk) override {
    std::lock_guard<std::mutex> lock(mutex);
    streamed.append(chunk.data);
  }
  void on_step_done(const sinks::StepOutput& output, store::PluginRecord&) override {
    std::lock_guard<std::mutex> lock(mutex);
    steps.push_back(output.host + "/" + output.step);
  }
  void on_invocation(const store::InvocationRecord& invocation) override {
    std::lock_guard<std::mutex> lock(mutex);
    invocations.push_back(invocation.instance_id + " " + invocation.status);
  }
  void on_command(const store::CommandRecord& command) override {
    std::lock_guard<std::mutex> lock(mutex);
    commands.push_back(command.status);
  }
  sinks::SinkReport finish() override {
    sinks::SinkReport report;
    report.sink = name();
    report.failed = fail;
    if (fail) report.message = "scripted failure";
    return report;
  }
};

} // namespace sshm::test
