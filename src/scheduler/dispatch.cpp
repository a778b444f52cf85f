#include "scheduler/dispatch.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace sshm::scheduler {

DispatchReport dispatch(const DispatchPlan& plan, const std::function<bool(size_t)>& work,
                        const std::function<void(size_t)>& not_dispatched, const std::atomic<bool>& cancel) {
  DispatchReport report;
  std::mutex mutex;
  size_t next = 0;
  size_t in_flight = 0;
  bool stop = false;

  auto worker = [&] {
    while (true) {
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (cancel.load()) {
          report.cancelled = true;
          stop = true;
        }
        if (stop || next >= plan.targets) return;
        index = next++;
        ++report.dispatched;
        ++in_flight;
        report.peak_in_flight = std::max(report.peak_in_flight, in_flight);
      }
      bool is_error = work(index);
      std::lock_guard<std::mutex> lock(mutex);
      --in_flight;
      if (is_error && ++report.errors > plan.error_threshold && !stop) {
        stop = true;
        report.stopped_by_threshold = next < plan.targets;
      }
    }
  };

  const size_t threads = std::min(std::max<size_t>(plan.concurrency, 1), plan.targets);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  if (cancel.load() && next < plan.targets) report.cancelled = true;
  for (size_t i = next; i < plan.targets; ++i) not_dispatched(i);
  return report;
}

} // namespace sshm::scheduler
