// The inventory tables' storage: each snapshot's entries as one list, chunks of those lists
// shared between hosts as the index queries go through, and stores written by the previous
// schema (one row per snapshot entry) read and written alongside.
#include "store/inventory_tables.hpp"
#include "store/sql.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

using namespace sshm::store;

namespace {

// Runs SQL (several statements allowed) on a connection of its own, as another process would.
void raw_exec(const std::filesystem::path& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "sshm.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  CAPTURE(sql);
  CHECK_MESSAGE(rc == SQLITE_OK, (error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
}

// The first column of the first row of a query, as text.
std::string raw_value(const std::filesystem::path& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "sshm.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

InventoryRow package(const std::string& name, const std::string& version) {
  return {{"Name", name}, {"Version", version}, {"Architecture", "x86_64"}};
}

std::vector<std::int64_t> host_ids(const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs) {
  std::vector<std::int64_t> out;
  for (const auto& [host, entry] : pairs) out.push_back(host);
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t entry_of(const InventoryTables& tables, const std::string& name, const std::string& version) {
  for (const InventoryEntryRow& e : tables.entries("AWS:Application", name, std::nullopt))
    if (e.row.at("Version") == version) return e.id;
  FAIL("no entry ", name, " ", version);
  return 0;
}

// What sshm of schema version 8 left: an inventory with one row per snapshot entry (in
// inventory_snapshot_entries), none of the tables of lists and chunks.
void make_version_8_store(const std::filesystem::path& dir) {
  Store::open(dir).reset();
  raw_exec(dir, "DROP TABLE inventory_snapshot_lists; DROP TABLE inventory_chunks; "
                "DROP TABLE inventory_chunk_entries; DROP TABLE inventory_snapshot_chunks; PRAGMA user_version=8;");
  raw_exec(dir, R"sql(
INSERT INTO inventory_hosts(host_id, name, package_manager) VALUES (1, 'old-1', 'dpkg'), (2, 'old-2', 'rpm');
INSERT INTO inventory_types(type_id, name) VALUES (1, 'AWS:Application'), (2, 'AWS:InstanceInformation');
INSERT INTO inventory_entries(entry_id, type_id, name, content) VALUES
  (1, 1, 'openssl', '{"Architecture":"x86_64","Name":"openssl","Version":"3.0.11"}'),
  (2, 1, 'bash', '{"Architecture":"x86_64","Name":"bash","Version":"5.2"}'),
  (3, 2, '', '{"PlatformName":"Debian GNU/Linux","PlatformVersion":"12"}'),
  (4, 2, '', '{"PlatformName":"Rocky Linux","PlatformVersion":"9.3"}');
INSERT INTO inventory_snapshots(snapshot_id, host_id, type_id, schema_version, capture_time, entry_count) VALUES
  (1, 1, 1, '1.1', '2026-01-01T00:00:00Z', 2), (2, 1, 2, '1.0', '2026-01-01T00:00:00Z', 1),
  (3, 2, 1, '1.1', '2026-01-01T00:00:00Z', 1), (4, 2, 2, '1.0', '2026-01-01T00:00:00Z', 1);
INSERT INTO inventory_snapshot_entries(snapshot_id, idx, entry_id) VALUES
  (1, 0, 2), (1, 1, 1), (2, 0, 3), (3, 0, 2), (4, 0, 4);
INSERT INTO inventory_current(host_id, type_id, snapshot_id) VALUES (1, 1, 1), (1, 2, 2), (2, 1, 3), (2, 2, 4);
)sql");
}

} // namespace

TEST_CASE("a store of schema version 8 migrates; its snapshots are read, queried, diffed and trimmed") {
  TempDir tmp;
  make_version_8_store(tmp.path);
  auto store = Store::open(tmp.path);
  CHECK(raw_value(tmp.path, "PRAGMA user_version") == std::to_string(schema_version()));
  InventoryTables tables(*store);

  // Read back in their order, from the rows of links.
  auto current = tables.current("old-1", "AWS:Application");
  REQUIRE(current.size() == 1);
  CHECK(current[0].capture_time == "2026-01-01T00:00:00Z");
  CHECK(current[0].content == std::vector<InventoryRow>{package("bash", "5.2"), package("openssl", "3.0.11")});
  CHECK(tables.hosts().size() == 2);
  CHECK(host_ids(tables.hosts_with_entries({2})) == std::vector<std::int64_t>{1, 2});
  CHECK(host_ids(tables.hosts_with_entries({1})) == std::vector<std::int64_t>{1});
  auto platforms = tables.values_by_host("AWS:InstanceInformation", "PlatformVersion");
  CHECK(platforms[1] == std::set<std::string>{"12"});
  CHECK(platforms[2] == std::set<std::string>{"9.3"});

  // A new collection of old-1 is written as a list; the diff spans both forms.
  const std::vector<InventoryRow> now = {package("bash", "5.2"), package("openssl", "3.0.13")};
  tables.write({"old-1", "", {{"AWS:Application", "1.1", "2026-01-02T00:00:00Z", &now}}});
  auto history = tables.latest_two("old-1");
  REQUIRE(history.size() == 2);
  CHECK(history[0].current.content == now);
  REQUIRE(history[0].previous);
  CHECK(history[0].previous->content == std::vector<InventoryRow>{package("bash", "5.2"), package("openssl", "3.0.11")});
  CHECK(tables.find_host("old-1")->package_manager == "dpkg");  // "" keeps the known one
  // The old openssl is no longer current anywhere; bash is, on both hosts, in both forms.
  CHECK(tables.hosts_with_entries({1}).empty());
  CHECK(host_ids(tables.hosts_with_entries({entry_of(tables, "openssl", "3.0.13")})) == std::vector<std::int64_t>{1});
  CHECK(host_ids(tables.hosts_with_entries({2})) == std::vector<std::int64_t>{1, 2});

  // Trimming the history drops the old snapshot with its rows of links.
  for (int i = 0; i < InventoryTables::k_history; ++i)
    tables.write({"old-1", "dpkg", {{"AWS:Application", "1.1", "2026-01-03T00:00:00Z", &now}}});
  CHECK(raw_value(tmp.path, "SELECT count(*) FROM inventory_snapshot_entries WHERE snapshot_id = 1") == "0");
  CHECK(raw_value(tmp.path, "SELECT count(*) FROM inventory_snapshots WHERE host_id = 1 AND type_id = 1") ==
        std::to_string(InventoryTables::k_history));
  CHECK(tables.current("old-2", "AWS:Application")[0].content == std::vector<InventoryRow>{package("bash", "5.2")});
}

TEST_CASE("hosts with the same packages share chunks; each host is found through them") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  InventoryTables tables(*store);
  // Three hosts with 600 packages: b has one newer version, c one package more. Rows come in
  // no particular order and a row may repeat: both are kept as given.
  std::vector<InventoryRow> a;
  for (int p = 599; p >= 0; --p) a.push_back(package(fmt::format("pkg-{:03d}", p), "1.0"));
  a.push_back(package("pkg-007", "1.0"));
  std::vector<InventoryRow> b = a, c = a;
  b[100] = package("pkg-499", "2.0");
  c.push_back(package("extra", "1.0"));
  tables.write_batch({{"a", "dpkg", {{"AWS:Application", "1.1", "t", &a}}},
                      {"b", "dpkg", {{"AWS:Application", "1.1", "t", &b}}},
                      {"c", "dpkg", {{"AWS:Application", "1.1", "t", &c}}}});
  CHECK(tables.current("a")[0].content == a);
  CHECK(tables.current("b")[0].content == b);
  CHECK(tables.current("c")[0].content == c);

  auto id = [&](const std::string& name) { return tables.find_host(name)->id; };
  CHECK(host_ids(tables.hosts_with_entries({entry_of(tables, "pkg-000", "1.0")})) ==
        std::vector<std::int64_t>{id("a"), id("b"), id("c")});
  CHECK(host_ids(tables.hosts_with_entries({entry_of(tables, "pkg-499", "1.0")})) ==
        std::vector<std::int64_t>{id("a"), id("c")});
  CHECK(host_ids(tables.hosts_with_entries({entry_of(tables, "pkg-499", "2.0")})) ==
        std::vector<std::int64_t>{id("b")});
  CHECK(host_ids(tables.hosts_with_entries({entry_of(tables, "extra", "1.0")})) == std::vector<std::int64_t>{id("c")});
  // Every distinct entry of a snapshot is in exactly one of its chunks.
  CHECK(raw_value(tmp.path, "SELECT count(*) FROM inventory_snapshot_chunks sc JOIN inventory_chunk_entries ce "
                            "ON ce.chunk_id = sc.chunk_id JOIN inventory_current c ON c.snapshot_id = sc.snapshot_id "
                            "WHERE c.host_id = " + std::to_string(id("c"))) == "601");
  // b and c differ from a in one place each: most of their chunks are a's.
  int a_chunks = std::stoi(raw_value(tmp.path, "SELECT count(*) FROM inventory_snapshot_chunks WHERE snapshot_id = 1"));
  int all_chunks = std::stoi(raw_value(tmp.path, "SELECT count(*) FROM inventory_chunks"));
  CHECK(a_chunks > 5);
  CHECK(all_chunks <= a_chunks + 4);
  CHECK(raw_value(tmp.path, "SELECT count(*) FROM inventory_snapshot_entries") == "0");
}
