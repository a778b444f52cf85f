#pragma once
// How a run shows itself: host-prefixed lines and a progress line on a TTY, grouped
// outputs with --gather, one JSON object, or a stream of JSON events.
#include "cli/app.hpp"
#include "engine/run.hpp"

#include <memory>

namespace sshm::cli {

class CliRunObserver : public engine::RunObserver {
public:
  // Called once after the run with everything recorded.
  virtual void finish(const engine::RunResult& result) = 0;
};

// How a run prints for a person. Host output, host names and step names are shown
// through terminal_safe() unless `raw` (--raw), which keeps the hosts' bytes as they came.
struct RunDisplay {
  bool gather = false;
  bool raw = false;
};

std::unique_ptr<CliRunObserver> make_run_observer(const GlobalOptions& global, RunDisplay display, size_t targets);

// Every failed output sink (S3, CloudWatch, notify) as JSON: [{"Sink", "Message", "Spooled"}].
nlohmann::json sink_errors_json(const std::vector<sinks::SinkReport>& reports);

} // namespace sshm::cli
