#pragma once
// A small pool of threads for uploads: jobs run in parallel, drain() waits for all.
// Threads start with the first job, so a run that uploads nothing starts none.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sshm::sinks {

class WorkQueue {
public:
  explicit WorkQueue(int threads) : m_size(threads < 1 ? 1 : threads) {}
  ~WorkQueue() { drain(); }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void push(std::function<void()> job) {
    std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(job));
    if (m_threads.size() < static_cast<size_t>(m_size) && m_threads.size() < m_jobs.size() + m_busy)
      m_threads.emplace_back([this] { work(); });
    m_wake.notify_one();
  }

  // Runs every queued job to the end, then stops the threads.
  void drain() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_wake.notify_all();
    for (auto& t : m_threads) t.join();
    std::lock_guard lock(m_mutex);
    m_threads.clear();
    m_stopping = false;
  }

private:
  void work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_wake.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
      if (m_jobs.empty()) return;
      auto job = std::move(m_jobs.front());
      m_jobs.pop_front();
      ++m_busy;
      lock.unlock();
      job();
      lock.lock();
      --m_busy;
    }
  }

  int m_size;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  size_t m_busy = 0;
  bool m_stopping = false;
};

} // namespace sshm::sinks
