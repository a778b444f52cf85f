#pragma once
// One command across the fleet: deliver (connect + auth), run the document on each host,
// keep full outputs, feed sinks, record everything in the store, aggregate as SSM.
#include "documents/document.hpp"
#include "scheduler/dispatch.hpp"
#include "sinks/sink.hpp"
#include "ssh/transport.hpp"
#include "store/records.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::scheduler {

// One selected host, ready to dial.
struct Target {
  std::string name;
  ssh::Endpoint endpoint;
  std::string run_as;
  std::string platform = "Linux";
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
};

struct RunRequest {
  store::CommandRecord command;  // id, document, parameters, targets, rate controls filled in
  std::vector<Target> targets;
  // The document resolved once per platform present among the targets.
  std::map<std::string, documents::ResolvedDocument> documents;
  int execution_timeout = 0;  // --execution-timeout, 0 keeps the document's
  int delivery_timeout = 0;   // --timeout (connect + auth), 0 keeps each host's connect timeout
  std::string region = "local";
};

struct RunResult {
  store::CommandRecord command;
  std::vector<store::InvocationRecord> invocations;  // target order
  DispatchReport dispatch;
  std::vector<sinks::SinkReport> sink_reports;
};

RunResult run_command(RunRequest request, ssh::Transport& transport, store::Store& store,
                      std::vector<std::unique_ptr<sinks::Sink>>& sinks, RunObserver& observer,
                      const std::atomic<bool>& cancel);

} // namespace sshm::scheduler
