#include "sinks/notify_sink.hpp"

#include "sinks/deliver.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

namespace sshm::sinks {

std::string notification_event(const std::string& status) {
  if (status == "Success" || status == "Failed" || status == "TimedOut" || status == "Cancelled" ||
      status == "InProgress")
    return status;
  if (status == "Undeliverable" || status == "Terminated") return "Failed";
  if (status == "DeliveryTimedOut" || status == "ExecutionTimedOut") return "TimedOut";
  return "";
}

nlohmann::json command_message(const store::CommandRecord& command, const std::string& event_time) {
  return {{"commandId", command.command_id},
          {"documentName", command.document_name},
          {"instanceIds", nlohmann::json::array()},
          {"requestedDateTime", command.requested_date_time},
          {"expiresAfter", store::expires_after(command)},
          {"outputS3BucketName", command.output_s3_bucket_name},
          {"outputS3KeyPrefix", command.output_s3_key_prefix},
          {"status", command.status},
          {"eventTime", event_time}};
}

nlohmann::json invocation_message(const store::InvocationRecord& invocation, const std::string& event_time) {
  return {{"commandId", invocation.command_id},
          {"documentName", invocation.document_name},
          {"instanceId", invocation.instance_id},
          {"requestedDateTime", invocation.requested_date_time},
          {"status", invocation.status},
          {"eventTime", event_time}};
}

NotifySink::NotifySink(std::vector<std::string> targets, std::vector<std::string> events, std::string type,
                       std::filesystem::path state_dir)
    : m_targets(std::move(targets)), m_events(events.begin(), events.end()), m_type(std::move(type)),
      m_spool(std::move(state_dir)) {}

NotifySink::~NotifySink() { m_queue.drain(); }

bool NotifySink::wanted(const std::string& status) const {
  std::string event = notification_event(status);
  return !event.empty() && (m_events.count("All") || m_events.count(event));
}

void NotifySink::on_invocation(const store::InvocationRecord& invocation) {
  if (m_type != "Invocation" || !wanted(invocation.status)) return;
  {
    std::lock_guard lock(m_mutex);
    std::string& last = m_last_status[invocation.command_id + "/" + invocation.instance_id];
    if (last == invocation.status) return;
    last = invocation.status;
  }
  notify(invocation.command_id, invocation.instance_id,
         invocation_message(invocation, iso8601_ms(std::chrono::system_clock::now())));
}

void NotifySink::on_command(const store::CommandRecord& command) {
  if (m_type != "Command" || !wanted(command.status)) return;
  {
    std::lock_guard lock(m_mutex);
    std::string& last = m_last_status[command.command_id];
    if (last == command.status) return;
    last = command.status;
  }
  notify(command.command_id, "", command_message(command, iso8601_ms(std::chrono::system_clock::now())));
}

void NotifySink::notify(const std::string& command_id, const std::string& host, const nlohmann::json& message) {
  std::string body = message.dump();
  for (const auto& target : m_targets) {
    m_queue.push([this, command_id, host, body, target] {
      bool is_exec = starts_with(target, "exec:");
      std::string what = is_exec ? target.substr(5) : target;
      std::optional<std::string> failure;
      bool skip = false;
      {
        std::lock_guard lock(m_mutex);
        skip = m_failed_targets.count(target) > 0;
      }
      if (skip) {
        failure = "not tried: this notification target failed earlier in this run";
      } else {
        failure = is_exec ? deliver_exec(what, body) : deliver_webhook(what, body);
        if (!failure) return;
        std::lock_guard lock(m_mutex);
        m_failed_targets.insert(target);
        if (!m_failed.exchange(true)) m_message = "notification failed: " + *failure;
      }
      bool kept = m_spool.add_notification(command_id, host, is_exec ? "exec" : "webhook", what, body, *failure);
      std::lock_guard lock(m_mutex);
      ++(kept ? m_spooled : m_lost);
    });
  }
}

SinkReport NotifySink::finish() {
  m_queue.drain();
  std::lock_guard lock(m_mutex);
  SinkReport report{name(), m_failed.load(), m_message, m_spooled};
  if (m_failed) {
    report.message += fmt::format("; {} notification(s) spooled for `sshm outputs flush`", m_spooled);
    if (m_lost) report.message += fmt::format("; {} could not be spooled", m_lost);
  }
  return report;
}

} // namespace sshm::sinks
