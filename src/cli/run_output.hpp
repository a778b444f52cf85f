#pragma once
// How a run shows itself: host-prefixed lines and a progress line on a TTY, grouped
// outputs with --gather, one JSON object, or a stream of JSON events.
#include "cli/app.hpp"
#include "engine/run.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace sshm::cli {

class CliRunObserver : public engine::RunObserver {
public:
  // Called once after the run with everything recorded.
  virtual void finish(const engine::RunResult& result) = 0;
  // The exit status, when the observer (a front-end's) decides it; else the run's rules.
  virtual std::optional<int> exit_code(const engine::RunResult&) const { return std::nullopt; }
};

// Makes the observer of a run with `targets` hosts to run.
using ObserverFactory = std::function<std::unique_ptr<CliRunObserver>(size_t targets)>;

// How a run prints for a person. Host output, host names and step names are shown
// through terminal_safe() unless `raw` (--raw), which keeps the hosts' bytes as they came.
struct RunDisplay {
  bool gather = false;
  bool raw = false;
};

std::unique_ptr<CliRunObserver> make_run_observer(const GlobalOptions& global, RunDisplay display, size_t targets);

// Why a host a front-end's plugin never reported on has no result: its failure (kind and
// message: connect_refused, ...), "cancelled" for a host never started, else no kind and
// the invocation's own message.
struct NoResult {
  std::string kind;
  std::string message;
};
NoResult no_result_reason(const store::InvocationRecord& inv);

// Every failed output sink (S3, CloudWatch, notify) as JSON: [{"Sink", "Message", "Spooled"}].
nlohmann::json sink_errors_json(const std::vector<sinks::SinkReport>& reports);

} // namespace sshm::cli
