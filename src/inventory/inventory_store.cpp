#include "inventory/inventory_store.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace sshm::inventory {

namespace {

// One prepared statement, finalized on scope exit.
class Stmt {
public:
  Stmt(sqlite3* db, const char* sql) : m_db(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK)
      throw RuntimeError(fmt::format("inventory store: {} ({})", sqlite3_errmsg(db), sql));
  }
  ~Stmt() { sqlite3_finalize(m_stmt); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(m_stmt, i, v);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True while there is a row.
  bool step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw RuntimeError(fmt::format("inventory store: {}", sqlite3_errmsg(m_db)));
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(m_stmt, col);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string();
  }
  bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }

private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw RuntimeError(fmt::format("inventory store: {}", msg));
  }
}

constexpr const char* k_schema = R"SQL(
CREATE TABLE IF NOT EXISTS inventory_hosts(
  host_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  package_manager TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS inventory_types(
  type_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS inventory_entries(
  entry_id INTEGER PRIMARY KEY,
  type_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  content TEXT NOT NULL,
  UNIQUE(type_id, content));
CREATE INDEX IF NOT EXISTS inventory_entries_by_name ON inventory_entries(type_id, name);
CREATE TABLE IF NOT EXISTS inventory_snapshots(
  snapshot_id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL,
  type_id INTEGER NOT NULL,
  schema_version TEXT NOT NULL,
  capture_time TEXT NOT NULL,
  entry_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inventory_snapshots_by_host ON inventory_snapshots(host_id, type_id, snapshot_id);
CREATE TABLE IF NOT EXISTS inventory_snapshot_entries(
  snapshot_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  entry_id INTEGER NOT NULL,
  PRIMARY KEY(snapshot_id, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inventory_snapshot_entries_by_entry ON inventory_snapshot_entries(entry_id, snapshot_id);
CREATE TABLE IF NOT EXISTS inventory_current(
  host_id INTEGER NOT NULL,
  type_id INTEGER NOT NULL,
  snapshot_id INTEGER NOT NULL UNIQUE,
  PRIMARY KEY(host_id, type_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inventory_current_by_type ON inventory_current(type_id, snapshot_id);
)SQL";

std::string row_text(const Row& row) { return row_to_json(row).dump(); }

Row row_from_text(const std::string& text) {
  Row r;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return r;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) r[k] = v.get<std::string>();
  return r;
}

// The identity of a row for diffs: the attributes that name it, per type.
std::string row_key(const std::string& type, const Row& row) {
  auto get = [&](const char* k) {
    auto it = row.find(k);
    return it == row.end() ? std::string() : it->second;
  };
  if (type == "AWS:Application" || type == "AWS:AWSComponent") return get("Name") + "\x1f" + get("Architecture");
  if (type == "AWS:File") return get("InstalledDir") + "/" + get("Name");
  if (type == "sshm:Process") return get("Pid");
  if (type == "AWS:InstanceInformation" || type == "AWS:InstanceDetailedInformation") return "";
  if (row.count("Name")) return get("Name");
  return row_text(row);
}

} // namespace

InventoryStore::InventoryStore(sqlite3* db) : m_db(db) {
  // Snapshot links are indexed by entry, so each host's rows land on as many index pages as
  // it has packages: a page cache of 64 MB (SQLite's default is 2 MB) keeps a fleet's index
  // hot instead of re-reading it for every host. Allocated only as pages are used.
  exec(m_db, "PRAGMA cache_size = -65536");
  exec(m_db, k_schema);
}

InventoryStore::~InventoryStore() {
  if (m_in_batch) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void InventoryStore::begin() {
  exec(m_db, "BEGIN IMMEDIATE");
  m_in_batch = true;
}

void InventoryStore::commit() {
  exec(m_db, "COMMIT");
  m_in_batch = false;
}

void InventoryStore::abandon() {
  if (m_in_batch) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  m_in_batch = false;
  m_entry_cache.clear();
  m_type_ids.clear();
}

std::int64_t InventoryStore::host_id(const std::string& name, const std::string& package_manager) {
  Stmt up(m_db,
          "INSERT INTO inventory_hosts(name, package_manager) VALUES(?1, ?2) "
          "ON CONFLICT(name) DO UPDATE SET package_manager = CASE WHEN ?2 = '' THEN package_manager ELSE ?2 END");
  up.bind(1, name).bind(2, package_manager).run();
  Stmt q(m_db, "SELECT host_id FROM inventory_hosts WHERE name = ?1");
  q.bind(1, name);
  q.step();
  return q.int64(0);
}

std::optional<std::int64_t> InventoryStore::find_type_id(const std::string& name) const {
  if (auto it = m_type_ids.find(name); it != m_type_ids.end()) return it->second;
  Stmt q(m_db, "SELECT type_id FROM inventory_types WHERE name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return q.int64(0);
}

std::int64_t InventoryStore::type_id(const std::string& name) {
  if (auto id = find_type_id(name)) return m_type_ids[name] = *id;
  Stmt ins(m_db, "INSERT INTO inventory_types(name) VALUES(?1)");
  ins.bind(1, name).run();
  return m_type_ids[name] = sqlite3_last_insert_rowid(m_db);
}

std::int64_t InventoryStore::entry_id(std::int64_t type, const Row& row) {
  std::string content = row_text(row);
  std::string key = std::to_string(type) + ":" + content;
  auto& cache = m_entry_cache;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  Stmt q(m_db, "SELECT entry_id FROM inventory_entries WHERE type_id = ?1 AND content = ?2");
  q.bind(1, type).bind(2, content);
  std::int64_t id;
  if (q.step()) {
    id = q.int64(0);
  } else {
    auto name = row.find("Name");
    Stmt ins(m_db, "INSERT INTO inventory_entries(type_id, name, content) VALUES(?1, ?2, ?3)");
    ins.bind(1, type).bind(2, name == row.end() ? std::string() : name->second).bind(3, content).run();
    id = sqlite3_last_insert_rowid(m_db);
  }
  cache[key] = id;
  return id;
}

void InventoryStore::store_snapshot(const std::string& host, const std::string& package_manager,
                                    const std::vector<InventoryItem>& items, bool replace_custom) {
  bool own = !m_in_batch;
  // Inside a batch a savepoint keeps one host's failure from leaving half its rows behind.
  exec(m_db, own ? "BEGIN IMMEDIATE" : "SAVEPOINT sshm_snapshot");
  try {
    std::int64_t hid = host_id(host, package_manager);
    Stmt snap(m_db,
              "INSERT INTO inventory_snapshots(host_id, type_id, schema_version, capture_time, entry_count) "
              "VALUES(?1, ?2, ?3, ?4, ?5)");
    Stmt link(m_db, "INSERT INTO inventory_snapshot_entries(snapshot_id, idx, entry_id) VALUES(?1, ?2, ?3)");
    Stmt cur(m_db, "INSERT OR REPLACE INTO inventory_current(host_id, type_id, snapshot_id) VALUES(?1, ?2, ?3)");
    Stmt old(m_db,
             "SELECT snapshot_id FROM inventory_snapshots WHERE host_id = ?1 AND type_id = ?2 "
             "ORDER BY snapshot_id DESC LIMIT -1 OFFSET ?3");
    Stmt drop_links(m_db, "DELETE FROM inventory_snapshot_entries WHERE snapshot_id = ?1");
    Stmt drop_snap(m_db, "DELETE FROM inventory_snapshots WHERE snapshot_id = ?1");
    std::set<std::int64_t> stored_types;
    for (const InventoryItem& item : items) {
      std::int64_t tid = type_id(item.type_name);
      stored_types.insert(tid);
      snap.bind(1, hid).bind(2, tid).bind(3, item.schema_version).bind(4, item.capture_time);
      snap.bind(5, static_cast<std::int64_t>(item.content.size())).run();
      std::int64_t sid = sqlite3_last_insert_rowid(m_db);
      std::int64_t idx = 0;
      for (const Row& row : item.content) link.bind(1, sid).bind(2, idx++).bind(3, entry_id(tid, row)).run();
      cur.bind(1, hid).bind(2, tid).bind(3, sid).run();
      // History beyond k_history snapshots is dropped.
      old.bind(1, hid).bind(2, tid).bind(3, static_cast<std::int64_t>(k_history));
      std::vector<std::int64_t> expired;
      while (old.step()) expired.push_back(old.int64(0));
      old.reset();
      for (std::int64_t e : expired) {
        drop_links.bind(1, e).run();
        drop_snap.bind(1, e).run();
      }
    }
    if (replace_custom) {
      Stmt customs(m_db,
                   "SELECT c.type_id FROM inventory_current c JOIN inventory_types t ON t.type_id = c.type_id "
                   "WHERE c.host_id = ?1 AND t.name LIKE 'Custom:%'");
      customs.bind(1, hid);
      std::vector<std::int64_t> gone;
      while (customs.step())
        if (!stored_types.count(customs.int64(0))) gone.push_back(customs.int64(0));
      Stmt del(m_db, "DELETE FROM inventory_current WHERE host_id = ?1 AND type_id = ?2");
      for (std::int64_t t : gone) del.bind(1, hid).bind(2, t).run();
    }
  } catch (...) {
    sqlite3_exec(m_db, own ? "ROLLBACK" : "ROLLBACK TO sshm_snapshot; RELEASE sshm_snapshot", nullptr, nullptr,
                 nullptr);
    m_entry_cache.clear();
    m_type_ids.clear();
    throw;
  }
  exec(m_db, own ? "COMMIT" : "RELEASE sshm_snapshot");
}

std::string SnapshotWriter::write(const std::string& host, const std::string& package_manager,
                                  const std::vector<InventoryItem>& items, bool replace_custom) {
  Pending mine{&host, &package_manager, &items, replace_custom, {}, false};
  std::unique_lock<std::mutex> lock(m_mutex);
  m_queue.push_back(&mine);
  while (!mine.done) {
    if (m_writing) {
      m_cv.wait(lock);
      continue;
    }
    // This thread commits everything queued so far, its own result included.
    m_writing = true;
    std::vector<Pending*> batch;
    batch.swap(m_queue);
    lock.unlock();
    try {
      m_store.begin();
      for (Pending* p : batch) {
        try {
          m_store.store_snapshot(*p->host, *p->package_manager, *p->items, p->replace_custom);
        } catch (const std::exception& e) {
          p->error = e.what();
        }
      }
      m_store.commit();
    } catch (const std::exception& e) {
      m_store.abandon();
      for (Pending* p : batch)
        if (p->error.empty()) p->error = e.what();
    }
    lock.lock();
    for (Pending* p : batch) p->done = true;
    m_writing = false;
    m_cv.notify_all();
  }
  return mine.error;
}

std::vector<Row> InventoryStore::snapshot_rows(std::int64_t snapshot_id) const {
  Stmt q(m_db,
         "SELECT e.content FROM inventory_snapshot_entries s JOIN inventory_entries e ON e.entry_id = s.entry_id "
         "WHERE s.snapshot_id = ?1 ORDER BY s.idx");
  q.bind(1, snapshot_id);
  std::vector<Row> rows;
  while (q.step()) rows.push_back(row_from_text(q.text(0)));
  return rows;
}

std::vector<InventoryItem> InventoryStore::current(const std::string& host, const std::string& type_name) const {
  Stmt q(m_db,
         "SELECT t.name, s.schema_version, s.capture_time, s.snapshot_id FROM inventory_current c "
         "JOIN inventory_hosts h ON h.host_id = c.host_id JOIN inventory_types t ON t.type_id = c.type_id "
         "JOIN inventory_snapshots s ON s.snapshot_id = c.snapshot_id "
         "WHERE h.name = ?1 AND (?2 = '' OR t.name = ?2) ORDER BY t.name");
  q.bind(1, host).bind(2, type_name);
  std::vector<InventoryItem> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), snapshot_rows(q.int64(3))});
  return out;
}

std::vector<TypeDiff> InventoryStore::diff(const std::string& host) const {
  Stmt q(m_db,
         "SELECT t.name, s.capture_time, s.snapshot_id, "
         "  (SELECT p.snapshot_id FROM inventory_snapshots p WHERE p.host_id = c.host_id AND p.type_id = c.type_id "
         "     AND p.snapshot_id < c.snapshot_id ORDER BY p.snapshot_id DESC LIMIT 1) "
         "FROM inventory_current c JOIN inventory_hosts h ON h.host_id = c.host_id "
         "JOIN inventory_types t ON t.type_id = c.type_id JOIN inventory_snapshots s ON s.snapshot_id = c.snapshot_id "
         "WHERE h.name = ?1 ORDER BY t.name");
  q.bind(1, host);
  std::vector<TypeDiff> out;
  while (q.step()) {
    TypeDiff d;
    d.type_name = q.text(0);
    d.capture_time = q.text(1);
    std::vector<Row> now = snapshot_rows(q.int64(2));
    std::vector<Row> before;
    if (!q.is_null(3)) {
      Stmt t(m_db, "SELECT capture_time FROM inventory_snapshots WHERE snapshot_id = ?1");
      t.bind(1, q.int64(3));
      if (t.step()) d.previous_capture_time = t.text(0);
      before = snapshot_rows(q.int64(3));
    }
    // A single row without a name on both sides (a custom type's one object) is one thing that changed.
    bool single = before.size() == 1 && now.size() == 1 && !before[0].count("Name") && !now[0].count("Name");
    auto key_of = [&](const Row& r) { return single ? std::string() : row_key(d.type_name, r); };
    std::multimap<std::string, Row> old_rows, new_rows;
    for (Row& r : before) old_rows.emplace(key_of(r), std::move(r));
    for (Row& r : now) new_rows.emplace(key_of(r), std::move(r));
    for (auto& [key, row] : new_rows) {
      auto it = old_rows.find(key);
      if (it == old_rows.end()) {
        d.added.push_back(row);
      } else {
        if (it->second != row) d.changed.emplace_back(it->second, row);
        old_rows.erase(it);
      }
    }
    for (auto& [key, row] : old_rows) d.removed.push_back(row);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<StoredHost> InventoryStore::hosts() const {
  Stmt q(m_db,
         "SELECT host_id, name, package_manager FROM inventory_hosts h "
         "WHERE EXISTS (SELECT 1 FROM inventory_current c WHERE c.host_id = h.host_id) ORDER BY name");
  std::vector<StoredHost> out;
  while (q.step()) out.push_back({q.int64(0), q.text(1), q.text(2)});
  return out;
}

std::optional<StoredHost> InventoryStore::find_host(const std::string& name) const {
  Stmt q(m_db, "SELECT host_id, name, package_manager FROM inventory_hosts WHERE name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return StoredHost{q.int64(0), q.text(1), q.text(2)};
}

std::vector<std::string> InventoryStore::type_names() const {
  Stmt q(m_db,
         "SELECT name FROM inventory_types t WHERE EXISTS "
         "(SELECT 1 FROM inventory_current c WHERE c.type_id = t.type_id) ORDER BY name");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::vector<std::string> InventoryStore::attribute_names(const std::string& type_name) const {
  std::set<std::string> names;
  for (const StoredEntry& e : entries(type_name, std::nullopt, std::nullopt))
    for (const auto& [k, v] : e.row) names.insert(k);
  return {names.begin(), names.end()};
}

std::vector<StoredEntry> InventoryStore::entries(const std::string& type_name, const std::optional<std::string>& name,
                                                 const std::optional<std::string>& name_prefix) const {
  std::vector<StoredEntry> out;
  auto tid = find_type_id(type_name);
  if (!tid) return out;
  std::string sql = "SELECT entry_id, content FROM inventory_entries WHERE type_id = ?1";
  if (name) sql += " AND name = ?2";
  else if (name_prefix && !name_prefix->empty()) sql += " AND name >= ?2 AND name < ?3";
  Stmt q(m_db, sql.c_str());
  q.bind(1, *tid);
  if (name) {
    q.bind(2, *name);
  } else if (name_prefix && !name_prefix->empty()) {
    std::string upper = *name_prefix;
    upper.back() = static_cast<char>(upper.back() + 1);
    q.bind(2, *name_prefix).bind(3, upper);
  }
  while (q.step()) out.push_back({q.int64(0), row_from_text(q.text(1))});
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>>
InventoryStore::hosts_with_entries(const std::vector<std::int64_t>& entry_ids) const {
  Stmt q(m_db,
         "SELECT c.host_id FROM inventory_snapshot_entries s JOIN inventory_current c ON c.snapshot_id = s.snapshot_id "
         "WHERE s.entry_id = ?1");
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::int64_t e : entry_ids) {
    q.bind(1, e);
    while (q.step()) out.emplace_back(q.int64(0), e);
    q.reset();
  }
  return out;
}

std::map<std::int64_t, std::set<std::string>> InventoryStore::values_by_host(const std::string& type_name,
                                                                            const std::string& attribute) const {
  std::map<std::int64_t, std::set<std::string>> out;
  auto tid = find_type_id(type_name);
  if (!tid) return out;
  Stmt q(m_db,
         "SELECT c.host_id, json_extract(e.content, ?2) FROM inventory_current c "
         "JOIN inventory_snapshot_entries s ON s.snapshot_id = c.snapshot_id "
         "JOIN inventory_entries e ON e.entry_id = s.entry_id WHERE c.type_id = ?1");
  std::string path = "$.\"" + attribute + "\"";
  q.bind(1, *tid).bind(2, path);
  while (q.step())
    if (!q.is_null(1)) out[q.int64(0)].insert(q.text(1));
  return out;
}

void store_snapshot(sqlite3* db, const std::string& host, const std::string& package_manager,
                    const std::vector<InventoryItem>& items, bool replace_custom) {
  InventoryStore(db).store_snapshot(host, package_manager, items, replace_custom);
}

} // namespace sshm::inventory
