#pragma once
// Notifications as SSM's NotificationConfig sends them to SNS: on a command's (type
// Command) or each invocation's (type Invocation) status change, for the chosen events,
// a JSON message shaped as SSM's, to a webhook (POST) or a command (on its stdin).
#include "sinks/sink.hpp"
#include "sinks/spool.hpp"
#include "sinks/work_queue.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace sshm::sinks {

// The NotificationEvents value a status belongs to ("" when it is never notified):
// Success; Failed (also Undeliverable, Terminated); TimedOut (also DeliveryTimedOut);
// Cancelled; InProgress.
std::string notification_event(const std::string& status);
// SSM's SNS message for a command / an invocation. `event_time` is ISO 8601.
nlohmann::json command_message(const store::CommandRecord& command, const std::string& event_time);
nlohmann::json invocation_message(const store::InvocationRecord& invocation, const std::string& event_time);

class NotifySink final : public Sink {
public:
  // `targets`: "http(s)://..." or "exec:CMD". `events`: NotificationEvents values.
  NotifySink(std::vector<std::string> targets, std::vector<std::string> events, std::string type,
             std::filesystem::path state_dir);
  ~NotifySink() override;

  std::string name() const override { return "notify"; }
  void on_step_done(const StepOutput&, store::PluginRecord&) override {}
  void on_invocation(const store::InvocationRecord& invocation) override;
  void on_command(const store::CommandRecord& command) override;
  SinkReport finish() override;

private:
  bool wanted(const std::string& status) const;
  void notify(const std::string& command_id, const std::string& host, const nlohmann::json& message);

  std::vector<std::string> m_targets;
  std::set<std::string> m_events;
  std::string m_type;
  Spool m_spool;
  std::mutex m_mutex;
  std::map<std::string, std::string> m_last_status;  // command or invocation -> status notified
  std::set<std::string> m_failed_targets;  // each failing target is tried once per run
  std::atomic<bool> m_failed{false};
  std::string m_message;
  int m_spooled = 0;
  int m_lost = 0;
  WorkQueue m_queue{1};  // one thread: messages leave in the order they happened
};

} // namespace sshm::sinks
