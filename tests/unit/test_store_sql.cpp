// The store's one writer discipline: every table made at open, transactions that never
// interleave on a shared Store, several Stores (processes) on one directory, and writes the
// disk refuses reported as StoreError.
#include "store/inventory_tables.hpp"
#include "store/sql.hpp"
#include "store/patch_tables.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <optional>
#include <sqlite3.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

using namespace sshm;
using namespace sshm::store;

namespace {

// Runs one statement on a connection of its own (as the sqlite3 shell would) and returns
// the first column of every row.
std::vector<std::string> raw_query(const std::filesystem::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    out.emplace_back(sqlite3_column_text(st, 0) ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) : "");
  CHECK(rc == SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

InvocationRecord sql_invocation(const std::string& command_id, const std::string& host) {
  InvocationRecord r;
  r.command_id = command_id;
  r.instance_id = host;
  r.document_name = "AWS-RunShellScript";
  r.status = "Success";
  r.status_details = "Success";
  PluginRecord p;
  p.name = "step";
  p.plugin = "aws:runShellScript";
  r.plugins = {p};
  return r;
}

CommandRecord command(const std::string& id) {
  CommandRecord c;
  c.command_id = id;
  c.document_name = "AWS-RunShellScript";
  c.requested_date_time = "2026-01-01T00:00:00.000Z";
  return c;
}

// Packages shared by every host (stored once) and one of the host's own.
std::vector<InventoryRow> packages(const std::string& host) {
  std::vector<InventoryRow> rows;
  for (int p = 0; p < 20; ++p)
    rows.push_back({{"Name", fmt::format("pkg-{}", p)}, {"Version", fmt::format("1.{}", p % 3)}});
  rows.push_back({{"Name", "own-" + host}, {"Version", "1"}});
  return rows;
}

void write_patch(Store& store, const std::string& host) {
  PatchOperationRow op{host, "Scan", "Success", "", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z",
                       {{"ComplianceStatus", "NON_COMPLIANT"}}};
  std::vector<PatchItemRow> items = {
      {"openssl", "amd64", "Missing", "3.0.1", "3.0.2", "CRITICAL", {{"Name", "openssl"}}},
      {"bash", "amd64", "Installed", "5.2", "5.2", "UNSPECIFIED", {{"Name", "bash"}}}};
  save_patch_operation(store, op, PatchStateRow{"Debian", "b-1", "NON_COMPLIANT", "CRITICAL", op.end_time}, items);
}

} // namespace

TEST_CASE("every table exists right after a fresh store is opened") {
  TempDir tmp;
  auto store = Store::open(tmp.path / "state");
  std::vector<std::string> tables =
      raw_query(tmp.path / "state" / "sshm.db", "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  for (const char* want : {"command_runs", "commands", "inventory_current", "inventory_entries", "inventory_hosts",
                           "inventory_snapshot_entries", "inventory_snapshots", "inventory_types", "invocations",
                           "patch_items", "patch_operations", "patch_summaries", "plugins", "compliance_items"}) {
    CAPTURE(want);
    CHECK(std::find(tables.begin(), tables.end(), want) != tables.end());
  }
  // Reads of the empty tables work before anything was written.
  CHECK(load_patch_states(*store).empty());
  CHECK(InventoryTables(*store).hosts().empty());
  // Writing compliance first, on a fresh store, works too (`run AWS-RunPatchBaseline` before any `patch scan`).
  write_patch(*store, "h1");
  CHECK(patch_history(*store, "h1").size() == 1);
}

TEST_CASE("a version 2 store whose tables were made on first use migrates and keeps its rows") {
  TempDir tmp;
  Store::open(tmp.path).reset();
  // What an earlier sshm left: its ad hoc tables with a row, at schema version 2.
  raw_query(tmp.path / "sshm.db",
            "INSERT INTO patch_operations (host, operation, status, error, start_time, end_time, summary_json) "
            "VALUES ('old', 'Scan', 'Success', '', 't0', 't1', '{}')");
  raw_query(tmp.path / "sshm.db", "PRAGMA user_version=2");
  // Tables of later migrations did not exist then.
  const std::vector<std::string> then = {"commands", "invocations", "plugins", "command_runs", "inventory_hosts",
                                         "inventory_types", "inventory_entries", "inventory_snapshots",
                                         "inventory_snapshot_entries", "inventory_current", "patch_summaries",
                                         "patch_items", "patch_operations", "sqlite_sequence"};
  for (const std::string& table :
       raw_query(tmp.path / "sshm.db", "SELECT name FROM sqlite_master WHERE type = 'table'"))
    if (std::find(then.begin(), then.end(), table) == then.end())
      raw_query(tmp.path / "sshm.db", ("DROP TABLE " + table).c_str());
  auto store = Store::open(tmp.path);
  CHECK(raw_query(tmp.path / "sshm.db", "PRAGMA user_version") == std::vector<std::string>{std::to_string(schema_version())});
  REQUIRE(patch_history(*store, "old").size() == 1);
  CHECK(patch_history(*store, "old")[0].end_time == "t1");
}

TEST_CASE("16 threads write invocations, inventory and compliance through two stores on one directory") {
  TempDir tmp;
  // Two Stores on one directory, as two sshm processes would have.
  std::unique_ptr<Store> stores[2] = {Store::open(tmp.path), Store::open(tmp.path)};
  stores[0]->begin_command(command("c1"), {});
  InventoryTables inventories[2] = {InventoryTables(*stores[0]), InventoryTables(*stores[1])};
  const int threads = 16, per_thread = 12;
  std::vector<std::string> errors(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Store& store = *stores[t % 2];
      InventoryTables& inventory = inventories[t % 2];
      try {
        for (int i = 0; i < per_thread; ++i) {
          std::string host = fmt::format("host-{}-{}", t, i);
          store.save_invocations({sql_invocation("c1", host)});
          std::vector<InventoryRow> rows = packages(host);
          std::vector<InventoryRow> info = {{{"PlatformName", "Debian GNU/Linux"}}};
          inventory.write({host, "dpkg",
                           {{"AWS:Application", "1.1", "2026-01-01T00:00:00Z", &rows},
                            {"AWS:InstanceInformation", "1.0", "2026-01-01T00:00:00Z", &info}},
                           true});
          write_patch(store, host);
          // Reads between the writes, on the same connection.
          if (store.invocation_status_counts("c1").empty()) throw std::runtime_error("no invocations read back");
          if (inventory.current(host).size() != 2) throw std::runtime_error("snapshot not read back");
        }
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(t)] = e.what();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (int t = 0; t < threads; ++t) CHECK(errors[static_cast<size_t>(t)] == "");

  auto fresh = Store::open(tmp.path);
  CHECK(fresh->get_invocations("c1").size() == static_cast<size_t>(threads * per_thread));
  CHECK(load_patch_states(*fresh).size() == static_cast<size_t>(threads * per_thread));
  InventoryTables inventory(*fresh);
  CHECK(inventory.hosts().size() == static_cast<size_t>(threads * per_thread));
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; ++i) {
      std::string host = fmt::format("host-{}-{}", t, i);
      CAPTURE(host);
      auto current = inventory.current(host, "AWS:Application");
      REQUIRE(current.size() == 1);
      CHECK(current[0].content == packages(host));
      CHECK(patch_history(*fresh, host).size() == 1);
    }
  // Shared packages are stored once, whatever store or thread wrote them first.
  CHECK(inventory.entries("AWS:Application", std::string("pkg-1"), std::nullopt).size() == 1);
}

TEST_CASE("a write the disk refuses throws a StoreError naming the store; nothing is half written") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  store->begin_command(command("c1"), {sql_invocation("c1", "h1")});

  // The kernel refuses to grow any file of this process past its current WAL size: as a full disk.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = std::filesystem::file_size(tmp.path / "sshm.db-wal") + 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  InvocationRecord big = sql_invocation("c1", "h2");
  big.standard_output_content = std::string(4 << 20, 'x');
  std::optional<StoreError> error;
  try {
    store->save_invocations({big});
  } catch (const StoreError& e) {
    error = e;
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  REQUIRE(error.has_value());
  CHECK((error->kind() == StoreError::Kind::disk_full || error->kind() == StoreError::Kind::io));
  CHECK(std::string(error->what()).find((tmp.path / "sshm.db").string()) != std::string::npos);
  CHECK(std::string(error->what()).find("cannot write") != std::string::npos);
  // The failed transaction left nothing behind and the store goes on.
  CHECK(store->get_invocations("c1").size() == 1);
  store->save_invocations({sql_invocation("c1", "h3")});
  CHECK(store->get_invocations("c1").size() == 2);
}
