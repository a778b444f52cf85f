#include "aws/client.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

namespace sshm::aws {

namespace {

std::string xml_element(const std::string& body, const std::string& name) {
  auto open = body.find("<" + name + ">");
  if (open == std::string::npos) return {};
  open += name.size() + 2;
  auto close = body.find("</" + name + ">", open);
  return close == std::string::npos ? std::string() : body.substr(open, close - open);
}

bool retryable_code(const std::string& code) {
  static const char* const codes[] = {
      "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
      "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
      "ProvisionedThroughputExceededException", "ServiceUnavailable", "ServiceUnavailableException",
      "InternalError", "InternalFailure", "RequestTimeout", "RequestTimeoutException"};
  return std::find(std::begin(codes), std::end(codes), code) != std::end(codes);
}

} // namespace

std::string AwsError::text() const {
  std::string out = code.empty() ? "error" : code;
  if (!message.empty()) out += ": " + message;
  if (http_status) out += fmt::format(" (HTTP {})", http_status);
  return out;
}

AwsError classify(const HttpResponse& response) {
  AwsError e;
  e.http_status = response.status;
  if (response.status == 0) {
    e.code = "ConnectionFailed";
    e.message = response.transport_error;
    e.retryable = true;
    return e;
  }
  if (response.ok()) return e;
  if (!response.body.empty() && response.body.front() == '{') {
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_object()) {
      std::string type = json.value("__type", "");
      e.code = type.substr(type.find('#') == std::string::npos ? 0 : type.find('#') + 1);
      e.message = json.contains("message") ? json.value("message", "") : json.value("Message", "");
    }
  } else {
    e.code = xml_element(response.body, "Code");
    e.message = xml_element(response.body, "Message");
  }
  if (e.code.empty()) e.code = fmt::format("HTTP{}", response.status);
  e.retryable = response.status >= 500 || response.status == 429 || retryable_code(e.code);
  return e;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, std::mt19937_64& rng) {
  long long ceiling = policy.base.count();
  for (int i = 1; i < attempt && ceiling < policy.cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<long long>(ceiling, policy.cap.count());
  std::uniform_int_distribution<long long> pick(0, ceiling);
  return std::chrono::milliseconds(pick(rng));
}

std::string redact(std::string text, const Credentials& credentials) {
  for (const std::string* secret : {&credentials.secret_access_key, &credentials.session_token}) {
    if (secret->size() < 4) continue;
    for (auto pos = text.find(*secret); pos != std::string::npos; pos = text.find(*secret, pos))
      text.replace(pos, secret->size(), "****");
  }
  return text;
}

std::optional<AwsError> send(AwsContext& context, const HttpRequest& request, const RetryPolicy& policy,
                             HttpResponse& response) {
  std::string why;
  auto credentials = context.credentials(why);
  if (!credentials) return AwsError{0, "NoCredentials", why, false};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  AwsError last;
  for (int attempt = 1; attempt <= std::max(1, policy.max_attempts); ++attempt) {
    response = perform(request, &*credentials, context.region());
    if (response.ok()) return std::nullopt;
    last = classify(response);
    last.message = redact(last.message, *credentials);
    if (!last.retryable || attempt == policy.max_attempts) break;
    std::this_thread::sleep_for(backoff_delay(policy, attempt, rng));
  }
  return last;
}

} // namespace sshm::aws
