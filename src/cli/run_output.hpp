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

std::unique_ptr<CliRunObserver> make_run_observer(const GlobalOptions& global, bool gather, size_t targets);

} // namespace sshm::cli
