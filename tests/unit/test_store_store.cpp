#include "store/store.hpp"
#include "store/sql.hpp"

#include "util/error.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace sshm;
using namespace sshm::store;

namespace {

CommandRecord command(const std::string& id, const std::string& requested, const std::string& document = "AWS-RunShellScript",
                      const std::string& status = "Success") {
  CommandRecord c;
  c.command_id = id;
  c.document_name = document;
  c.requested_date_time = requested;
  c.status = status;
  c.status_details = status;
  return c;
}

InvocationRecord invocation(const std::string& command_id, const std::string& host, const std::string& status = "Pending") {
  InvocationRecord r;
  r.command_id = command_id;
  r.instance_id = host;
  r.document_name = "AWS-RunShellScript";
  r.status = status;
  r.status_details = status;
  return r;
}

std::vector<std::string> ids(const std::vector<CommandRecord>& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) out.push_back(c.command_id);
  return out;
}

int mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

long long count_rows(const std::filesystem::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  long long n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// Writes `batches` batches of `per_batch` invocations of one command, as one writer.
void hammer(const std::filesystem::path& dir, const std::string& command_id, const std::string& writer, int batches,
            int per_batch) {
  auto store = Store::open(dir);
  for (int b = 0; b < batches; ++b) {
    std::vector<InvocationRecord> batch;
    for (int i = 0; i < per_batch; ++i) {
      InvocationRecord r = invocation(command_id, fmt::format("{}-{}-{}", writer, b, i), "Success");
      r.standard_output_content = std::string(200, 'x');
      PluginRecord p;
      p.name = "step";
      p.plugin = "aws:runShellScript";
      r.plugins = {p, p};
      batch.push_back(std::move(r));
    }
    store->save_invocations(batch);
  }
}

} // namespace

TEST_CASE("opening creates a private directory, a 0600 database in WAL mode and the schema") {
  TempDir tmp;
  std::filesystem::path dir = tmp.path / "state" / "sshm";
  auto store = Store::open(dir);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir / "sshm.db") == 0600);
  CHECK(std::filesystem::is_directory(store->outputs_dir()));
  CHECK(count_rows(dir / "sshm.db", "PRAGMA user_version") == schema_version());
  CHECK(count_rows(dir / "sshm.db", "SELECT count(*) FROM commands") == 0);
  // WAL is a property of the file: another connection sees it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "sshm.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);

  // Reopening an existing store keeps what is in it.
  store->begin_command(command("c1", "2026-01-01T00:00:00.000Z"), {});
  store.reset();
  auto again = Store::open(dir);
  CHECK(again->find_command("c1").has_value());
}

TEST_CASE("a store written by a newer sshm is refused, not damaged") {
  TempDir tmp;
  Store::open(tmp.path).reset();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((tmp.path / "sshm.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK_THROWS_AS(Store::open(tmp.path), RuntimeError);
  CHECK(count_rows(tmp.path / "sshm.db", "PRAGMA user_version") == 99);
}

TEST_CASE("commands, invocations and plugins round-trip") {
  TempDir tmp;
  auto store = Store::open(tmp.path);

  CommandRecord c = command("0b6c5a2e-1f4e-4f1e-9f0a-1234567890ab", "2026-01-02T03:04:05.678Z");
  c.document_version = "3";
  c.comment = "ünïcode comment";
  c.parameters = {{"commands", {"echo hi", "id"}}};
  c.targets = {"tag:Env=prod", "web-*"};
  c.status = "InProgress";
  c.status_details = "In Progress";
  c.target_count = 2;
  c.max_concurrency = "10%";
  c.max_errors = "2";
  c.timeout_seconds = 600;
  c.output_s3_bucket_name = "bucket";
  c.output_s3_key_prefix = "prefix";
  c.cloudwatch_log_group = "/aws/ssm/AWS-RunShellScript";
  store->begin_command(c, {invocation(c.command_id, "web-2"), invocation(c.command_id, "web-1")});

  auto pending = store->get_invocations(c.command_id);
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].instance_id == "web-2");  // the order they were recorded in
  CHECK(pending[0].status == "Pending");
  CHECK(pending[0].response_code == -1);

  InvocationRecord done = invocation(c.command_id, "web-1", "Failed");
  done.response_code = 3;
  done.requested_date_time = "2026-01-02T03:04:05.678Z";
  done.execution_start_date_time = "2026-01-02T03:04:06.000Z";
  done.execution_end_date_time = "2026-01-02T03:04:07.000Z";
  done.standard_output_content = std::string("binary\0bytes\xFF", 13);
  done.standard_error_content = "boom";
  done.standard_output_url = "s3://bucket/prefix/x/stdout";
  done.failure_kind = "";
  done.failure_message = "";
  PluginRecord p1;
  p1.name = "first";
  p1.plugin = "aws:runShellScript";
  p1.status = "Success";
  p1.status_details = "Success";
  p1.response_code = 0;
  p1.response_start_date_time = "2026-01-02T03:04:06.000Z";
  p1.response_finish_date_time = "2026-01-02T03:04:06.500Z";
  p1.output = "ok";
  p1.stdout_path = "/tmp/x/stdout";
  p1.stdout_bytes = 3;
  PluginRecord p2 = p1;
  p2.name = "second";
  p2.status = "Failed";
  p2.response_code = 3;
  p2.stderr_path = "/tmp/x/stderr";
  p2.stderr_bytes = 5;
  p2.standard_error_url = "s3://bucket/prefix/x/stderr";
  done.plugins = {p1, p2};
  store->save_invocations({done});
  // Saving again replaces the plugins instead of adding to them.
  store->save_invocations({done});

  c.status = "Failed";
  c.status_details = "Incomplete";
  c.completed_count = 1;
  c.error_count = 1;
  c.completed_date_time = "2026-01-02T03:04:08.000Z";
  c.stop_reason = "error threshold reached";
  store->save_command(c);

  auto got = store->get_command(c.command_id);
  REQUIRE(got.has_value());
  CHECK(got->document_version == "3");
  CHECK(got->comment == c.comment);
  CHECK(got->parameters == c.parameters);
  CHECK(got->targets == c.targets);
  CHECK(got->status == "Failed");
  CHECK(got->status_details == "Incomplete");
  CHECK(got->target_count == 2);
  CHECK(got->completed_count == 1);
  CHECK(got->error_count == 1);
  CHECK(got->max_concurrency == "10%");
  CHECK(got->max_errors == "2");
  CHECK(got->timeout_seconds == 600);
  CHECK(got->output_s3_bucket_name == "bucket");
  CHECK(got->output_s3_key_prefix == "prefix");
  CHECK(got->cloudwatch_log_group == c.cloudwatch_log_group);
  CHECK(got->completed_date_time == c.completed_date_time);
  CHECK(got->stop_reason == c.stop_reason);

  auto invs = store->get_invocations(c.command_id);
  REQUIRE(invs.size() == 2);
  CHECK(invs[0].instance_id == "web-2");
  CHECK(invs[0].plugins.empty());
  const InvocationRecord& r = invs[1];
  CHECK(r.instance_id == "web-1");
  CHECK(r.status == "Failed");
  CHECK(r.response_code == 3);
  CHECK(r.requested_date_time == done.requested_date_time);
  CHECK(r.execution_start_date_time == done.execution_start_date_time);
  CHECK(r.execution_end_date_time == done.execution_end_date_time);
  CHECK(r.standard_output_content == done.standard_output_content);  // bytes kept exactly
  CHECK(r.standard_error_content == "boom");
  CHECK(r.standard_output_url == done.standard_output_url);
  REQUIRE(r.plugins.size() == 2);
  CHECK(r.plugins[0].name == "first");
  CHECK(r.plugins[0].output == "ok");
  CHECK(r.plugins[0].stdout_path == "/tmp/x/stdout");
  CHECK(r.plugins[0].stdout_bytes == 3);
  CHECK(r.plugins[0].response_finish_date_time == p1.response_finish_date_time);
  CHECK(r.plugins[1].name == "second");
  CHECK(r.plugins[1].status == "Failed");
  CHECK(r.plugins[1].response_code == 3);
  CHECK(r.plugins[1].stderr_bytes == 5);
  CHECK(r.plugins[1].standard_error_url == p2.standard_error_url);

  auto counts = store->invocation_status_counts(c.command_id);
  CHECK(counts["Failed"] == 1);
  CHECK(counts["Pending"] == 1);

  // A command ID is recorded once.
  CHECK_THROWS_AS(store->begin_command(c, {}), RuntimeError);
}

TEST_CASE("a command is found by its full ID or a unique prefix") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  store->begin_command(command("abc11111-0000-4000-8000-000000000001", "2026-01-01T00:00:00.000Z"), {});
  store->begin_command(command("abc22222-0000-4000-8000-000000000002", "2026-01-02T00:00:00.000Z"), {});
  store->begin_command(command("def33333-0000-4000-8000-000000000003", "2026-01-03T00:00:00.000Z"), {});

  CHECK(store->get_command("abc11111-0000-4000-8000-000000000001")->command_id ==
        "abc11111-0000-4000-8000-000000000001");
  CHECK(store->get_command("abc2")->command_id == "abc22222-0000-4000-8000-000000000002");
  CHECK(store->get_command("DEF")->command_id == "def33333-0000-4000-8000-000000000003");

  SUBCASE("an ambiguous prefix lists the candidates") {
    try {
      store->get_command("abc");
      FAIL("expected InputError");
    } catch (const InputError& e) {
      std::string what = e.what();
      CHECK(what.find("ambiguous") != std::string::npos);
      CHECK(what.find("abc11111-0000-4000-8000-000000000001") != std::string::npos);
      CHECK(what.find("abc22222-0000-4000-8000-000000000002") != std::string::npos);
    }
  }
  SUBCASE("an unknown ID is an input error with a suggestion") {
    try {
      store->get_command("def33334-0000-4000-8000-000000000003");
      FAIL("expected InputError");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find("no command") != std::string::npos);
      CHECK(e.suggestion() == "def33333-0000-4000-8000-000000000003");
    }
  }
  CHECK_THROWS_AS(store->get_command("zzz"), InputError);
  CHECK_THROWS_AS(store->get_command(""), InputError);
  CHECK_FALSE(store->find_command("abc").has_value());
}

TEST_CASE("list_commands filters by status, document and time, newest first") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  store->begin_command(command("c1", "2026-01-01T00:00:00.000Z", "AWS-RunShellScript", "Success"), {});
  CommandRecord incomplete = command("c2", "2026-01-05T00:00:00.000Z", "AWS-RunShellScript", "Failed");
  incomplete.status_details = "Incomplete";
  store->begin_command(incomplete, {});
  CommandRecord delivery = command("c3", "2026-01-10T00:00:00.000Z", "Custom-Doc", "TimedOut");
  delivery.status_details = "Delivery Timed Out";
  store->begin_command(delivery, {});

  CHECK(ids(store->list_commands({})) == std::vector<std::string>{"c3", "c2", "c1"});
  CHECK(ids(store->list_commands({"success", "", "", 50})) == std::vector<std::string>{"c1"});
  CHECK(ids(store->list_commands({"Failed", "", "", 50})) == std::vector<std::string>{"c2"});
  CHECK(ids(store->list_commands({"Incomplete", "", "", 50})) == std::vector<std::string>{"c2"});
  CHECK(ids(store->list_commands({"DeliveryTimedOut", "", "", 50})) == std::vector<std::string>{"c3"});
  CHECK(ids(store->list_commands({"", "AWS-RunShellScript", "", 50})) == std::vector<std::string>{"c2", "c1"});
  CHECK(ids(store->list_commands({"", "", "2026-01-05T00:00:00Z", 50})) == std::vector<std::string>{"c3", "c2"});
  CHECK(ids(store->list_commands({"", "", "2026-01-04", 50})) == std::vector<std::string>{"c3", "c2"});
  CHECK(ids(store->list_commands({"", "", "", 1})) == std::vector<std::string>{"c3"});
  CHECK(ids(store->list_commands({"", "", "", 0})).size() == 3);
}

TEST_CASE("two stores on one directory, written from two threads, lose nothing") {
  TempDir tmp;
  {
    auto store = Store::open(tmp.path);
    store->begin_command(command("shared", "2026-01-01T00:00:00.000Z"), {});
  }
  std::thread a([&] { hammer(tmp.path, "shared", "a", 60, 25); });
  std::thread b([&] { hammer(tmp.path, "shared", "b", 60, 25); });
  a.join();
  b.join();
  auto store = Store::open(tmp.path);
  auto invs = store->get_invocations("shared");
  CHECK(invs.size() == 2 * 60 * 25);
  CHECK(count_rows(tmp.path / "sshm.db", "SELECT count(*) FROM plugins") == 2 * 60 * 25 * 2);
}

TEST_CASE("one store shared by threads keeps its transactions apart") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  store->begin_command(command("shared", "2026-01-01T00:00:00.000Z"), {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int b = 0; b < 20; ++b)
        store->save_invocations({invocation("shared", fmt::format("t{}-{}-0", t, b)),
                                 invocation("shared", fmt::format("t{}-{}-1", t, b))});
    });
  for (auto& th : threads) th.join();
  CHECK(store->get_invocations("shared").size() == 4 * 20 * 2);
}

TEST_CASE("several sshm processes writing at once lose nothing and never fail") {
  TempDir tmp;
  Store::open(tmp.path)->begin_command(command("cron", "2026-01-01T00:00:00.000Z"), {});
  constexpr int k_processes = 3;
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 0;
      try {
        hammer(tmp.path, "cron", fmt::format("p{}", p), 40, 50);
        // A second command per process, created while the others write.
        Store::open(tmp.path)->begin_command(command(fmt::format("own-{}", p), "2026-01-02T00:00:00.000Z"),
                                             {invocation(fmt::format("own-{}", p), "h")});
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto store = Store::open(tmp.path);
  CHECK(store->get_invocations("cron").size() == k_processes * 40 * 50);
  CHECK(store->list_commands({}).size() == k_processes + 1);
}
