#include "engine/dispatch.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace sshm::engine {

std::vector<size_t> ramp_waves(size_t concurrency, size_t targets, bool ramp) {
  concurrency = std::max<size_t>(concurrency, 1);
  if (!ramp || concurrency == 1) return {concurrency};
  std::vector<size_t> waves;
  size_t wave = 1, covered = 0;
  while (wave < concurrency && covered < targets) {
    waves.push_back(wave);
    covered += wave;
    wave *= 2;
  }
  if (covered < targets || waves.empty()) waves.push_back(concurrency);
  return waves;
}

namespace {

// What the dispatching thread and the workers share, under one mutex.
struct Shared {
  std::mutex mutex;
  std::condition_variable wake_dispatcher;
  std::condition_variable wake_workers;
  std::deque<size_t> tasks;
  bool shutdown = false;
  bool stop = false;
  bool stop_by_errors = false;
  size_t in_flight = 0;
  int errors = 0;
  // The ramp: hosts dispatched so far may not exceed `allowed` until every one of them is
  // acknowledged; then the next wave, twice as large, is allowed.
  bool ramping = false;
  size_t wave = 1;
  size_t allowed = 1;
  size_t acked = 0;
  size_t concurrency = 1;
  std::vector<std::vector<int>> cap_counts;  // per cap, per group: in flight

  // Called with the mutex held.
  void acknowledged() {
    ++acked;
    while (ramping && acked >= allowed) {
      wave *= 2;
      if (wave >= concurrency) ramping = false;
      else allowed += wave;
    }
  }
};

// The per-target acknowledgement handed to work(): counts once.
class TargetAck final : public Acknowledge {
public:
  explicit TargetAck(Shared& s) : m_s(s) {}
  void operator()() override {
    if (m_done) return;
    {
      std::lock_guard<std::mutex> lock(m_s.mutex);
      mark_locked();
    }
    m_s.wake_dispatcher.notify_one();
  }
  // With the mutex held: counts the acknowledgement unless it was counted already.
  void mark_locked() {
    if (m_done) return;
    m_done = true;
    m_s.acknowledged();
  }

private:
  Shared& m_s;
  bool m_done = false;
};

} // namespace

DispatchReport dispatch(const DispatchPlan& plan, const Work& work, const std::function<void(size_t)>& not_dispatched,
                        const std::atomic<bool>& cancel, const std::function<void(size_t, size_t)>& reserve) {
  DispatchReport report;
  const size_t n = plan.targets;
  const size_t concurrency = std::max<size_t>(plan.concurrency, 1);
  Shared s;
  s.concurrency = concurrency;
  s.errors = plan.initial_errors;
  s.ramping = plan.ramp && concurrency > 1;
  for (const auto& cap : plan.caps) {
    int groups = 0;
    for (int g : cap.group_of) groups = std::max(groups, g + 1);
    s.cap_counts.emplace_back(static_cast<size_t>(groups), 0);
  }
  report.peak_per_cap.assign(plan.caps.size(), 0);
  if (s.errors > plan.error_threshold) {
    s.stop = true;
    s.stop_by_errors = true;
  }

  auto worker = [&] {
    std::unique_lock<std::mutex> lock(s.mutex);
    while (true) {
      s.wake_workers.wait(lock, [&] { return !s.tasks.empty() || s.shutdown; });
      if (s.tasks.empty()) return;
      size_t index = s.tasks.front();
      s.tasks.pop_front();
      lock.unlock();
      TargetAck ack(s);
      bool is_error = work(index, ack);
      lock.lock();
      ack.mark_locked();
      --s.in_flight;
      for (size_t c = 0; c < plan.caps.size(); ++c)
        if (int g = plan.caps[c].group_of[index]; g >= 0) --s.cap_counts[c][static_cast<size_t>(g)];
      if (is_error && ++s.errors > plan.error_threshold && !s.stop) {
        s.stop = true;
        s.stop_by_errors = true;
      }
      s.wake_dispatcher.notify_one();
    }
  };

  const size_t threads = std::min(concurrency, n);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);

  // Targets not yet dispatched: those skipped because a cap group was full (in order),
  // then next, next+1, ...
  size_t next = 0;
  std::vector<size_t> deferred;
  size_t reserved_upto = 0;
  const size_t batch = std::max<size_t>(plan.reserve_batch, 1);
  auto eligible = [&](size_t i) {
    for (size_t c = 0; c < plan.caps.size(); ++c) {
      int g = plan.caps[c].group_of[i];
      if (g >= 0 && s.cap_counts[c][static_cast<size_t>(g)] >= plan.caps[c].limit) return false;
    }
    return true;
  };
  // The first eligible target in order, or none while every remaining one waits for a cap.
  auto pick = [&]() -> std::optional<size_t> {
    if (plan.caps.empty()) {
      if (next < n) return next++;
      return std::nullopt;
    }
    for (auto it = deferred.begin(); it != deferred.end(); ++it)
      if (eligible(*it)) {
        size_t i = *it;
        deferred.erase(it);
        return i;
      }
    while (next < n) {
      size_t i = next++;
      if (eligible(i)) return i;
      deferred.push_back(i);
    }
    return std::nullopt;
  };

  const Clock& clock = plan.clock ? *plan.clock : SystemClock::instance();
  auto past_deadline = [&] { return plan.deadline && clock.now() >= *plan.deadline; };
  bool deadline_hit = false;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    while (true) {
      if (cancel.load()) {
        report.cancelled = true;
        s.stop = true;
      }
      if (!s.stop && past_deadline()) {
        deadline_hit = true;
        s.stop = true;
      }
      if (s.stop || (deferred.empty() && next >= n)) break;
      bool room = s.in_flight < concurrency && (!s.ramping || report.dispatched < s.allowed);
      std::optional<size_t> index = room ? pick() : std::nullopt;
      if (!index) {
        // Workers wake us when one finishes or is acknowledged; the timeout sees `cancel`.
        s.wake_dispatcher.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
      if (reserve && *index >= reserved_upto) {
        size_t last = std::min(n, std::max(*index + 1, reserved_upto + batch));
        size_t first = reserved_upto;
        reserved_upto = last;
        lock.unlock();
        reserve(first, last);
        lock.lock();
        if (s.stop || cancel.load() || past_deadline()) {
          deferred.insert(std::lower_bound(deferred.begin(), deferred.end(), *index), *index);
          continue;
        }
      }
      ++s.in_flight;
      ++report.dispatched;
      report.peak_in_flight = std::max(report.peak_in_flight, s.in_flight);
      for (size_t c = 0; c < plan.caps.size(); ++c)
        if (int g = plan.caps[c].group_of[*index]; g >= 0)
          report.peak_per_cap[c] =
              std::max(report.peak_per_cap[c], static_cast<size_t>(++s.cap_counts[c][static_cast<size_t>(g)]));
      s.tasks.push_back(*index);
      s.wake_workers.notify_one();
    }
    s.shutdown = true;
    const bool left_out = !(deferred.empty() && next >= n);
    report.stopped_by_threshold = s.stop_by_errors && left_out;
    report.stopped_by_deadline = deadline_hit && !s.stop_by_errors && !report.cancelled && left_out;
  }
  s.wake_workers.notify_all();
  for (auto& th : pool) th.join();
  report.errors = s.errors;
  if (cancel.load() && !(deferred.empty() && next >= n)) report.cancelled = true;
  // Never dispatched, in target order.
  std::vector<size_t> rest = deferred;
  for (size_t i = next; i < n; ++i) rest.push_back(i);
  std::sort(rest.begin(), rest.end());
  for (size_t i : rest) not_dispatched(i);
  return report;
}

} // namespace sshm::engine
