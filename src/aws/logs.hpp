#pragma once
// Amazon CloudWatch Logs over the JSON 1.1 protocol (X-Amz-Target: Logs_20140328.*), and
// the PutLogEvents batching rules of the service.
#include "aws/client.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sshm::aws {

struct LogEvent {
  long long timestamp_ms = 0;  // milliseconds since the epoch
  std::string message;         // valid UTF-8, not empty
};

// Service limits for one PutLogEvents call.
constexpr std::size_t k_max_batch_bytes = 1048576;  // sum of (message bytes + 26)
constexpr std::size_t k_event_overhead = 26;
constexpr std::size_t k_max_batch_events = 10000;
constexpr long long k_max_batch_span_ms = 24LL * 3600 * 1000;
constexpr std::size_t k_max_event_bytes = 262144;  // message bytes + 26

// Replaces bytes that are not valid UTF-8 with U+FFFD so the service accepts the text.
std::string to_valid_utf8(std::string_view text);
// Splits a message whose size with overhead exceeds k_max_event_bytes into pieces that
// fit, at UTF-8 character boundaries; same timestamp for every piece.
std::vector<LogEvent> split_event(LogEvent event, std::size_t max_event_bytes = k_max_event_bytes);
// Orders events by time (stable), splits oversized ones and groups them into batches
// that each respect the byte, count and 24-hour span limits.
std::vector<std::vector<LogEvent>> make_batches(std::vector<LogEvent> events);

class LogsClient {
public:
  explicit LogsClient(AwsContext& context, RetryPolicy policy = {}) : m_context(context), m_policy(policy) {}

  // Each returns nullopt on success; "already exists" counts as success.
  std::optional<AwsError> create_log_group(const std::string& group);
  std::optional<AwsError> create_log_stream(const std::string& group, const std::string& stream);
  // One batch from make_batches(). Creates the group and stream when they are missing.
  std::optional<AwsError> put_log_events(const std::string& group, const std::string& stream,
                                         const std::vector<LogEvent>& batch);

private:
  std::optional<AwsError> call(const std::string& action, const std::string& body);
  AwsContext& m_context;
  RetryPolicy m_policy;
};

} // namespace sshm::aws
