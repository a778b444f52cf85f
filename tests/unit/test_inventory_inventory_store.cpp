#include "inventory/export.hpp"
#include "inventory/inventory_store.hpp"
#include "inventory/query.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sqlite3.h>
#include <sstream>
#include <unistd.h>

using namespace sshm;
using namespace sshm::inventory;

namespace {

// A state store in a fresh directory for one test, removed at scope exit.
struct Db {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  Db() {
    char tmpl[] = "/tmp/sshm-inventory-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    store = store::Store::open(dir);
  }
  ~Db() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // Runs SQL on a connection of its own, as another process would.
  int exec(const char* sql, std::string* first_column = nullptr) const {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "sshm.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      if (rc == SQLITE_ROW && first_column) *first_column = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
  }
};

InventoryItem apps(std::vector<std::pair<std::string, std::string>> packages, const std::string& time,
                   const std::string& suffix = ".deb") {
  InventoryItem item{"AWS:Application", "1.1", time, {}};
  for (auto& [name, version] : packages)
    item.content.push_back({{"Name", name}, {"Version", version}, {"Architecture", "x86_64"},
                            {"PackageId", name + "_" + version + suffix}});
  return item;
}

InventoryItem info(const std::string& platform, const std::string& version, const std::string& time) {
  return {"AWS:InstanceInformation", "1.0", time,
          {{{"PlatformName", platform}, {"PlatformVersion", version}, {"PlatformType", "Linux"}}}};
}

std::vector<std::string> host_names(const std::vector<QueryMatch>& m) {
  std::vector<std::string> out;
  for (const auto& x : m) out.push_back(x.host);
  return out;
}

std::vector<std::string> query(const InventoryStore& s, const std::string& text) {
  auto q = parse_query(text);
  check_names(*q, s, text);
  return host_names(run_query(s, *q));
}

InputError query_error(const InventoryStore& s, const std::string& text) {
  try {
    auto q = parse_query(text);
    check_names(*q, s, text);
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError for " << text);
  return InputError("unreachable");
}

// Three hosts: two Debian (dpkg) and one Rocky (rpm).
void fill(InventoryStore& s) {
  const std::string t = "2026-01-01T00:00:00Z";
  s.store_snapshot("web-01", "dpkg",
                   {info("Debian GNU/Linux", "12", t),
                    apps({{"openssl", "3.0.11-1~deb12u2"}, {"bash", "5.2.15-2+b8"}, {"curl", "7.88.1-10"}}, t)});
  s.store_snapshot("web-02", "dpkg",
                   {info("Debian GNU/Linux", "12", t),
                    apps({{"openssl", "3.0.13-1~deb12u1"}, {"bash", "5.2.15-2+b8"}, {"telnet", "0.17+2.4-2"}}, t)});
  s.store_snapshot("db-01", "rpm",
                   {info("Rocky Linux", "9.3", t), apps({{"openssl", "3.0.7"}, {"bash", "5.1.8"}}, t, ".rpm")});
}

} // namespace

TEST_CASE("snapshots are stored per host and type, and read back in SSM's shape") {
  Db db;
  InventoryStore s(*db.store);
  InventoryStore again(*db.store);  // two views of one store share it
  fill(s);
  auto items = s.current("web-01");
  REQUIRE(items.size() == 2);
  CHECK(items[0].type_name == "AWS:Application");
  CHECK(items[0].schema_version == "1.1");
  CHECK(items[0].content.size() == 3);
  CHECK(items[0].content[0].at("Name") == "openssl");
  CHECK(s.current("web-01", "AWS:InstanceInformation").size() == 1);
  CHECK(s.hosts().size() == 3);
  CHECK(s.find_host("db-01")->package_manager == "rpm");
  auto j = item_to_json(items[0]);
  CHECK(j["TypeName"] == "AWS:Application");
  CHECK(j["Content"][0]["Version"] == "3.0.11-1~deb12u2");
}

TEST_CASE("query: equality, version order by package manager, glob, AND/OR/NOT") {
  Db db;
  InventoryStore s(*db.store);
  fill(s);
  using V = std::vector<std::string>;
  CHECK(query(s, "AWS:Application.Name = openssl") == V{"db-01", "web-01", "web-02"});
  // dpkg: 3.0.11-1~deb12u2 < 3.0.13 but 3.0.13-1~deb12u1 is not; rpm: 3.0.7 < 3.0.13.
  CHECK(query(s, "AWS:Application.Name = openssl AND AWS:Application.Version < 3.0.13") == V{"db-01", "web-01"});
  CHECK(query(s, "AWS:Application.Name = openssl and AWS:Application.Version >= '3.0.13'") == V{"web-02"});
  CHECK(query(s, "AWS:Application.Name ~ tel*") == V{"web-02"});
  CHECK(query(s, "AWS:Application.Name ~ '*ur*'") == V{"web-01"});
  CHECK(query(s, "NOT AWS:Application.Name = telnet") == V{"db-01", "web-01"});
  CHECK(query(s, "AWS:InstanceInformation.PlatformName = \"Rocky Linux\" OR AWS:Application.Name = curl") ==
        V{"db-01", "web-01"});
  // Version order, not text order ("9.3" > "10" as text).
  CHECK(query(s, "AWS:InstanceInformation.PlatformVersion >= 10") == V{"web-01", "web-02"});
  CHECK(query(s, "AWS:InstanceInformation.PlatformVersion < 10") == V{"db-01"});
  CHECK(query(s, "AWS:Application.Name = bash AND AWS:Application.Name = curl") == V{"web-01"});
  CHECK(query(s, "AWS:Application.Name = openssl AND NOT AWS:Application.Version >= 3.0.13") ==
        V{"db-01", "web-01"});
  CHECK(query(s, "(AWS:Application.Name = bash AND AWS:Application.Version > 5.2) AND NOT "
                 "AWS:Application.Name = telnet") == V{"web-01"});
  // Conditions on one type hold within one row: no host has curl at version 5.
  CHECK(query(s, "AWS:Application.Name = curl AND AWS:Application.Version = 5.2.15-2+b8") == V{});
}

TEST_CASE("query: each host's versions compare by its own package manager") {
  Db db;
  InventoryStore s(*db.store);
  // The same version text on an Alpine host and a Debian host: apk sorts _rc1 before the
  // release, dpkg sorts '_' after the end of the string; rpm ignores a missing release.
  s.store_snapshot("alpine-01", "apk", {apps({{"busybox", "1.2_rc1-r0"}}, "2024-05-01T10:00:00Z", ".apk")});
  s.store_snapshot("deb-01", "dpkg", {apps({{"busybox", "1.2_rc1-r0"}}, "2024-05-01T10:00:00Z")});
  s.store_snapshot("rocky-01", "rpm", {apps({{"busybox", "1.2-"}}, "2024-05-01T10:00:00Z", ".rpm")});
  using V = std::vector<std::string>;
  CHECK(query(s, "AWS:Application.Name = busybox AND AWS:Application.Version < 1.2-r0") == V{"alpine-01"});
  CHECK(query(s, "AWS:Application.Name = busybox AND AWS:Application.Version > 1.2-r0") == V{"deb-01"});
  CHECK(query(s, "AWS:Application.Name = busybox AND AWS:Application.Version = 1.2-1") == V{"rocky-01"});
  // A 20-digit epoch compares as a number and throws nothing.
  CHECK(query(s, "AWS:Application.Version < 99999999999999999999:1.0") == V{"alpine-01", "deb-01", "rocky-01"});
}

TEST_CASE("query results carry the matching rows") {
  Db db;
  InventoryStore s(*db.store);
  fill(s);
  auto q = parse_query("AWS:Application.Name = openssl AND AWS:Application.Version < 3.0.13");
  auto m = run_query(s, *q);
  REQUIRE(m.size() == 2);
  CHECK(m[1].host == "web-01");
  REQUIRE(m[1].rows.size() == 1);
  CHECK(m[1].rows[0]->type == "AWS:Application");
  CHECK(m[1].rows[0]->row.at("Version") == "3.0.11-1~deb12u2");
}

TEST_CASE("query errors give the column and a did-you-mean") {
  Db db;
  InventoryStore s(*db.store);
  fill(s);
  auto e = query_error(s, "AWS:Aplication.Name = openssl");
  CHECK(e.where().column == 1);
  CHECK(e.suggestion() == "AWS:Application");
  auto a = query_error(s, "AWS:Application.Name = x AND AWS:Application.Vresion < 3");
  CHECK(a.where().column == 46);
  CHECK(a.suggestion() == "Version");
  auto p = query_error(s, "(AWS:Application.Name = x");
  CHECK(std::string(p.what()).find("expected ')'") != std::string::npos);
  CHECK(p.where().column == 26);
  CHECK(std::string(query_error(s, "AWS:Application.Name openssl").what()).find("expected an operator") !=
        std::string::npos);
  CHECK(std::string(query_error(s, "AWS:Application.Name = 'x").what()).find("unterminated") != std::string::npos);
  CHECK(query_error(s, "Name = x").where().column == 1);
  CHECK(query_error(s, "AWS:Application.Name = x OR").formatted().rfind("query:1:28:", 0) == 0);
}

TEST_CASE("count-by summarises the fleet by one attribute") {
  Db db;
  InventoryStore s(*db.store);
  fill(s);
  auto counts = count_by(s, {"web-01", "web-02", "db-01"}, "AWS:InstanceInformation.PlatformVersion");
  REQUIRE(counts.size() == 2);
  CHECK(counts[0] == std::make_pair(std::string("12"), 2));
  CHECK(counts[1] == std::make_pair(std::string("9.3"), 1));
  CHECK_THROWS_AS(count_by(s, {}, "AWS:InstanceInformation.PlatformVersoin"), InputError);
}

TEST_CASE("diff shows rows added, removed and changed since the previous collection") {
  Db db;
  InventoryStore s(*db.store);
  fill(s);
  const std::string t2 = "2026-01-02T00:00:00Z";
  s.store_snapshot("web-01", "dpkg",
                   {info("Debian GNU/Linux", "12", t2),
                    apps({{"openssl", "3.0.13-1~deb12u1"}, {"bash", "5.2.15-2+b8"}, {"vim", "2:9.0.1378-2"}}, t2)});
  auto d = s.diff("web-01");
  REQUIRE(d.size() == 2);
  const TypeDiff& a = d[0];
  CHECK(a.type_name == "AWS:Application");
  CHECK(a.previous_capture_time == "2026-01-01T00:00:00Z");
  CHECK(a.capture_time == t2);
  REQUIRE(a.added.size() == 1);
  CHECK(a.added[0].at("Name") == "vim");
  REQUIRE(a.removed.size() == 1);
  CHECK(a.removed[0].at("Name") == "curl");
  REQUIRE(a.changed.size() == 1);
  CHECK(a.changed[0].first.at("Version") == "3.0.11-1~deb12u2");
  CHECK(a.changed[0].second.at("Version") == "3.0.13-1~deb12u1");
  CHECK(d[1].added.empty());
  CHECK(d[1].changed.empty());
  // The query sees only the current snapshot.
  CHECK(query(s, "AWS:Application.Name = curl").empty());
}

TEST_CASE("history keeps the last snapshots only; custom types a host stops reporting go away") {
  Db db;
  InventoryStore s(*db.store);
  for (int i = 0; i < InventoryStore::k_history + 3; ++i)
    s.store_snapshot("h", "dpkg", {apps({{"pkg", std::to_string(i)}}, "2026-01-01T00:00:00Z")});
  std::string count;
  REQUIRE(db.exec("SELECT count(*) FROM inventory_snapshots", &count) == SQLITE_OK);
  CHECK(count == std::to_string(InventoryStore::k_history));
  InventoryItem custom{"Custom:Rack", "1.0", "2026-01-01T00:00:00Z", {{{"Rack", "R1"}}}};
  s.store_snapshot("h", "dpkg", {custom}, true);
  CHECK(s.current("h", "Custom:Rack").size() == 1);
  custom.content[0]["Rack"] = "R2";
  s.store_snapshot("h", "dpkg", {custom}, true);
  auto d = s.diff("h");
  REQUIRE(d.size() == 2);
  CHECK(d[1].type_name == "Custom:Rack");
  REQUIRE(d[1].changed.size() == 1);  // one object changed, not one removed and one added
  CHECK(d[1].changed[0].second.at("Rack") == "R2");
  s.store_snapshot("h", "dpkg", {}, true);
  CHECK(s.current("h", "Custom:Rack").empty());
  CHECK(s.current("h", "AWS:Application").size() == 1);
}

TEST_CASE("export writes Resource Data Sync's layout as JSON Lines") {
  Db db;
  InventoryStore s(*db.store);
  fill(s);
  auto dir = std::filesystem::temp_directory_path() / ("sshm-export-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ExportOptions o;
  o.account_id = "123456789012";
  o.region = "eu-west-1";
  auto summary = export_to_dir(s, dir, o);
  CHECK(summary.hosts == 3);
  CHECK(summary.files == 6);
  auto file = dir / "AWS:Application/accountid=123456789012/region=eu-west-1/resourcetype=ManagedInstanceInventory/web-01.json";
  REQUIRE(std::filesystem::exists(file));
  std::ifstream in(file);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j["resourceId"] == "web-01");
    CHECK(j["captureTime"] == "2026-01-01T00:00:00Z");
    CHECK(j["schemaVersion"] == "1.1");
    CHECK(j.contains("Name"));
    ++n;
  }
  CHECK(n == 3);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a batch of collections: a failing host costs only its own snapshot") {
  Db d;
  InventoryStore store(*d.store);
  // A real SQLite failure for one host, in the middle of the others.
  REQUIRE(d.exec("CREATE TRIGGER refuse_bad BEFORE INSERT ON inventory_hosts WHEN NEW.name = 'bad' "
                 "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;") == SQLITE_OK);
  const int hosts = 80;
  std::vector<std::string> names, package_managers(hosts, "dpkg");
  std::vector<std::vector<InventoryItem>> items;
  for (int n = 0; n < hosts; ++n) {
    names.push_back(n == 37 ? "bad" : "host-" + std::to_string(n));
    items.push_back({info("Debian GNU/Linux", "12", "2026-01-01T00:00:00Z"),
                     apps({{"openssl", "3.0." + std::to_string(n % 5)}, {"bash", "5.2"}}, "2026-01-01T00:00:00Z")});
  }
  std::vector<InventoryStore::Collection> batch;
  for (int n = 0; n < hosts; ++n) {
    auto i = static_cast<size_t>(n);
    batch.push_back({&names[i], &package_managers[i], &items[i], false});
  }
  std::vector<std::string> errors = store.store_batch(batch);
  REQUIRE(errors.size() == static_cast<size_t>(hosts));
  for (int n = 0; n < hosts; ++n) {
    CAPTURE(n);
    if (n == 37) {
      CHECK(errors[37].find("refused by test trigger") != std::string::npos);
      CHECK_FALSE(store.find_host("bad"));
      continue;
    }
    CHECK(errors[static_cast<size_t>(n)].empty());
    auto current = store.current("host-" + std::to_string(n), "AWS:Application");
    REQUIRE(current.size() == 1);
    CHECK(current[0].content.size() == 2);
  }
  CHECK(store.hosts().size() == static_cast<size_t>(hosts - 1));
}
