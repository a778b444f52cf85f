#pragma once
// What other command groups use of `run`: continuing an interrupted command, and running a
// built-in document for a front-end.
#include "cli/app.hpp"
#include "cli/run_output.hpp"
#include "cli/select.hpp"
#include "documents/document.hpp"
#include "sinks/sinks.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace sshm::cli {

// `sshm commands resume ID`: runs the hosts of an interrupted command that never started,
// reports those that were in flight (never re-run), and updates the same record.
struct ResumeDisplay {
  bool gather = false;
  bool raw = false;              // --raw: the hosts' bytes as they came
  std::string output_dir;
  std::string parameters_file;   // values of secret parameters, which are never recorded
};
int resume_command(const GlobalOptions& global, const std::string& id_or_prefix, const ResumeDisplay& display);

// A front-end over the run engine (`sshm patch scan|install`, `sshm inventory collect`): a
// built-in document run through the same path as `sshm run`, so rate control, Ctrl-C,
// history, sinks, `-t @failed:ID` and `commands resume` are the same, shown by the
// front-end's own observer, which also chooses the exit status.
struct FrontEndRun {
  std::string document;               // a built-in document name
  // A document already loaded (a State Manager association's, any file or built-in); used
  // instead of `document` when set.
  std::optional<documents::Document> loaded;
  documents::ParameterValues values;  // its parameters (SSM's)
  TargetOptions targets;
  std::string max_concurrency = "50";
  std::string max_errors = "100%";    // every host runs and is reported, as the front-ends always did
  bool ramp = false;                  // the front-ends start at full concurrency
  // What the plugins take beyond SSM's parameters, by action (plugins::HostContext::run_settings).
  nlohmann::json plugin_settings = nlohmann::json::object();
  ObserverFactory make_observer;
  sinks::SinkOptions sinks;           // OutputS3BucketName / OutputS3KeyPrefix of an association
  std::string comment;
  // Called with the CommandId before anything runs (a State Manager execution records it).
  std::function<void(const std::string&)> on_command_id;
  // When set, hosts still running are cancelled and none started after this long (an
  // association's Duration).
  std::chrono::seconds deadline{0};
  int timeout = 0;  // delivery timeout (send-command's --timeout-seconds); 0: the default
  // When set, the run is cancelled when it becomes true, and the caller owns Ctrl-C (the
  // run installs no signal handler): a maintenance window's tasks run side by side.
  const std::atomic<bool>* cancel = nullptr;
};
int run_front_end(const GlobalOptions& global, const FrontEndRun& run);

} // namespace sshm::cli
