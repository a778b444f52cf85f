#pragma once
// Sending AWS requests: error classification, the retry policy (exponential backoff with
// full jitter on throttling, 5xx and network errors) and redaction of secrets.
#include "aws/config.hpp"
#include "aws/http.hpp"

#include <chrono>
#include <optional>
#include <random>
#include <string>

namespace sshm::aws {

// A failed AWS call, ready to show: never holds a key, secret or token.
struct AwsError {
  long http_status = 0;  // 0: no response (network, timeout) or no credentials
  std::string code;      // "SlowDown", "SignatureDoesNotMatch", "ConnectionFailed", ...
  std::string message;
  bool retryable = false;
  // "CODE: message (HTTP 403)".
  std::string text() const;
};

struct RetryPolicy {
  int max_attempts = 4;  // including the first
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{5000};
};

// The error in a response (S3 XML or JSON 1.1 body), and whether to try again.
// Throttling (SlowDown, ThrottlingException, 429), 5xx and no-response are retryable;
// 4xx answers (access denied, bad signature, no such bucket) are not.
AwsError classify(const HttpResponse& response);
// The pause before attempt `attempt` + 1 (attempt counts from 1): uniform in
// [0, min(cap, base * 2^(attempt-1))].
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, std::mt19937_64& rng);
// Replaces every occurrence of the credentials' secret and token in `text` with "****".
std::string redact(std::string text, const Credentials& credentials);

// Signs and sends `request` for `request.service`, retrying per `policy`. On success
// fills `response` and returns nullopt; else returns the last error.
std::optional<AwsError> send(AwsContext& context, const HttpRequest& request, const RetryPolicy& policy,
                             HttpResponse& response);

} // namespace sshm::aws
