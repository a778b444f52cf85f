// The local Parameter Store: every SQL statement for parameters lives in this file, on its
// own SQLite connection (WAL, busy timeout, migrations at open), so it can move into the
// main store later without touching the rules.
#include "params/backend.hpp"
#include "params/crypto.hpp"
#include "util/safe_path.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <pwd.h>
#include <set>
#include <unistd.h>

namespace sshm::params {

namespace {

constexpr int k_busy_timeout_ms = 10000;

// Schema migrations: entry i takes user_version i to i+1. Append only; never edit one.
const char* const k_migrations[] = {
    R"sql(
CREATE TABLE parameters (
  key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  latest INTEGER NOT NULL
);
CREATE TABLE versions (
  key TEXT NOT NULL,
  version INTEGER NOT NULL,
  type TEXT NOT NULL,
  value BLOB NOT NULL,
  key_fingerprint TEXT NOT NULL,
  description TEXT NOT NULL,
  allowed_pattern TEXT NOT NULL,
  key_id TEXT NOT NULL,
  tier TEXT NOT NULL,
  data_type TEXT NOT NULL,
  policies TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  modified_user TEXT NOT NULL,
  PRIMARY KEY (key, version)
);
CREATE TABLE labels (
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (key, label)
);
)sql",
};

// One prepared statement; binds by position from 1, steps, reads columns from 0.
class Stmt {
public:
  Stmt(sqlite3* db, const char* sql) : m_db(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK)
      throw RuntimeError(fmt::format("parameter store: {}", sqlite3_errmsg(db)));
  }
  ~Stmt() { sqlite3_finalize(m_stmt); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& s) {
    sqlite3_bind_blob(m_stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_text(int i, const std::string& s) {
    sqlite3_bind_text(m_stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, long long n) {
    sqlite3_bind_int64(m_stmt, i, n);
    return *this;
  }
  // True while there is a row.
  bool step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw RuntimeError(fmt::format("parameter store: {}", sqlite3_errmsg(m_db)));
  }
  void run() {
    while (step()) {
    }
  }
  std::string text(int i) const {
    const void* p = sqlite3_column_blob(m_stmt, i);
    int n = sqlite3_column_bytes(m_stmt, i);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }
  long long integer(int i) const { return sqlite3_column_int64(m_stmt, i); }

private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

// A stored version as it sits in the table: the value sealed when SecureString.
struct Row {
  Version v;
  std::string key;
  std::string fingerprint;
};

const char* const k_row_columns =
    "v.key, p.name, v.version, v.type, v.value, v.key_fingerprint, v.description, v.allowed_pattern, v.key_id, "
    "v.tier, v.data_type, v.policies, v.modified_ms, v.modified_user";

Row read_row(const Stmt& s) {
  Row r;
  r.key = s.text(0);
  r.v.name = s.text(1);
  r.v.version = s.integer(2);
  r.v.type = s.text(3);
  r.v.value = s.text(4);
  r.fingerprint = s.text(5);
  r.v.description = s.text(6);
  r.v.allowed_pattern = s.text(7);
  r.v.key_id = s.text(8);
  r.v.tier = s.text(9);
  r.v.data_type = s.text(10);
  r.v.policies = s.text(11);
  r.v.last_modified = SystemTime(std::chrono::milliseconds(s.integer(12)));
  r.v.last_modified_user = s.text(13);
  return r;
}

std::string current_user() {
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(getuid());
}

class Local final : public LocalBackend {
public:
  Local(const std::filesystem::path& db_file, std::filesystem::path key_file, const Clock& clock);
  ~Local() override { sqlite3_close(m_db); }

  Version put(const PutRequest& request) override;
  Version get(const std::string& selector, bool with_decryption) override;
  GetManyResult get_many(const std::vector<std::string>& selectors, bool with_decryption) override;
  std::vector<Version> by_path(const std::string& path, bool recursive, const std::vector<Filter>& filters,
                               bool with_decryption) override;
  std::vector<Version> history(const std::string& name, bool with_decryption) override;
  std::vector<Version> describe(const std::vector<Filter>& filters) override;
  LabelResult label(const std::string& name, std::optional<long long> version,
                    const std::vector<std::string>& labels) override;
  UnlabelResult unlabel(const std::string& name, long long version, const std::vector<std::string>& labels) override;
  void remove(const std::string& name) override;
  DeleteManyResult remove_many(const std::vector<std::string>& names) override;
  std::vector<PolicyNotice> check_policies() override;
  size_t rotate_key() override;

private:
  void exec(const char* sql);
  void migrate();
  // Runs `work` inside BEGIN IMMEDIATE ... COMMIT, rolling back when it throws.
  template <typename F>
  auto transaction(F&& work) -> decltype(work());
  // Deletes parameters whose Expiration policy has passed.
  void expire();
  std::optional<Row> latest(const std::string& key);
  std::optional<Row> version_row(const std::string& key, long long version);
  std::vector<Row> latest_rows();
  std::vector<std::string> labels_of(const std::string& key, long long version);
  // The row a selector names; throws ParameterNotFound or ParameterVersionNotFound.
  Row resolve(const Selector& s);
  // Fills labels and turns a stored value into what the caller may see.
  Version present(Row row, bool with_decryption);
  const Key& key(bool create);
  void delete_key(const std::string& key);
  void make_room(const std::string& key, const std::string& name);
  long long now_ms() const;

  sqlite3* m_db = nullptr;
  std::filesystem::path m_key_file;
  std::optional<Key> m_key;
  const Clock& m_clock;
  std::string m_user;
};

Local::Local(const std::filesystem::path& db_file, std::filesystem::path key_file, const Clock& clock)
    : m_key_file(std::move(key_file)), m_clock(clock), m_user(current_user()) {
  std::error_code ec;
  if (db_file.has_parent_path()) std::filesystem::create_directories(db_file.parent_path(), ec);
  // Created 0600 before SQLite opens it, so no other user can ever read it (and never opened
  // here when it exists: see create_private_file_if_missing).
  create_private_file_if_missing(db_file);
  if (sqlite3_open_v2(db_file.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string why = m_db ? sqlite3_errmsg(m_db) : "out of memory";
    sqlite3_close(m_db);
    m_db = nullptr;
    throw RuntimeError(fmt::format("cannot open {}: {}", db_file.string(), why));
  }
  sqlite3_busy_timeout(m_db, k_busy_timeout_ms);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA foreign_keys=ON");
  migrate();
}

void Local::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw RuntimeError(fmt::format("parameter store: {}", why));
  }
}

void Local::migrate() {
  transaction([&] {
    Stmt v(m_db, "PRAGMA user_version");
    v.step();
    long long have = v.integer(0);
    long long want = static_cast<long long>(std::size(k_migrations));
    if (have > want)
      throw RuntimeError(fmt::format("the parameter store was written by a newer sshm (schema {}, this one knows {})",
                                     have, want));
    for (long long i = have; i < want; ++i) exec(k_migrations[i]);
    exec(fmt::format("PRAGMA user_version={}", want).c_str());
    return 0;
  });
}

template <typename F>
auto Local::transaction(F&& work) -> decltype(work()) {
  exec("BEGIN IMMEDIATE");
  try {
    if constexpr (std::is_void_v<decltype(work())>) {
      work();
      exec("COMMIT");
    } else {
      auto result = work();
      exec("COMMIT");
      return result;
    }
  } catch (...) {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

long long Local::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.now().time_since_epoch()).count();
}

const Key& Local::key(bool create) {
  if (m_key) return *m_key;
  if (!create && !std::filesystem::exists(m_key_file))
    throw RuntimeError(fmt::format("the key file {} is missing, so SecureString values cannot be decrypted "
                                   "(set SSHM_PARAMS_KEY_FILE to the key they were stored with)",
                                   m_key_file.string()));
  m_key = load_or_create_key(m_key_file);
  return *m_key;
}

std::optional<Row> Local::latest(const std::string& key) {
  Stmt s(m_db, fmt::format("SELECT {} FROM parameters p JOIN versions v ON v.key = p.key AND v.version = p.latest "
                           "WHERE p.key = ?",
                           k_row_columns)
                   .c_str());
  s.bind_text(1, key);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::optional<Row> Local::version_row(const std::string& key, long long version) {
  Stmt s(m_db,
         fmt::format("SELECT {} FROM parameters p JOIN versions v ON v.key = p.key WHERE p.key = ? AND v.version = ?",
                     k_row_columns)
             .c_str());
  s.bind_text(1, key).bind(2, version);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::vector<Row> Local::latest_rows() {
  Stmt s(m_db, fmt::format("SELECT {} FROM parameters p JOIN versions v ON v.key = p.key AND v.version = p.latest "
                           "ORDER BY p.name",
                           k_row_columns)
                   .c_str());
  std::vector<Row> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::vector<std::string> Local::labels_of(const std::string& key, long long version) {
  Stmt s(m_db, "SELECT label FROM labels WHERE key = ? AND version = ? ORDER BY label");
  s.bind_text(1, key).bind(2, version);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

Row Local::resolve(const Selector& sel) {
  std::string key = canonical_name(sel.name);
  auto row = latest(key);
  if (!row) throw Error("ParameterNotFound", fmt::format("parameter {} not found", sel.name));
  if (sel.version) {
    row = version_row(key, *sel.version);
    if (!row)
      throw Error("ParameterVersionNotFound",
                  fmt::format("Systems Manager could not find version {} of {}", *sel.version, sel.name));
  } else if (sel.label) {
    Stmt s(m_db, "SELECT version FROM labels WHERE key = ? AND label = ?");
    s.bind_text(1, key).bind_text(2, *sel.label);
    if (!s.step())
      throw Error("ParameterVersionNotFound",
                  fmt::format("no version of {} has the label '{}'", sel.name, *sel.label));
    row = version_row(key, s.integer(0));
  }
  row->v.selector = sel.suffix();
  return *row;
}

Version Local::present(Row row, bool with_decryption) {
  row.v.labels = labels_of(row.key, row.v.version);
  if (row.v.type != "SecureString") return row.v;
  if (!with_decryption) {
    row.v.value = base64(row.v.value);
    return row.v;
  }
  const Key& k = key(false);
  if (row.fingerprint != k.fingerprint())
    throw RuntimeError(fmt::format("cannot decrypt SecureString {} version {}: it was encrypted with key {}, but {} "
                                   "holds key {} ({})",
                                   row.v.name, row.v.version, row.fingerprint, m_key_file.string(), k.fingerprint(),
                                   std::filesystem::exists(m_key_file.string() + ".new")
                                       ? "a key rotation was interrupted: the new key is in " + m_key_file.string() +
                                             ".new; move it over the key file"
                                       : "was the key file replaced?"));
  auto plain = decrypt(k, row.v.value, value_aad(row.key, row.v.version));
  if (!plain)
    throw RuntimeError(fmt::format("cannot decrypt SecureString {} version {}: the stored value fails its "
                                   "authentication check (it was altered or moved)",
                                   row.v.name, row.v.version));
  row.v.value = *plain;
  return row.v;
}

void Local::delete_key(const std::string& key) {
  for (const char* sql : {"DELETE FROM labels WHERE key = ?", "DELETE FROM versions WHERE key = ?",
                          "DELETE FROM parameters WHERE key = ?"}) {
    Stmt s(m_db, sql);
    s.bind_text(1, key).run();
  }
}

void Local::expire() {
  transaction([&] {
    for (const Row& r : latest_rows()) {
      if (r.v.policies.empty()) continue;
      for (const Policy& p : parse_policies(r.v.policies))
        if (p.type == "Expiration" && p.timestamp <= m_clock.now()) delete_key(r.key);
    }
  });
}

// The attributes of the version a put creates: what the request gives, else what the
// parameter has, checked against SSM's rules. Throws Error on the first broken rule.
Version settle(const PutRequest& r, const std::optional<Row>& existing) {
  const Version* old = existing ? &existing->v : nullptr;
  if (old && !r.overwrite)
    throw Error("ParameterAlreadyExists",
                fmt::format("the parameter {} already exists; to overwrite its value, use --overwrite", r.name));
  Version v;
  v.name = old ? old->name : r.name;
  if (!r.type && !old) throw Error("ValidationException", "a new parameter needs --type (String, StringList or SecureString)");
  v.type = r.type ? *r.type : old->type;
  check_type(v.type);
  if (old && old->type != v.type && (old->type == "SecureString" || v.type == "SecureString"))
    throw Error("HierarchyTypeMismatchException",
                fmt::format("{} is a {}; its type can't change to {} (create a new parameter)", v.name, old->type, v.type));
  v.tier = r.tier ? *r.tier : old ? old->tier : "Standard";
  check_tier(v.tier);
  if (old && old->tier == "Advanced" && v.tier == "Standard")
    throw Error("ValidationException", fmt::format("{} is an advanced parameter and can't revert to standard", v.name));
  v.policies = r.policies ? *r.policies : old ? old->policies : "";
  if (!v.policies.empty() && parse_policies(v.policies).empty()) v.policies.clear();
  if (!v.policies.empty() && v.tier != "Advanced")
    throw Error("ValidationException", "parameter policies are supported only for advanced parameters (--tier Advanced)");
  v.description = r.description ? *r.description : old ? old->description : "";
  check_description(v.description);
  v.allowed_pattern = r.allowed_pattern ? *r.allowed_pattern : old ? old->allowed_pattern : "";
  check_allowed_pattern(v.allowed_pattern);
  check_value(r.value, v.tier, v.allowed_pattern);
  v.value = r.value;
  if (v.type == "SecureString") {
    v.key_id = r.key_id ? *r.key_id : k_default_key_id;
    if (v.key_id != k_default_key_id)
      throw Error("InvalidKeyId", fmt::format("the local store has one key, {}; '{}' is not it", k_default_key_id, v.key_id));
  } else if (r.key_id) {
    throw Error("ValidationException", "--key-id is only for SecureString parameters");
  }
  v.data_type = r.data_type ? *r.data_type : old ? old->data_type : "text";
  if (v.data_type != "text")
    throw Error("ValidationException", fmt::format("data type '{}' is not supported by the local store (text)", v.data_type));
  v.version = old ? old->version + 1 : 1;
  return v;
}

void Local::make_room(const std::string& key, const std::string& name) {
  Stmt count(m_db, "SELECT COUNT(*), MIN(version) FROM versions WHERE key = ?");
  count.bind_text(1, key).step();
  if (static_cast<size_t>(count.integer(0)) < k_max_versions) return;
  long long oldest = count.integer(1);
  if (!labels_of(key, oldest).empty())
    throw Error("ParameterMaxVersionLimitExceeded",
                fmt::format("you attempted to create a new version of {} with --overwrite. Version {}, the oldest "
                            "version, can't be deleted because it has a label associated with it. Move the label to "
                            "another version of the parameter, and try again.",
                            name, oldest));
  Stmt del(m_db, "DELETE FROM versions WHERE key = ? AND version = ?");
  del.bind_text(1, key).bind(2, oldest).run();
}

Version Local::put(const PutRequest& request) {
  check_name(request.name);
  expire();
  return transaction([&] {
    std::string k = canonical_name(request.name);
    auto existing = latest(k);
    Version v = settle(request, existing);
    make_room(k, v.name);
    std::string stored = v.value, fingerprint;
    if (v.type == "SecureString") {
      stored = encrypt(key(true), v.value, value_aad(k, v.version));
      fingerprint = key(true).fingerprint();
    }
    Stmt up(m_db, "INSERT INTO parameters (key, name, latest) VALUES (?, ?, ?) "
                  "ON CONFLICT(key) DO UPDATE SET latest = excluded.latest");
    up.bind_text(1, k).bind_text(2, v.name).bind(3, v.version).run();
    Stmt ins(m_db, "INSERT INTO versions (key, version, type, value, key_fingerprint, description, allowed_pattern, "
                   "key_id, tier, data_type, policies, modified_ms, modified_user) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_text(1, k).bind(2, v.version).bind_text(3, v.type).bind(4, stored).bind_text(5, fingerprint);
    ins.bind_text(6, v.description).bind_text(7, v.allowed_pattern).bind_text(8, v.key_id).bind_text(9, v.tier);
    ins.bind_text(10, v.data_type).bind_text(11, v.policies).bind(12, now_ms()).bind_text(13, m_user).run();
    v.last_modified = SystemTime(std::chrono::milliseconds(now_ms()));
    v.last_modified_user = m_user;
    return v;
  });
}

Version Local::get(const std::string& selector, bool with_decryption) {
  Selector sel = parse_selector(selector);
  expire();
  return present(resolve(sel), with_decryption);
}

GetManyResult Local::get_many(const std::vector<std::string>& selectors, bool with_decryption) {
  if (selectors.size() > k_max_names_per_call)
    throw Error("ValidationException", fmt::format("at most {} names per call", k_max_names_per_call));
  expire();
  GetManyResult out;
  std::set<std::string> seen;
  for (const auto& text : selectors) {
    if (!seen.insert(text).second) continue;
    try {
      out.parameters.push_back(present(resolve(parse_selector(text)), with_decryption));
    } catch (const Error&) {
      out.invalid.push_back(text);
    }
  }
  return out;
}

std::vector<Version> Local::by_path(const std::string& path, bool recursive, const std::vector<Filter>& filters,
                                    bool with_decryption) {
  std::string p = normalise_path(path);
  check_filters(filters, {"Type", "KeyId", "Label"});
  expire();
  std::vector<Version> out;
  for (Row& row : latest_rows()) {
    if (!under_path(row.v.name, p, recursive) || !passes(row.v, filters)) continue;
    bool wanted = true;
    for (const auto& f : filters) {
      if (f.key != "Label") continue;
      wanted = false;
      for (const auto& l : f.values) {
        Stmt s(m_db, "SELECT version FROM labels WHERE key = ? AND label = ?");
        s.bind_text(1, row.key).bind_text(2, l);
        if (s.step()) {
          row = *version_row(row.key, s.integer(0));
          wanted = true;
          break;
        }
      }
    }
    if (wanted) out.push_back(present(row, with_decryption));
  }
  return out;
}

std::vector<Version> Local::history(const std::string& name, bool with_decryption) {
  Selector sel = parse_selector(name);
  expire();
  std::string k = canonical_name(sel.name);
  if (!latest(k)) throw Error("ParameterNotFound", fmt::format("parameter {} not found", sel.name));
  Stmt s(m_db, fmt::format("SELECT {} FROM parameters p JOIN versions v ON v.key = p.key WHERE p.key = ? "
                           "ORDER BY v.version",
                           k_row_columns)
                   .c_str());
  s.bind_text(1, k);
  std::vector<Row> rows;
  while (s.step()) rows.push_back(read_row(s));
  std::vector<Version> out;
  for (auto& row : rows) out.push_back(present(row, with_decryption));
  return out;
}

std::vector<Version> Local::describe(const std::vector<Filter>& filters) {
  check_filters(filters, {"Name", "Type", "KeyId", "Path", "Tier", "DataType"});
  expire();
  std::vector<Version> out;
  for (Row& row : latest_rows())
    if (passes(row.v, filters)) out.push_back(present(row, false));
  return out;
}

LabelResult Local::label(const std::string& name, std::optional<long long> version,
                         const std::vector<std::string>& labels) {
  expire();
  return transaction([&] {
    std::string k = canonical_name(name);
    auto row = latest(k);
    if (!row) throw Error("ParameterNotFound", fmt::format("parameter {} not found", name));
    LabelResult out;
    out.version = version.value_or(row->v.version);
    if (!version_row(k, out.version))
      throw Error("ParameterVersionNotFound",
                  fmt::format("Systems Manager could not find version {} of {}", out.version, name));
    std::vector<std::string> existing = labels_of(k, out.version);
    std::set<std::string> result(existing.begin(), existing.end());
    std::vector<std::string> valid;
    for (const auto& l : labels) {
      if (!label_problem(l).empty()) {
        out.invalid_labels.push_back(l);
      } else if (std::find(valid.begin(), valid.end(), l) == valid.end()) {
        valid.push_back(l);
        result.insert(l);
      }
    }
    if (result.size() > k_max_labels_per_version)
      throw Error("ParameterVersionLabelLimitExceeded",
                  fmt::format("version {} of {} would have {} labels; a version can have at most {}", out.version,
                              name, result.size(), k_max_labels_per_version));
    for (const auto& l : valid) {
      Stmt s(m_db, "INSERT INTO labels (key, label, version) VALUES (?, ?, ?) "
                   "ON CONFLICT(key, label) DO UPDATE SET version = excluded.version");
      s.bind_text(1, k).bind_text(2, l).bind(3, out.version).run();
    }
    return out;
  });
}

UnlabelResult Local::unlabel(const std::string& name, long long version, const std::vector<std::string>& labels) {
  expire();
  return transaction([&] {
    std::string k = canonical_name(name);
    if (!latest(k)) throw Error("ParameterNotFound", fmt::format("parameter {} not found", name));
    if (!version_row(k, version))
      throw Error("ParameterVersionNotFound",
                  fmt::format("Systems Manager could not find version {} of {}", version, name));
    UnlabelResult out;
    for (const auto& l : labels) {
      Stmt s(m_db, "DELETE FROM labels WHERE key = ? AND label = ? AND version = ?");
      s.bind_text(1, k).bind_text(2, l).bind(3, version).run();
      (sqlite3_changes(m_db) > 0 ? out.removed : out.invalid).push_back(l);
    }
    return out;
  });
}

void Local::remove(const std::string& name) {
  expire();
  transaction([&] {
    std::string k = canonical_name(name);
    if (!latest(k)) throw Error("ParameterNotFound", fmt::format("parameter {} not found", name));
    delete_key(k);
  });
}

DeleteManyResult Local::remove_many(const std::vector<std::string>& names) {
  if (names.size() > k_max_names_per_call)
    throw Error("ValidationException", fmt::format("at most {} names per call", k_max_names_per_call));
  expire();
  return transaction([&] {
    DeleteManyResult out;
    for (const auto& name : names) {
      std::string k = canonical_name(name);
      if (latest(k)) {
        delete_key(k);
        out.deleted.push_back(name);
      } else {
        out.invalid.push_back(name);
      }
    }
    return out;
  });
}

std::vector<PolicyNotice> Local::check_policies() {
  expire();
  std::vector<PolicyNotice> out;
  SystemTime now = m_clock.now();
  for (const Row& row : latest_rows()) {
    if (row.v.policies.empty()) continue;
    auto policies = parse_policies(row.v.policies);
    std::optional<SystemTime> expires;
    for (const auto& p : policies)
      if (p.type == "Expiration") expires = p.timestamp;
    for (const auto& p : policies) {
      PolicyNotice n{row.v.name, p.type, {}, false, {}};
      if (p.type == "Expiration") {
        n.at = p.timestamp;
        n.text = fmt::format("expires (is deleted) at {}", iso8601_s(n.at));
      } else if (p.type == "ExpirationNotification") {
        if (!expires) {
          n.text = "no Expiration policy to notify about";
        } else {
          n.at = *expires - p.span;
          n.due = now >= n.at;
          n.text = fmt::format("expires at {}", iso8601_s(*expires));
        }
      } else {
        n.at = row.v.last_modified + p.span;
        n.due = now >= n.at;
        n.text = fmt::format("unchanged since {}", iso8601_s(row.v.last_modified));
      }
      out.push_back(std::move(n));
    }
  }
  return out;
}

size_t Local::rotate_key() {
  expire();
  std::filesystem::path staged = m_key_file.string() + ".new";
  Key fresh = generate_key();
  write_key_file(staged, fresh);
  size_t count = 0;
  try {
    transaction([&] {
      Stmt s(m_db, fmt::format("SELECT {} FROM parameters p JOIN versions v ON v.key = p.key "
                               "WHERE v.type = 'SecureString'",
                               k_row_columns)
                       .c_str());
      std::vector<Row> rows;
      while (s.step()) rows.push_back(read_row(s));
      for (Row& row : rows) {
        std::string aad = value_aad(row.key, row.v.version);
        Version plain = present(row, true);
        Stmt up(m_db, "UPDATE versions SET value = ?, key_fingerprint = ? WHERE key = ? AND version = ?");
        up.bind(1, encrypt(fresh, plain.value, aad)).bind_text(2, fresh.fingerprint());
        up.bind_text(3, row.key).bind(4, row.v.version).run();
        ++count;
      }
    });
  } catch (...) {
    std::filesystem::remove(staged);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(staged, m_key_file, ec);
  if (ec)
    throw RuntimeError(fmt::format("the values are re-encrypted under the key in {} but it could not replace {}: {}",
                                   staged.string(), m_key_file.string(), ec.message()));
  m_key = fresh;
  return count;
}

} // namespace

std::unique_ptr<LocalBackend> open_local(const std::filesystem::path& db_file, const std::filesystem::path& key_file,
                                         const Clock& clock) {
  return std::make_unique<Local>(db_file, key_file, clock);
}

} // namespace sshm::params
