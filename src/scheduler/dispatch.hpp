#pragma once
// The dispatch loop (ninja's Builder::Build): fill capacity, reap results, update the
// error budget, stop launching when it is spent, let in-flight work finish, say why.
#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

namespace sshm::scheduler {

struct DispatchPlan {
  size_t targets = 0;
  size_t concurrency = 1;
  int error_threshold = 0;  // dispatch stops once errors > threshold
};

struct DispatchReport {
  size_t dispatched = 0;
  int errors = 0;
  bool stopped_by_threshold = false;
  bool cancelled = false;
  size_t peak_in_flight = 0;
};

// Runs work(i) for targets in order on at most `concurrency` worker threads. work returns
// whether the target counts as an error. Targets never dispatched get not_dispatched(i),
// from the calling thread, after the workers end. `cancel` stops dispatching.
DispatchReport dispatch(const DispatchPlan& plan, const std::function<bool(size_t)>& work,
                        const std::function<void(size_t)>& not_dispatched, const std::atomic<bool>& cancel);

} // namespace sshm::scheduler
