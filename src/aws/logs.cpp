#include "aws/logs.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace sshm::aws {

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not valid.
std::size_t utf8_sequence(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(0);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || n > s.size()) return 0;
  for (std::size_t i = 1; i < n; ++i)
    if ((byte(i) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;                          // overlong
  if (n == 3 && c == 0xE0 && byte(1) < 0xA0) return 0;       // overlong
  if (n == 3 && c == 0xED && byte(1) >= 0xA0) return 0;      // surrogate
  if (n == 4 && (c > 0xF4 || (c == 0xF0 && byte(1) < 0x90) || (c == 0xF4 && byte(1) >= 0x90))) return 0;
  return n;
}

} // namespace

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t n = utf8_sequence(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

std::vector<LogEvent> split_event(LogEvent event, std::size_t max_event_bytes) {
  std::vector<LogEvent> pieces;
  std::size_t limit = max_event_bytes - k_event_overhead;
  if (event.message.size() <= limit) {
    pieces.push_back(std::move(event));
    return pieces;
  }
  std::string_view rest = event.message;
  while (!rest.empty()) {
    std::size_t cut = std::min(limit, rest.size());
    // Step back to a character boundary (continuation bytes are 10xxxxxx).
    while (cut < rest.size() && cut > 0 && (static_cast<unsigned char>(rest[cut]) & 0xC0) == 0x80) --cut;
    if (cut == 0) cut = std::min(limit, rest.size());
    pieces.push_back(LogEvent{event.timestamp_ms, std::string(rest.substr(0, cut))});
    rest.remove_prefix(cut);
  }
  return pieces;
}

std::vector<std::vector<LogEvent>> make_batches(std::vector<LogEvent> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const LogEvent& a, const LogEvent& b) { return a.timestamp_ms < b.timestamp_ms; });
  std::vector<std::vector<LogEvent>> batches;
  std::vector<LogEvent> batch;
  std::size_t bytes = 0;
  for (auto& original : events) {
    for (auto& event : split_event(std::move(original))) {
      std::size_t size = event.message.size() + k_event_overhead;
      bool full = !batch.empty() && (bytes + size > k_max_batch_bytes || batch.size() >= k_max_batch_events ||
                                     event.timestamp_ms - batch.front().timestamp_ms > k_max_batch_span_ms);
      if (full) {
        batches.push_back(std::move(batch));
        batch.clear();
        bytes = 0;
      }
      bytes += size;
      batch.push_back(std::move(event));
    }
  }
  if (!batch.empty()) batches.push_back(std::move(batch));
  return batches;
}

std::optional<AwsError> LogsClient::call(const std::string& action, const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = m_context.logs_endpoint().empty() ? "https://logs." + m_context.region() + ".amazonaws.com/"
                                                  : m_context.logs_endpoint() + "/";
  request.service = "logs";
  request.body = body;
  request.headers = {"Content-Type: application/x-amz-json-1.1", "X-Amz-Target: Logs_20140328." + action};
  HttpResponse response;
  return send(m_context, request, m_policy, response);
}

std::optional<AwsError> LogsClient::create_log_group(const std::string& group) {
  auto error = call("CreateLogGroup", nlohmann::json{{"logGroupName", group}}.dump());
  if (error && error->code == "ResourceAlreadyExistsException") return std::nullopt;
  return error;
}

std::optional<AwsError> LogsClient::create_log_stream(const std::string& group, const std::string& stream) {
  auto error = call("CreateLogStream", nlohmann::json{{"logGroupName", group}, {"logStreamName", stream}}.dump());
  if (error && error->code == "ResourceAlreadyExistsException") return std::nullopt;
  return error;
}

std::optional<AwsError> LogsClient::put_log_events(const std::string& group, const std::string& stream,
                                                   const std::vector<LogEvent>& batch) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : batch) events.push_back({{"timestamp", e.timestamp_ms}, {"message", e.message}});
  std::string body =
      nlohmann::json{{"logGroupName", group}, {"logStreamName", stream}, {"logEvents", events}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto error = call("PutLogEvents", body);
  if (error && error->code == "ResourceNotFoundException") {
    if (auto e = create_log_group(group)) return e;
    if (auto e = create_log_stream(group, stream)) return e;
    error = call("PutLogEvents", body);
  }
  return error;
}

} // namespace sshm::aws
