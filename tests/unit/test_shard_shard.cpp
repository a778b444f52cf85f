#include "shard/shard.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>

using namespace sshm;

TEST_CASE("fnv1a is the 64-bit FNV-1a of the bytes") {
  CHECK(shard::fnv1a("") == 14695981039346656037ULL);
  CHECK(shard::fnv1a("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(shard::fnv1a("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("a host keeps its shard when hosts are added, and shards are balanced") {
  std::map<std::string, int> before;
  for (int i = 0; i < 1000; ++i) {
    std::string name = fmt::format("web-{:04}", i);
    before[name] = shard::shard_of(name, 4);
  }
  std::map<int, int> sizes;
  for (int i = 0; i < 2000; ++i) {
    std::string name = fmt::format("web-{:04}", i);
    int s = shard::shard_of(name, 4);
    CHECK(s >= 1);
    CHECK(s <= 4);
    if (before.count(name)) CHECK(before[name] == s);
    ++sizes[s];
  }
  for (const auto& [s, n] : sizes) {
    CHECK(n > 400);
    CHECK(n < 600);
  }
  CHECK(shard::shard_of("anything", 1) == 1);
}

TEST_CASE("--shard and --shard-from-env") {
  CHECK(shard::parse_shard("2/4").index == 2);
  CHECK(shard::parse_shard("2/4").count == 4);
  for (const char* bad : {"0/4", "5/4", "1/0", "a/b", "1/", "/4", "1/4x", "-1/4", "1/4/5", ""})
    CHECK_THROWS_AS(shard::parse_shard(bad), InputError);
  std::map<std::string, std::string> env = {{"JOB_COMPLETION_INDEX", "0"}, {"SSHM_SHARDS", "4"}};
  auto get = [&](const std::string& k) { return env.count(k) ? env[k] : std::string(); };
  CHECK(shard::shard_from_env(get).index == 1);
  env["JOB_COMPLETION_INDEX"] = "3";
  CHECK(shard::shard_from_env(get).index == 4);
  env["JOB_COMPLETION_INDEX"] = "4";
  CHECK_THROWS_AS(shard::shard_from_env(get), InputError);
  env.erase("SSHM_SHARDS");
  CHECK_THROWS_AS(shard::shard_from_env(get), InputError);
}

TEST_CASE("each shard's share of MaxErrors") {
  CHECK(shard::error_share("10", 10, 40) == "2");
  CHECK(shard::error_share("10", 11, 40) == "2");
  CHECK(shard::error_share("3", 10, 40) == "0");
  CHECK(shard::error_share("0", 10, 40) == "0");
  CHECK(shard::error_share("40", 10, 40) == "10");
  CHECK(shard::error_share("25%", 10, 40) == "25%");
}

TEST_CASE("--command-id must be a UUID") {
  CHECK(shard::validate_command_id("9D3C6F0E-7A41-4B8E-9B1F-2C5D8E7A6B40") == "9d3c6f0e-7a41-4b8e-9b1f-2c5d8e7a6b40");
  for (const char* bad : {"", "x", "9d3c6f0e-7a41-4b8e-9b1f-2c5d8e7a6b4", "9d3c6f0e-7a41-4b8e-9b1f-2c5d8e7a6b4g",
                          "9d3c6f0e7a41-4b8e-9b1f-2c5d8e7a6b40a", "../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaa"})
    CHECK_THROWS_AS(shard::validate_command_id(bad), InputError);
}
