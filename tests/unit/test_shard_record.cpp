#include "shard/record.hpp"
#include "engine/status.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace sshm;

namespace {

store::InvocationRecord inv(const std::string& host, const std::string& status, const std::string& start = "") {
  store::InvocationRecord r;
  r.command_id = "c";
  r.instance_id = host;
  r.status = r.status_details = status;
  r.execution_start_date_time = start;
  return r;
}

shard::ShardRecord record(int index, int count, std::vector<store::InvocationRecord> invs, bool finished = true) {
  shard::ShardRecord r;
  r.shard = {index, count};
  r.command.command_id = "c";
  r.command.document_name = "AWS-RunShellScript";
  r.command.max_errors = "1";
  r.command.targets = {"all"};
  r.total_targets = 4;
  r.finished = finished;
  r.invocations = std::move(invs);
  return r;
}

} // namespace

TEST_CASE("keys under the command's prefix") {
  CHECK(shard::record_key("out/", "c", {1, 4}) == "out/c/sshm/shard-1-of-4.json");
  CHECK(shard::record_key("", "c", {4, 4}) == "c/sshm/shard-4-of-4.json");
  CHECK(shard::command_key("a/b", "c") == "a/b/c/sshm/command.json");
}

TEST_CASE("a record reads back as it was written") {
  store::InvocationRecord done = inv("h1", "Failed", "2026-01-01T00:00:00.000Z");
  done.response_code = 3;
  done.failure_message = "boom";
  store::PluginRecord p;
  p.name = "runShellScript";
  p.plugin = "aws:runShellScript";
  p.status = "Failed";
  done.plugins.push_back(p);
  shard::ShardRecord r = record(2, 4, {done, inv("h2", "Pending")});
  r.command_hash = "abc";
  shard::ShardRecord back = shard::record_from_json(shard::record_to_json(r).dump(), "x");
  CHECK(back.shard.index == 2);
  CHECK(back.command_hash == "abc");
  CHECK(back.command.targets == std::vector<std::string>{"all"});
  CHECK(back.command.max_errors == "1");
  REQUIRE(back.invocations.size() == 2);
  CHECK(back.invocations[0].status == "Failed");
  CHECK(back.invocations[0].response_code == 3);
  CHECK(back.invocations[0].failure_message == "boom");
  CHECK(back.invocations[0].plugins.at(0).plugin == "aws:runShellScript");
  CHECK(back.invocations[1].status == "Pending");
  CHECK_THROWS_AS(shard::record_from_json("{\"x\":1}", "s3://b/k"), RuntimeError);
  CHECK_THROWS_AS(shard::record_from_json("not json", "s3://b/k"), RuntimeError);
}

TEST_CASE("a restarted shard runs only hosts that never started in either record") {
  store::CommandRecord cmd;
  cmd.command_id = "c";
  cmd.requested_date_time = "2026-01-01T00:00:00.000Z";
  std::vector<store::InvocationRecord> remote = {inv("a", "Success"), inv("b", "InProgress"), inv("c", "Pending"),
                                                 inv("d", "Pending")};
  std::vector<store::InvocationRecord> local = {inv("d", "InProgress", "2026-01-01T00:00:01.000Z")};
  auto rows = shard::resume_rows({"a", "b", "c", "d", "e"}, cmd, local, remote);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].status == "Success");
  CHECK_FALSE(engine::never_started(rows[1]));  // started per S3: never run again
  CHECK(rows[1].status_details == engine::k_in_flight_at_interruption);
  CHECK(engine::never_started(rows[2]));
  CHECK_FALSE(engine::never_started(rows[3]));  // started per the local store
  CHECK(engine::never_started(rows[4]));        // new in the shard
}

TEST_CASE("shards join into one command aggregated as one") {
  auto all = shard::combine({record(1, 2, {inv("a", "Success"), inv("b", "Success")}),
                             record(2, 2, {inv("c", "Success"), inv("d", "Success")})});
  CHECK(all.invocations.size() == 4);
  CHECK(all.command.status == "Success");
  CHECK(all.command.target_count == 4);
  CHECK(all.missing.empty());

  // MaxErrors 1 of the whole command: two errors over two shards fail it.
  auto failed = shard::combine({record(1, 2, {inv("a", "Failed"), inv("b", "Success")}),
                                record(2, 2, {inv("c", "Failed"), inv("d", "Success")})});
  CHECK(failed.command.status == "Failed");
  CHECK(failed.command.error_count == 2);

  auto missing = shard::combine({record(1, 2, {inv("a", "Success"), inv("b", "Success")}), std::nullopt});
  CHECK(missing.missing == std::vector<int>{2});
  CHECK(missing.command.status == "Failed");
  CHECK(missing.command.status_details == "Incomplete");
  CHECK(missing.command.target_count == 4);

  auto running = shard::combine({record(1, 2, {inv("a", "Success"), inv("b", "InProgress")}, false), std::nullopt});
  CHECK(running.command.status == "InProgress");
}
