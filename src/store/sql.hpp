#pragma once
// The one statement and transaction wrapper of the state store. Private to src/store: no
// file outside this folder includes it, so no SQLite handle or SQL leaves the folder.
//
// Every access is a transaction run by with_transaction(): it holds the Store's lock from
// BEGIN to COMMIT (transactions never interleave on the connection), writers BEGIN
// IMMEDIATE (a busy writer is seen at BEGIN, not half way), and while another sshm process
// holds the database lock the whole transaction is retried.
#include "store/store.hpp"

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

struct sqlite3;
struct sqlite3_stmt;

namespace sshm::store {

// Another connection holds the database lock; with_transaction retries the transaction.
class BusyError : public StoreError {
public:
  using StoreError::StoreError;
};

enum class Access { read, write };

// One open transaction on a Store. Only with_transaction() makes one.
class Transaction {
public:
  ~Transaction();  // rolls back unless committed, then releases the Store's lock
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs SQL without results (several statements allowed).
  void exec(const char* sql);
  // The rowid of the last INSERT on this connection.
  std::int64_t last_insert_rowid() const;
  Access access() const { return m_access; }
  // Drops the connection's cached pages once this transaction commits. For rows written once
  // and not read back by this process (a run's invocations, with up to 24,000 characters of
  // output each): the 64 MB page cache would otherwise keep every one of them in memory.
  void release_cache_on_commit() { m_release_cache = true; }

  // Throws StoreError (BusyError when the database is locked) for an SQLite result code.
  [[noreturn]] void fail(int rc, std::string_view what) const;

private:
  template <typename F> friend auto with_transaction(const Store& store, Access access, F&& body);
  friend class Statement;
  Transaction(const Store& store, Access access);
  void commit();

  const Store& m_store;
  Access m_access;
  std::unique_lock<std::mutex> m_lock;
  sqlite3* m_db;
  bool m_open = false;
  bool m_release_cache = false;
};

// A prepared statement of one transaction, finalized on scope exit. Parameters are 1-based
// (?1, ?2, ...), columns 0-based.
class Statement {
public:
  Statement(Transaction& tx, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view value);
  // Binds bytes as a BLOB (compared and stored byte for byte, never as text).
  Statement& bind_blob(int index, std::string_view bytes);
  template <std::integral T> Statement& bind(int index, T value) {
    return bind_int64(index, static_cast<std::int64_t>(value));
  }
  // Runs one step; true when a row is ready.
  bool step();
  // Steps to the end, then resets for the next bindings.
  void run();
  void reset();

  std::string text(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;

private:
  Statement& bind_int64(int index, std::int64_t value);
  void check(int rc, std::string_view what) const;
  Transaction& m_tx;
  sqlite3_stmt* m_stmt = nullptr;
};

// A savepoint in a transaction: when the scope ends without release(), what was done since
// it was taken is undone and the transaction goes on.
class Savepoint {
public:
  explicit Savepoint(Transaction& tx);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  void release();

private:
  Transaction& m_tx;
  bool m_open = true;
};

// Waits between attempts of a transaction that met a lock; throws a StoreError (locked)
// once the database has stayed locked for too long.
class RetryPacer {
public:
  RetryPacer();
  void wait(const BusyError& busy);

private:
  std::int64_t m_deadline_ms;
  unsigned m_seed;
  int m_delay_ms = 2;
};

// Runs body(Transaction&) in one transaction and commits it, returning what body returns.
// Any exception rolls the transaction back; a BusyError retries it from the start, and so
// does a full disk once the store's reserve is freed, so body must not keep state across
// attempts.
template <typename F> auto with_transaction(const Store& store, Access access, F&& body) {
  using Result = std::invoke_result_t<F&, Transaction&>;
  RetryPacer pacer;
  for (;;) {
    try {
      Transaction tx(store, access);
      if constexpr (std::is_void_v<Result>) {
        body(tx);
        tx.commit();
        return;
      } else {
        Result result = body(tx);
        tx.commit();
        return result;
      }
    } catch (const BusyError& busy) {
      pacer.wait(busy);
    } catch (const StoreError& e) {
      // A full disk: once, with the space the store kept back for this moment.
      if (e.kind() != StoreError::Kind::disk_full || !store.release_reserve()) throw;
    }
  }
}

// Opens the connection of a Store: WAL, busy timeout, extended result codes. Throws
// RuntimeError when it cannot.
sqlite3* open_connection(const std::filesystem::path& path);
void close_connection(sqlite3* db);
// A JSON column's text (invalid UTF-8 replaced), and its value read back (an empty object
// when the text is not JSON, so one damaged row never stops a listing).
inline std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
inline nlohmann::json json_of(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// Creates or migrates the schema to the version this sshm knows (store/schema.cpp).
bool migrate(const Store& store);  // true when it changed the schema
// The schema version this sshm writes: the number of migrations it knows.
int schema_version();

} // namespace sshm::store
