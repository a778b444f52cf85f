// The statement and transaction wrapper, and the connection settings of the state store.
#include "store/sql.hpp"

#include "util/strings.hpp"

#include <chrono>
#include <fmt/format.h>
#include <random>
#include <sqlite3.h>
#include <thread>
#include <unistd.h>

namespace sshm::store {

namespace {

// How long one SQLite call waits for another process's lock before returning SQLITE_BUSY.
constexpr int k_busy_timeout_ms = 5000;
// How long a whole transaction keeps retrying before the store is reported locked.
constexpr std::int64_t k_retry_limit_ms = 120'000;
// The page cache of the connection (negative: KiB). 64 MB (SQLite's default is 2 MB) keeps a
// fleet's inventory indexes hot: entries by content, chunks, and the links of snapshots written
// before schema 9, indexed by entry, where each host's rows land on as many index pages as it
// has packages. Allocated only as pages are used.
constexpr const char* k_cache_size = "PRAGMA cache_size = -65536";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

StoreError::Kind kind_of(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return StoreError::Kind::locked;
  case SQLITE_FULL: return StoreError::Kind::disk_full;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN: return StoreError::Kind::io;
  case SQLITE_READONLY:
  case SQLITE_PERM: return StoreError::Kind::read_only;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB: return StoreError::Kind::corrupt;
  case SQLITE_CONSTRAINT: return StoreError::Kind::refused;
  default: return StoreError::Kind::other;
  }
}

// What the user should know besides SQLite's own message.
const char* hint_for(StoreError::Kind kind) {
  switch (kind) {
  case StoreError::Kind::disk_full: return " (the disk holding the state directory is full)";
  case StoreError::Kind::io: return " (the disk or file system holding the state directory failed)";
  case StoreError::Kind::read_only: return " (the state directory is not writable)";
  case StoreError::Kind::corrupt: return " (the database file is damaged; move it away to start a new history)";
  default: return "";
  }
}

// Throws the StoreError for `rc` on a connection that is not (yet) in a transaction.
[[noreturn]] void fail_on(sqlite3* db, const std::filesystem::path& path, int rc, std::string_view what) {
  StoreError::Kind kind = kind_of(rc);
  std::string message = fmt::format("state store '{}': {}: {}{}", path.string(), what,
                                    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), hint_for(kind));
  if (kind == StoreError::Kind::locked) throw BusyError(kind, message);
  throw StoreError(kind, message);
}

void exec_on(sqlite3* db, const std::filesystem::path& path, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail_on(db, path, rc, sql);
}

// The first column of the first row of a statement run outside any transaction.
std::string pragma_text(sqlite3* db, const std::filesystem::path& path, const char* sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  if (rc != SQLITE_OK) fail_on(db, path, rc, sql);
  rc = sqlite3_step(st);
  std::string out;
  if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail_on(db, path, rc, sql);
  return out;
}

} // namespace

Transaction::Transaction(const Store& store, Access access)
    : m_store(store), m_access(access), m_lock(store.m_mutex, std::defer_lock), m_db(store.m_db) {
  if (store.m_owner.load() == std::this_thread::get_id())
    throw StoreError(StoreError::Kind::other, "state store: a transaction was started inside another one");
  m_lock.lock();
  store.m_owner.store(std::this_thread::get_id());
  try {
    exec(access == Access::write ? "BEGIN IMMEDIATE" : "BEGIN");
  } catch (...) {
    store.m_owner.store(std::thread::id());
    throw;
  }
  m_open = true;
}

Transaction::~Transaction() {
  if (m_open) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  m_store.m_owner.store(std::thread::id());
}

void Transaction::commit() {
  // A write transaction's pages usually reach the disk here, so this is where a full disk shows.
  int rc = sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, m_access == Access::write ? "cannot write" : "cannot read");
  m_open = false;
  if (m_release_cache) sqlite3_db_release_memory(m_db);
}

void Transaction::exec(const char* sql) {
  int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
}

std::int64_t Transaction::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

void Transaction::fail(int rc, std::string_view what) const {
  fail_on(m_db, m_store.state_dir() / "sshm.db", rc, what);
}

Statement::Statement(Transaction& tx, std::string_view sql) : m_tx(tx) {
  int rc = sqlite3_prepare_v2(tx.m_db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr);
  if (rc != SQLITE_OK) tx.fail(rc, sql);
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::bind(int index, std::string_view value) {
  // Text without a terminating NUL: SQLite copies exactly size bytes.
  check(sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  check(sqlite3_bind_blob(m_stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  check(sqlite3_bind_int64(m_stmt, index, value), "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The statement is left reset, so that a caller that goes on after the error can reuse it.
  sqlite3_reset(m_stmt);
  m_tx.fail(rc, m_tx.access() == Access::write ? "cannot write" : "cannot read");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

std::string Statement::text(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(m_stmt, column));
  int size = sqlite3_column_bytes(m_stmt, column);
  return data ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(m_stmt, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }

void Statement::check(int rc, std::string_view what) const {
  if (rc != SQLITE_OK) m_tx.fail(rc, what);
}

Savepoint::Savepoint(Transaction& tx) : m_tx(tx) { tx.exec("SAVEPOINT sshm_part"); }

Savepoint::~Savepoint() {
  if (!m_open) return;
  try {
    m_tx.exec("ROLLBACK TO sshm_part; RELEASE sshm_part");
  } catch (const StoreError&) {
    // The enclosing transaction fails at COMMIT or rolls back as a whole.
  }
}

void Savepoint::release() {
  m_tx.exec("RELEASE sshm_part");
  m_open = false;
}

RetryPacer::RetryPacer()
    : m_deadline_ms(now_ms() + k_retry_limit_ms),
      m_seed(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(now_ms())) {}

void RetryPacer::wait(const BusyError& busy) {
  if (now_ms() > m_deadline_ms)
    throw StoreError(StoreError::Kind::locked,
                     fmt::format("{} (another sshm process kept the database locked for over {} s)", busy.what(),
                                 k_retry_limit_ms / 1000));
  // Jitter, so that several sshm processes started by the same cron minute do not retry in step.
  std::minstd_rand jitter(m_seed++);
  std::this_thread::sleep_for(std::chrono::milliseconds(m_delay_ms + static_cast<int>(jitter() % 8)));
  m_delay_ms = std::min(m_delay_ms * 2, 200);
}

sqlite3* open_connection(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    throw StoreError(kind_of(rc), fmt::format("cannot open state store '{}': {}", path.string(), sqlite3_errstr(rc)));
  }
  try {
    sqlite3_busy_timeout(db, k_busy_timeout_ms);
    sqlite3_extended_result_codes(db, 1);
    RetryPacer pacer;
    for (;;) {
      try {
        std::string mode = to_lower(pragma_text(db, path, "PRAGMA journal_mode=WAL"));
        if (mode != "wal")
          throw RuntimeError(
              fmt::format("state store '{}': cannot use WAL mode (journal_mode is '{}')", path.string(), mode));
        exec_on(db, path, "PRAGMA synchronous=FULL");
        break;
      } catch (const BusyError& busy) {
        pacer.wait(busy);
      }
    }
    exec_on(db, path, k_cache_size);
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  return db;
}

void close_connection(sqlite3* db) { sqlite3_close_v2(db); }

} // namespace sshm::store
