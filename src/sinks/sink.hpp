#pragma once
// Where results go besides the state store: a local --output-dir, S3, CloudWatch Logs,
// notifications. Sinks are chosen from a table by scheme; a sink that fails is marked
// failed once for the run and skipped afterwards.
#include "store/records.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace sshm::sinks {

// One step's complete output on one host; the files hold the full streams.
struct StepOutput {
  std::string command_id;
  std::string document_name;
  std::string host;
  std::string plugin;  // "aws:runShellScript"
  std::string step;    // step name or 1.2 property id
  std::filesystem::path stdout_file;  // may not exist when empty
  std::filesystem::path stderr_file;
};

// A piece of output as it arrives (for streaming sinks such as CloudWatch Logs).
struct OutputChunk {
  std::string command_id;
  std::string document_name;
  std::string host;
  std::string step;
  bool is_stderr = false;
  std::string_view data;
};

struct SinkReport {
  std::string sink;
  bool failed = false;
  std::string message;  // why it failed, once, never with a secret
  int spooled = 0;      // items kept for `sshm outputs flush`
};

class Sink {
public:
  virtual ~Sink() = default;
  virtual std::string name() const = 0;
  // Called from worker threads; implementations are thread-safe and must not block long.
  virtual void on_output(const OutputChunk&) {}
  // Called once per step when it ends. May fill the record's output URLs.
  virtual void on_step_done(const StepOutput& output, store::PluginRecord& record) = 0;
  virtual void on_invocation(const store::InvocationRecord&) {}
  virtual void on_command(const store::CommandRecord&) {}
  // End of run: finish uploads, report.
  virtual SinkReport finish() = 0;
};

} // namespace sshm::sinks
