#pragma once
// The dispatch loop (ninja's Builder::Build): fill capacity, reap results, update the
// error budget, stop launching when it is spent, let in-flight work finish, say why.
// On top of the global window: SSM's ramp-up (1, 2, 4, ... as earlier hosts are
// acknowledged) and per-tag caps (at most N hosts at once per value of a tag).
#include "util/time.hpp"

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sshm::engine {

// At most `limit` targets of one group in flight at once. group_of[i] is target i's group
// (0 .. groups-1), or -1 when the cap does not apply to it (the host lacks the tag).
struct ConcurrencyCap {
  std::string tag;  // for messages: the tag key
  int limit = 1;
  std::vector<int> group_of;
  std::vector<std::string> group_names;  // group id -> tag value
};

struct DispatchPlan {
  size_t targets = 0;
  size_t concurrency = 1;
  int error_threshold = 0;  // dispatch stops once errors > threshold
  int initial_errors = 0;   // errors already recorded (a resumed command)
  bool ramp = true;         // SSM's ramp-up: waves of 1, 2, 4, ... up to `concurrency`
  std::vector<ConcurrencyCap> caps;
  // Targets are reserved (reserve(first, last), a half-open range in target order) before
  // any of them is dispatched, `reserve_batch` at a time, from the dispatching thread.
  size_t reserve_batch = 64;
  // A maintenance window's cutoff: once `clock` reads this time or later, nothing new is
  // dispatched (the rest go to not_dispatched) while work in flight finishes.
  std::optional<SystemTime> deadline;
  // The time the deadline is read from; null means the system clock.
  const Clock* clock = nullptr;
  // Asked before each dispatch (without the dispatcher's lock) with the errors so far; true
  // stops dispatching as the error threshold does (--global-errors: the fleet-wide count).
  std::function<bool(int errors)> stop_check;
};

struct DispatchReport {
  size_t dispatched = 0;
  int errors = 0;  // including plan.initial_errors
  bool stopped_by_threshold = false;
  bool cancelled = false;
  bool stopped_by_deadline = false;  // targets were left out because plan.deadline passed
  size_t peak_in_flight = 0;
  std::vector<size_t> peak_per_cap;  // per plan.caps: the largest group seen in flight
};

// The sizes of the ramp's waves for `concurrency` and `targets`: 1, 2, 4, ... each below
// concurrency, then concurrency itself (the steady window) if targets remain. Without ramp,
// or with concurrency 1, just {concurrency}.
std::vector<size_t> ramp_waves(size_t concurrency, size_t targets, bool ramp);

// Tells the dispatcher that a target's command was delivered, or failed to be: the ramp
// moves on. Calling it more than once, or not at all (completion counts), is fine.
class Acknowledge {
public:
  virtual ~Acknowledge() = default;
  virtual void operator()() = 0;
};

// The work for one target: returns whether it counts as an error.
using Work = std::function<bool(size_t index, Acknowledge& acknowledged)>;

// Runs work(i) for targets in order on at most `concurrency` worker threads, in waves while
// ramping, skipping a target whose cap group is full for the next eligible one. Targets never
// dispatched get not_dispatched(i), in order, from the calling thread, after the workers end.
// `cancel` stops dispatching, as does the plan's deadline. `reserve` may be empty.
DispatchReport dispatch(const DispatchPlan& plan, const Work& work, const std::function<void(size_t)>& not_dispatched,
                        const std::atomic<bool>& cancel,
                        const std::function<void(size_t first, size_t last)>& reserve = {});

} // namespace sshm::engine
