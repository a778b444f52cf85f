#pragma once
// One command across the fleet: deliver (connect + auth), run the document on each host,
// keep full outputs, feed sinks, record everything in the store, aggregate as SSM.
#include "documents/document.hpp"
#include "engine/dispatch.hpp"
#include "engine/rate.hpp"
#include "aws/config.hpp"
#include "plugins/content.hpp"
#include "plugins/executor.hpp"
#include "sinks/sink.hpp"
#include "ssh/transport.hpp"
#include "store/records.hpp"

#include <any>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::engine {

// One selected host, ready to dial.
struct Target {
  std::string name;
  ssh::Endpoint endpoint;
  std::string run_as;
  std::string platform = "Linux";
  std::map<std::string, std::string> tags;  // for per-tag caps
  nlohmann::json vars = nlohmann::json::object();  // the host's inventory vars, for plugins
};

// --max-concurrency-per TAG=N: at most N hosts at once per value of TAG.
struct TagCap {
  std::string tag;
  int limit = 1;
};


// Sees the run as it happens (text output, progress, jsonl events). Called from worker
// threads; implementations lock what they share.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void on_start(const store::CommandRecord&, const DispatchPlan&) {}
  virtual void on_output(const std::string& /*host*/, const std::string& /*step*/, bool /*is_stderr*/,
                         std::string_view /*data*/) {}
  virtual void on_invocation_start(const std::string& /*host*/) {}
  virtual void on_invocation_done(const store::InvocationRecord&) {}
  // A plugin's progress note and its structured result (plugins::HostContext).
  virtual void on_progress(const std::string& /*host*/, const std::string& /*note*/) {}
  virtual void on_result(const std::string& /*host*/, const std::any& /*result*/) {}
};

struct RunRequest {
  store::CommandRecord command;  // id, document, parameters, targets, rate controls filled in
  std::vector<Target> targets;
  // The document resolved once per platform present among the targets.
  std::map<std::string, documents::ResolvedDocument> documents;
  int execution_timeout = 0;  // --execution-timeout, 0 keeps the document's
  int delivery_timeout = 0;   // --timeout (connect + auth), 0 keeps each host's connect timeout
  std::string region = "local";
  bool ramp = true;            // SSM's ramp-up 1, 2, 4, ... (--no-ramp turns it off)
  std::vector<TagCap> caps;    // --max-concurrency-per
  // What runs each action: engine::plugin_table() when null (tests bring their own).
  const plugins::PluginTable* plugins = nullptr;
  // Settings for plugins beyond their step inputs, by action (plugins::HostContext::run_settings).
  nlohmann::json plugin_settings = nlohmann::json::object();
  // Resume an interrupted command: `command` and `recorded` come from the store (the
  // invocations in target order). Hosts that never started run (engine::never_started);
  // InProgress ones with a start time are reported as InFlightAtInterruption and never run
  // again (they may have run); finished ones stay as they are.
  bool resume = false;
  std::vector<store::InvocationRecord> recorded;
  // What {{ssm-secure:NAME}} references resolved to (in `documents` only), each with its
  // reference: the values are masked as "****" wherever a host prints them and never
  // recorded; the command, the dry run and every message keep the references.
  struct Secret {
    std::string value;
    std::string reference;  // {{ssm-secure:NAME}}
  };
  std::vector<Secret> secrets;
  // Where aws:downloadContent fetches S3 sources from (profile, region, endpoint).
  aws::AwsOptions aws;
  // How aws:downloadContent fetches, for the whole command; plugins::controller_fetch(aws)
  // when null (tests bring their own).
  plugins::ContentFetch fetch;
  // DispatchPlan::stop_check: stop dispatching for a reason outside this command's hosts.
  std::function<bool(int errors)> stop_dispatch;
};

// The dispatch plan a request gets (window, threshold, ramp, caps), with targets[todo[k]]
// as dispatch item k. Used by run_command and by --dry-run, so both say the same.
struct PlannedRun {
  DispatchPlan plan;
  std::vector<size_t> todo;
};
PlannedRun plan_run(const RunRequest& request, const std::vector<store::InvocationRecord>& invocations);

// The rate controls of a plan in host counts, one line each (for --dry-run), e.g.
// "max-concurrency 10% of 50 → 5 at once; ramp 1, 2, 4, 5" and
// "max-errors 10% of 50 → dispatch stops at the 6th error".
std::vector<std::string> describe_plan(const store::CommandRecord& command, size_t targets, const DispatchPlan& plan);

struct RunResult {
  store::CommandRecord command;
  std::vector<store::InvocationRecord> invocations;  // target order
  DispatchReport dispatch;
  std::vector<sinks::SinkReport> sink_reports;
};

// Never lets an exception out of a worker: a host that sshm fails on is Failed
// (InternalError), a result the store cannot save is Failed (StoreError), a full output that
// cannot be written is Failed (OutputLost), each said on stderr or in the invocation. Throws
// (RuntimeError and the store's errors) only when the command cannot be recorded at all:
// before any host runs, or when its final row cannot be saved.
RunResult run_command(RunRequest request, ssh::Transport& transport, store::Store& store,
                      std::vector<std::unique_ptr<sinks::Sink>>& sinks, RunObserver& observer,
                      const std::atomic<bool>& cancel);

} // namespace sshm::engine
