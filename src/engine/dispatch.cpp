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

  // Called with the mutex held: a target's work ended; its slot and cap groups free up.
  void finished(const DispatchPlan& plan, size_t index, bool is_error) {
    --in_flight;
    for (size_t c = 0; c < plan.caps.size(); ++c)
      if (int g = plan.caps[c].group_of[index]; g >= 0) --cap_counts[c][static_cast<size_t>(g)];
    if (is_error && ++errors > plan.error_threshold && !stop) {
      stop = true;
      stop_by_errors = true;
    }
  }

  // Called with the mutex held: a target is handed to the workers.
  void dispatched(const DispatchPlan& plan, size_t index, DispatchReport& report) {
    ++in_flight;
    ++report.dispatched;
    report.peak_in_flight = std::max(report.peak_in_flight, in_flight);
    for (size_t c = 0; c < plan.caps.size(); ++c)
      if (int g = plan.caps[c].group_of[index]; g >= 0)
        report.peak_per_cap[c] =
            std::max(report.peak_per_cap[c], static_cast<size_t>(++cap_counts[c][static_cast<size_t>(g)]));
    tasks.push_back(index);
  }

  bool eligible(const DispatchPlan& plan, size_t i) const {
    for (size_t c = 0; c < plan.caps.size(); ++c) {
      int g = plan.caps[c].group_of[i];
      if (g >= 0 && cap_counts[c][static_cast<size_t>(g)] >= plan.caps[c].limit) return false;
    }
    return true;
  }

  Shared(const DispatchPlan& plan, size_t concurrency_) : concurrency(concurrency_) {
    errors = plan.initial_errors;
    ramping = plan.ramp && concurrency > 1;
    for (const auto& cap : plan.caps) {
      int groups = 0;
      for (int g : cap.group_of) groups = std::max(groups, g + 1);
      cap_counts.emplace_back(static_cast<size_t>(groups), 0);
    }
    // A resumed command may have spent its error budget already.
    if (errors > plan.error_threshold) {
      stop = true;
      stop_by_errors = true;
    }
  }

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

// A worker thread: takes targets off the queue until the dispatcher shuts it down.
void run_worker(Shared& s, const DispatchPlan& plan, const Work& work) {
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
    s.finished(plan, index, is_error);
    s.wake_dispatcher.notify_one();
  }
}

// Targets not yet dispatched: those skipped because a cap group was full (in order), then
// next, next+1, ...
class TargetOrder {
public:
  explicit TargetOrder(size_t n) : m_n(n) {}

  // The first eligible target in order, or none while every remaining one waits for a cap.
  template <typename Eligible> std::optional<size_t> pick(bool capped, const Eligible& eligible) {
    if (!capped) {
      if (m_next < m_n) return m_next++;
      return std::nullopt;
    }
    for (auto it = m_deferred.begin(); it != m_deferred.end(); ++it)
      if (eligible(*it)) {
        size_t i = *it;
        m_deferred.erase(it);
        return i;
      }
    while (m_next < m_n) {
      size_t i = m_next++;
      if (eligible(i)) return i;
      m_deferred.push_back(i);
    }
    return std::nullopt;
  }
  // A picked target that was not dispatched after all goes back in its place.
  void put_back(size_t i) { m_deferred.insert(std::lower_bound(m_deferred.begin(), m_deferred.end(), i), i); }
  bool exhausted() const { return m_deferred.empty() && m_next >= m_n; }
  // Never dispatched, in target order.
  std::vector<size_t> rest() const {
    std::vector<size_t> rest = m_deferred;
    for (size_t i = m_next; i < m_n; ++i) rest.push_back(i);
    std::sort(rest.begin(), rest.end());
    return rest;
  }

private:
  size_t m_n;
  size_t m_next = 0;
  std::vector<size_t> m_deferred;
};

} // namespace

DispatchReport dispatch(const DispatchPlan& plan, const Work& work, const std::function<void(size_t)>& not_dispatched,
                        const std::atomic<bool>& cancel, const std::function<void(size_t, size_t)>& reserve) {
  DispatchReport report;
  const size_t n = plan.targets;
  const size_t concurrency = std::max<size_t>(plan.concurrency, 1);
  Shared s(plan, concurrency);
  report.peak_per_cap.assign(plan.caps.size(), 0);

  const size_t threads = std::min(concurrency, n);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t t = 0; t < threads; ++t) pool.emplace_back([&] { run_worker(s, plan, work); });

  TargetOrder order(n);
  size_t reserved_upto = 0;
  const size_t batch = std::max<size_t>(plan.reserve_batch, 1);
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
      if (!s.stop && plan.stop_check) {
        const int errors = s.errors;
        lock.unlock();
        bool stop = false;
        try {  // worker threads are running: nothing may escape this loop (std::terminate)
          stop = plan.stop_check(errors);
        } catch (const std::exception&) {
          // The fleet-wide count could not be had: the shard's own threshold still holds.
        }
        lock.lock();
        if (stop && !s.stop) s.stop = s.stop_by_errors = true;
        // A result came in meanwhile: ask again with it before using the slot it freed.
        if (!s.stop && s.errors != errors) continue;
      }
      if (s.stop || order.exhausted()) break;
      bool room = s.in_flight < concurrency && (!s.ramping || report.dispatched < s.allowed);
      std::optional<size_t> index =
          room ? order.pick(!plan.caps.empty(), [&](size_t i) { return s.eligible(plan, i); }) : std::nullopt;
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
          order.put_back(*index);
          continue;
        }
      }
      s.dispatched(plan, *index, report);
      s.wake_workers.notify_one();
    }
    s.shutdown = true;
    const bool left_out = !order.exhausted();
    report.stopped_by_threshold = s.stop_by_errors && left_out;
    report.stopped_by_deadline = deadline_hit && !s.stop_by_errors && !report.cancelled && left_out;
  }
  s.wake_workers.notify_all();
  for (auto& th : pool) th.join();
  report.errors = s.errors;
  if (cancel.load() && !order.exhausted()) report.cancelled = true;
  for (size_t i : order.rest()) not_dispatched(i);
  return report;
}

} // namespace sshm::engine
