#include "aws/client.hpp"

#include <doctest/doctest.h>

using namespace sshm::aws;

TEST_CASE("throttling, 5xx and network errors are retried; client errors are not") {
  auto status = [](long code, std::string body) {
    HttpResponse r;
    r.status = code;
    r.body = std::move(body);
    return classify(r);
  };
  CHECK(status(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>").retryable);
  CHECK(status(503, "<Error><Code>SlowDown</Code></Error>").code == "SlowDown");
  AwsError throttled = status(400, R"({"__type":"com.amazonaws.logs#ThrottlingException","message":"Rate exceeded"})");
  CHECK(throttled.code == "ThrottlingException");
  CHECK(throttled.retryable);
  CHECK(status(500, "<Error><Code>InternalError</Code></Error>").retryable);
  CHECK(status(429, "").retryable);
  CHECK(status(400, "<Error><Code>RequestTimeout</Code></Error>").retryable);
  HttpResponse none;
  none.transport_error = "Couldn't connect to server";
  CHECK(classify(none).retryable);
  CHECK(classify(none).code == "ConnectionFailed");

  CHECK_FALSE(status(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>").retryable);
  CHECK_FALSE(status(403, "<Error><Code>AccessDenied</Code></Error>").retryable);
  CHECK_FALSE(status(404, "<Error><Code>NoSuchBucket</Code></Error>").retryable);
  AwsError exists = status(400, R"({"__type":"ResourceAlreadyExistsException","message":"exists"})");
  CHECK(exists.code == "ResourceAlreadyExistsException");
  CHECK_FALSE(exists.retryable);
}

TEST_CASE("backoff is full jitter, doubling from the base up to the cap") {
  RetryPolicy policy;
  policy.base = std::chrono::milliseconds(100);
  policy.cap = std::chrono::milliseconds(1000);
  std::mt19937_64 rng(42);
  for (int attempt = 1; attempt <= 8; ++attempt) {
    long long ceiling = std::min(1000LL, 100LL << (attempt - 1));
    long long seen_max = 0;
    for (int i = 0; i < 2000; ++i) {
      long long d = backoff_delay(policy, attempt, rng).count();
      CHECK(d >= 0);
      CHECK(d <= ceiling);
      seen_max = std::max(seen_max, d);
    }
    // Jitter spreads over the whole range, not a fixed delay.
    CHECK(seen_max > ceiling / 2);
  }
}

TEST_CASE("secrets and tokens are redacted from messages") {
  Credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "FwoGZXIvYXdzEJr", "environment"};
  CHECK(redact("bad secret wJalrXUtnFEMI/K7MDENG and token FwoGZXIvYXdzEJr", c) == "bad secret **** and token ****");
  AwsError e{403, "SignatureDoesNotMatch", "The request signature we calculated does not match", false};
  CHECK(e.text() == "SignatureDoesNotMatch: The request signature we calculated does not match (HTTP 403)");
}
