#include "util/error.hpp"
#include "util/time.hpp"

#include <doctest/doctest.h>

using namespace sshm;

TEST_CASE("parse_iso8601 reads the forms sshm writes and users give") {
  CHECK(iso8601_ms(parse_iso8601("2026-11-28T06:44:48.123Z")) == "2026-11-28T06:44:48.123Z");
  CHECK(iso8601_s(parse_iso8601("2026-11-28T06:44:48Z")) == "2026-11-28T06:44:48Z");
  CHECK(iso8601_s(parse_iso8601("2026-11-28")) == "2026-11-28T00:00:00Z");
  CHECK(iso8601_s(parse_iso8601("2026-11-28T06:44:48")) == "2026-11-28T06:44:48Z");
}

TEST_CASE("an offset is applied, not read as UTC") {
  CHECK(iso8601_s(parse_iso8601("2026-12-02T10:00:00+05:00")) == "2026-12-02T05:00:00Z");
  CHECK(iso8601_s(parse_iso8601("2026-12-02T01:00:00-02:30")) == "2026-12-02T03:30:00Z");
}

TEST_CASE("impossible dates and trailing text are refused") {
  CHECK_THROWS_AS(parse_iso8601("2026-02-31T00:00:00Z"), InputError);
  CHECK_THROWS_AS(parse_iso8601("2026-12-02garbage"), InputError);
  CHECK_THROWS_AS(parse_iso8601("2026-13-01"), InputError);
  CHECK_THROWS_AS(parse_iso8601("2026-12-02T25:00:00Z"), InputError);
  CHECK_THROWS_AS(parse_iso8601(""), InputError);
  try {
    parse_iso8601("2026-02-31T00:00:00Z");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("'2026-02-31T00:00:00Z' is not a valid date") != std::string::npos);
  }
}
