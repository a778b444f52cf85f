#include "patch/compliance.hpp"

#include "util/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace sshm::patch {

namespace {

void exec_sql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw RuntimeError(fmt::format("state store: {}", msg));
  }
}

// A prepared statement that finalizes itself.
class Statement {
public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK)
      throw RuntimeError(fmt::format("state store: {}", sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(m_stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  void bind(int i, const std::string& s) { sqlite3_bind_text(m_stmt, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
  void bind(int i, int v) { sqlite3_bind_int(m_stmt, i, v); }
  bool step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw RuntimeError(fmt::format("state store: {}", sqlite3_errmsg(sqlite3_db_handle(m_stmt))));
  }
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(m_stmt, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

private:
  sqlite3_stmt* m_stmt = nullptr;
};

// Rolls back unless committed.
class Transaction {
public:
  explicit Transaction(sqlite3* db) : m_db(db) { exec_sql(db, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!m_done) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec_sql(m_db, "COMMIT");
    m_done = true;
  }

private:
  sqlite3* m_db;
  bool m_done = false;
};

} // namespace

void ensure_compliance_schema(sqlite3* db) {
  exec_sql(db, R"SQL(
CREATE TABLE IF NOT EXISTS patch_summaries (
  host TEXT PRIMARY KEY,
  operating_system TEXT NOT NULL,
  baseline_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  compliance TEXT NOT NULL,
  severity TEXT NOT NULL,
  capture_time TEXT NOT NULL,
  summary_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS patch_items (
  host TEXT NOT NULL,
  name TEXT NOT NULL,
  arch TEXT NOT NULL,
  state TEXT NOT NULL,
  installed_version TEXT NOT NULL,
  candidate_version TEXT NOT NULL,
  compliance_level TEXT NOT NULL,
  item_json TEXT NOT NULL,
  PRIMARY KEY (host, name, arch)
);
CREATE TABLE IF NOT EXISTS patch_operations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host TEXT NOT NULL,
  operation TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL,
  summary_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS patch_operations_host ON patch_operations (host, id);
)SQL");
}

void save_report(sqlite3* db, const HostPatchReport& r) {
  Transaction t(db);
  std::string summary = summary_to_json(r.summary).dump();
  {
    Statement s(db, "INSERT INTO patch_operations (host, operation, status, error, start_time, end_time, summary_json) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, r.host);
    s.bind(2, r.summary.operation);
    s.bind(3, r.status);
    s.bind(4, r.error);
    s.bind(5, r.summary.operation_start_time);
    s.bind(6, r.summary.operation_end_time);
    s.bind(7, summary);
    s.step();
  }
  // Only a completed scan or install knows the host's state.
  bool complete = r.status == "Success" || (!r.items.empty() && r.failure_kind.empty());
  if (complete) {
    Statement s(db, "INSERT OR REPLACE INTO patch_summaries (host, operating_system, baseline_id, operation, compliance, "
                    "severity, capture_time, summary_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, r.host);
    s.bind(2, r.operating_system);
    s.bind(3, r.summary.baseline_id);
    s.bind(4, r.summary.operation);
    s.bind(5, r.summary.compliance);
    s.bind(6, r.summary.severity);
    s.bind(7, r.summary.operation_end_time);
    s.bind(8, summary);
    s.step();
    Statement del(db, "DELETE FROM patch_items WHERE host = ?");
    del.bind(1, r.host);
    del.step();
    Statement ins(db, "INSERT INTO patch_items (host, name, arch, state, installed_version, candidate_version, "
                      "compliance_level, item_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& i : r.items) {
      ins.bind(1, r.host);
      ins.bind(2, i.name);
      ins.bind(3, i.arch);
      ins.bind(4, to_string(i.state));
      ins.bind(5, i.installed_version);
      ins.bind(6, i.candidate_version);
      ins.bind(7, to_string(i.compliance_level));
      ins.bind(8, item_to_json(i).dump());
      ins.step();
      ins.reset();
    }
  }
  t.commit();
}

std::vector<StoredCompliance> load_compliance(sqlite3* db) {
  std::vector<StoredCompliance> out;
  Statement s(db, "SELECT host, operating_system, capture_time, summary_json FROM patch_summaries ORDER BY host");
  while (s.step()) {
    StoredCompliance c;
    c.host = s.text(0);
    c.operating_system = s.text(1);
    c.capture_time = s.text(2);
    c.summary = nlohmann::json::parse(s.text(3), nullptr, false);
    out.push_back(std::move(c));
  }
  Statement items(db, "SELECT item_json FROM patch_items WHERE host = ? AND state IN "
                      "('Missing', 'Failed', 'InstalledRejected', 'InstalledPendingReboot') ORDER BY name, arch");
  for (auto& c : out) {
    items.bind(1, c.host);
    while (items.step()) c.non_compliant.push_back(nlohmann::json::parse(items.text(0), nullptr, false));
    items.reset();
  }
  return out;
}

} // namespace sshm::patch
