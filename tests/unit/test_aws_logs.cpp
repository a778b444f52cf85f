#include "aws/logs.hpp"

#include <doctest/doctest.h>

using namespace sshm::aws;

namespace {

size_t batch_bytes(const std::vector<LogEvent>& batch) {
  size_t n = 0;
  for (const auto& e : batch) n += e.message.size() + k_event_overhead;
  return n;
}

} // namespace

TEST_CASE("batches count 26 bytes per event against the 1,048,576-byte limit") {
  // 1000-byte messages: each costs 1026, so 1022 fit (1,048,572) and the 1023rd does not.
  std::vector<LogEvent> events(2000, LogEvent{1000, std::string(1000, 'x')});
  auto batches = make_batches(events);
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].size() == 1022);
  CHECK(batch_bytes(batches[0]) <= k_max_batch_bytes);
  CHECK(batches[1].size() == 2000 - 1022);
}

TEST_CASE("batches hold at most 10,000 events") {
  std::vector<LogEvent> events(25000, LogEvent{5, "a"});
  auto batches = make_batches(events);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].size() == 10000);
  CHECK(batches[1].size() == 10000);
  CHECK(batches[2].size() == 5000);
}

TEST_CASE("a batch never spans more than 24 hours") {
  const long long day = 24LL * 3600 * 1000;
  std::vector<LogEvent> events = {{0, "a"}, {day, "b"}, {day + 1, "c"}, {2 * day + 2, "d"}};
  auto batches = make_batches(events);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].size() == 2);  // exactly 24 h apart is still allowed
  CHECK(batches[1].front().message == "c");
  CHECK(batches[2].front().message == "d");
}

TEST_CASE("events are put in time order, keeping arrival order for equal times") {
  std::vector<LogEvent> events = {{30, "late"}, {10, "first"}, {20, "second-a"}, {20, "second-b"}};
  auto batches = make_batches(events);
  REQUIRE(batches.size() == 1);
  std::vector<std::string> got;
  for (const auto& e : batches[0]) got.push_back(e.message);
  CHECK(got == std::vector<std::string>{"first", "second-a", "second-b", "late"});
}

TEST_CASE("events over 256 KB are split, with the overhead counted, at character boundaries") {
  std::string big(600000, 'y');
  auto pieces = split_event(LogEvent{7, big});
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].message.size() == k_max_event_bytes - k_event_overhead);
  std::string joined;
  for (const auto& p : pieces) {
    CHECK(p.timestamp_ms == 7);
    CHECK(p.message.size() + k_event_overhead <= k_max_event_bytes);
    joined += p.message;
  }
  CHECK(joined == big);

  // A 3-byte character straddling the cut stays whole.
  std::string text(k_max_event_bytes - k_event_overhead - 1, 'a');
  text += "\xE2\x82\xAC";  // euro sign
  auto split = split_event(LogEvent{1, text});
  REQUIRE(split.size() == 2);
  CHECK(split[1].message == "\xE2\x82\xAC");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD") {
  CHECK(to_valid_utf8("ok\xFFok") == "ok\xEF\xBF\xBDok");
  CHECK(to_valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(to_valid_utf8("\xC3") == "\xEF\xBF\xBD");
}
