#pragma once
// A Transport for unit tests: hosts behave as scripted, no network. It recognises sshm's
// wrapper (a script run) and kill command, and counts concurrency.
#include "ssh/transport.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>

namespace sshm::test {

struct FakeHost {
  std::optional<ssh::FailureKind> connect_failure;
  int exit_status = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool hang = false;  // runs until timeout or cancel
  std::chrono::milliseconds delay{0};
  std::map<std::string, int> step_exit;  // exit status by step name (SSHM_STEP)
};

class FakeTransport : public ssh::Transport {
public:
  std::map<std::string, FakeHost> hosts;  // by endpoint name; missing = default FakeHost
  std::mutex mutex;
  int in_flight = 0;
  int peak_in_flight = 0;
  int kills = 0;
  std::vector<std::string> order;  // hosts in connect order

  Expected<std::unique_ptr<ssh::Session>, ssh::Failure> connect(const ssh::Endpoint& e,
                                                                const std::atomic<bool>* cancel) override;
};

class FakeSession : public ssh::Session {
public:
  FakeSession(FakeTransport& t, FakeHost h, std::string name) : m_t(t), m_h(std::move(h)), m_name(std::move(name)) {
    std::lock_guard<std::mutex> lock(m_t.mutex);
    m_t.peak_in_flight = std::max(m_t.peak_in_flight, ++m_t.in_flight);
  }
  ~FakeSession() override {
    std::lock_guard<std::mutex> lock(m_t.mutex);
    --m_t.in_flight;
  }
  Expected<ssh::ExecResult, ssh::Failure> exec(const ssh::ExecRequest& req) override {
    ssh::ExecResult r;
    if (req.stdin_data.find("/proc/[0-9]*/environ") != std::string::npos) {
      std::lock_guard<std::mutex> lock(m_t.mutex);
      ++m_t.kills;
      r.exit_status = 0;
      return r;
    }
    if (m_h.delay.count()) std::this_thread::sleep_for(m_h.delay);
    if (m_h.hang) {
      auto deadline = std::chrono::steady_clock::now() + req.timeout;
      while (true) {
        if (req.cancel && req.cancel->load()) {
          r.cancelled = true;
          return r;
        }
        if (req.timeout.count() && std::chrono::steady_clock::now() >= deadline) {
          r.timed_out = true;
          return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    if (!m_h.stdout_text.empty() && req.on_stdout) req.on_stdout(m_h.stdout_text);
    if (!m_h.stderr_text.empty() && req.on_stderr) req.on_stderr(m_h.stderr_text);
    r.exit_status = m_h.exit_status;
    auto pos = req.stdin_data.find("export SSHM_STEP='");
    if (pos != std::string::npos) {
      pos += 18;
      std::string step = req.stdin_data.substr(pos, req.stdin_data.find('\'', pos) - pos);
      auto it = m_h.step_exit.find(step);
      if (it != m_h.step_exit.end()) r.exit_status = it->second;
    }
    return r;
  }
  std::chrono::milliseconds connect_time() const override { return std::chrono::milliseconds(1); }

private:
  FakeTransport& m_t;
  FakeHost m_h;
  std::string m_name;
};

inline Expected<std::unique_ptr<ssh::Session>, ssh::Failure> FakeTransport::connect(const ssh::Endpoint& e,
                                                                                   const std::atomic<bool>*) {
  FakeHost h;
  {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(e.name);
    auto it = hosts.find(e.name);
    if (it != hosts.end()) h = it->second;
  }
  if (h.connect_failure) return unexpected(ssh::Failure{*h.connect_failure, "scripted failure"});
  return std::unique_ptr<ssh::Session>(std::make_unique<FakeSession>(*this, h, e.name));
}

} // namespace sshm::test
