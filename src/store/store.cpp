// Commands, invocations and plugins in the state store, and opening the store: the record
// <-> row mapping of SSM's Command, CommandInvocation and CommandPlugin.
#include "store/store.hpp"

#include "store/sql.hpp"
#include "util/error.hpp"
#include "util/safe_path.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace sshm::store {

namespace {

const char* const k_command_columns =
    "command_id, document_name, document_version, comment, parameters, targets, requested_date_time, "
    "completed_date_time, status, status_details, target_count, completed_count, error_count, "
    "delivery_timed_out_count, max_concurrency, max_errors, timeout_seconds, output_s3_bucket_name, "
    "output_s3_key_prefix, cloudwatch_log_group, stop_reason";

void bind_command(Statement& st, const CommandRecord& c) {
  int i = 1;
  st.bind(i++, c.command_id);
  st.bind(i++, c.document_name);
  st.bind(i++, c.document_version);
  st.bind(i++, c.comment);
  st.bind(i++, c.parameters.dump());
  st.bind(i++, nlohmann::json(c.targets).dump());
  st.bind(i++, c.requested_date_time);
  st.bind(i++, c.completed_date_time);
  st.bind(i++, c.status);
  st.bind(i++, c.status_details);
  st.bind(i++, static_cast<long long>(c.target_count));
  st.bind(i++, static_cast<long long>(c.completed_count));
  st.bind(i++, static_cast<long long>(c.error_count));
  st.bind(i++, static_cast<long long>(c.delivery_timed_out_count));
  st.bind(i++, c.max_concurrency);
  st.bind(i++, c.max_errors);
  st.bind(i++, static_cast<long long>(c.timeout_seconds));
  st.bind(i++, c.output_s3_bucket_name);
  st.bind(i++, c.output_s3_key_prefix);
  st.bind(i++, c.cloudwatch_log_group);
  st.bind(i++, c.stop_reason);
}

nlohmann::json parse_json_column(const std::string& text, nlohmann::json fallback) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

CommandRecord read_command(const Statement& st) {
  CommandRecord c;
  int i = 0;
  c.command_id = st.text(i++);
  c.document_name = st.text(i++);
  c.document_version = st.text(i++);
  c.comment = st.text(i++);
  c.parameters = parse_json_column(st.text(i++), nlohmann::json::object());
  nlohmann::json targets = parse_json_column(st.text(i++), nlohmann::json::array());
  for (const auto& t : targets)
    if (t.is_string()) c.targets.push_back(t.get<std::string>());
  c.requested_date_time = st.text(i++);
  c.completed_date_time = st.text(i++);
  c.status = st.text(i++);
  c.status_details = st.text(i++);
  c.target_count = static_cast<int>(st.integer(i++));
  c.completed_count = static_cast<int>(st.integer(i++));
  c.error_count = static_cast<int>(st.integer(i++));
  c.delivery_timed_out_count = static_cast<int>(st.integer(i++));
  c.max_concurrency = st.text(i++);
  c.max_errors = st.text(i++);
  c.timeout_seconds = static_cast<int>(st.integer(i++));
  c.output_s3_bucket_name = st.text(i++);
  c.output_s3_key_prefix = st.text(i++);
  c.cloudwatch_log_group = st.text(i++);
  c.stop_reason = st.text(i++);
  return c;
}

const char* const k_invocation_columns =
    "command_id, instance_id, document_name, status, status_details, response_code, requested_date_time, "
    "execution_start_date_time, execution_end_date_time, standard_output_content, standard_error_content, "
    "standard_output_url, standard_error_url, failure_kind, failure_message";

InvocationRecord read_invocation(const Statement& st) {
  InvocationRecord r;
  int i = 0;
  r.command_id = st.text(i++);
  r.instance_id = st.text(i++);
  r.document_name = st.text(i++);
  r.status = st.text(i++);
  r.status_details = st.text(i++);
  r.response_code = static_cast<int>(st.integer(i++));
  r.requested_date_time = st.text(i++);
  r.execution_start_date_time = st.text(i++);
  r.execution_end_date_time = st.text(i++);
  r.standard_output_content = st.text(i++);
  r.standard_error_content = st.text(i++);
  r.standard_output_url = st.text(i++);
  r.standard_error_url = st.text(i++);
  r.failure_kind = st.text(i++);
  r.failure_message = st.text(i++);
  return r;
}

const char* const k_plugin_columns =
    "instance_id, name, plugin, status, status_details, response_code, response_start_date_time, "
    "response_finish_date_time, output, stdout_path, stderr_path, stdout_bytes, stderr_bytes, "
    "standard_output_url, standard_error_url";

PluginRecord read_plugin(const Statement& st) {
  PluginRecord p;
  int i = 1;  // column 0 is instance_id
  p.name = st.text(i++);
  p.plugin = st.text(i++);
  p.status = st.text(i++);
  p.status_details = st.text(i++);
  p.response_code = static_cast<int>(st.integer(i++));
  p.response_start_date_time = st.text(i++);
  p.response_finish_date_time = st.text(i++);
  p.output = st.text(i++);
  p.stdout_path = st.text(i++);
  p.stderr_path = st.text(i++);
  p.stdout_bytes = st.integer(i++);
  p.stderr_bytes = st.integer(i++);
  p.standard_output_url = st.text(i++);
  p.standard_error_url = st.text(i++);
  return p;
}

// Writes invocations and their plugins inside an open transaction, reusing statements.
void write_invocations(Transaction& tx, const std::vector<InvocationRecord>& invocations) {
  tx.release_cache_on_commit();
  Statement upsert(tx, R"sql(
INSERT INTO invocations (command_id, instance_id, document_name, status, status_details, response_code,
  requested_date_time, execution_start_date_time, execution_end_date_time, standard_output_content,
  standard_error_content, standard_output_url, standard_error_url, failure_kind, failure_message)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
ON CONFLICT (command_id, instance_id) DO UPDATE SET
  document_name = excluded.document_name, status = excluded.status,
  status_details = excluded.status_details, response_code = excluded.response_code,
  requested_date_time = excluded.requested_date_time,
  execution_start_date_time = excluded.execution_start_date_time,
  execution_end_date_time = excluded.execution_end_date_time,
  standard_output_content = excluded.standard_output_content,
  standard_error_content = excluded.standard_error_content,
  standard_output_url = excluded.standard_output_url, standard_error_url = excluded.standard_error_url,
  failure_kind = excluded.failure_kind, failure_message = excluded.failure_message
)sql");
  Statement clear(tx, "DELETE FROM plugins WHERE command_id = ?1 AND instance_id = ?2");
  Statement insert_plugin(tx, R"sql(
INSERT INTO plugins (command_id, instance_id, seq, name, plugin, status, status_details, response_code,
  response_start_date_time, response_finish_date_time, output, stdout_path, stderr_path, stdout_bytes,
  stderr_bytes, standard_output_url, standard_error_url)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
)sql");
  for (const InvocationRecord& r : invocations) {
    int i = 1;
    upsert.bind(i++, r.command_id);
    upsert.bind(i++, r.instance_id);
    upsert.bind(i++, r.document_name);
    upsert.bind(i++, r.status);
    upsert.bind(i++, r.status_details);
    upsert.bind(i++, static_cast<long long>(r.response_code));
    upsert.bind(i++, r.requested_date_time);
    upsert.bind(i++, r.execution_start_date_time);
    upsert.bind(i++, r.execution_end_date_time);
    upsert.bind(i++, r.standard_output_content);
    upsert.bind(i++, r.standard_error_content);
    upsert.bind(i++, r.standard_output_url);
    upsert.bind(i++, r.standard_error_url);
    upsert.bind(i++, r.failure_kind);
    upsert.bind(i++, r.failure_message);
    upsert.run();

    clear.bind(1, r.command_id);
    clear.bind(2, r.instance_id);
    clear.run();
    long long seq = 0;
    for (const PluginRecord& p : r.plugins) {
      int j = 1;
      insert_plugin.bind(j++, r.command_id);
      insert_plugin.bind(j++, r.instance_id);
      insert_plugin.bind(j++, seq++);
      insert_plugin.bind(j++, p.name);
      insert_plugin.bind(j++, p.plugin);
      insert_plugin.bind(j++, p.status);
      insert_plugin.bind(j++, p.status_details);
      insert_plugin.bind(j++, static_cast<long long>(p.response_code));
      insert_plugin.bind(j++, p.response_start_date_time);
      insert_plugin.bind(j++, p.response_finish_date_time);
      insert_plugin.bind(j++, p.output);
      insert_plugin.bind(j++, p.stdout_path);
      insert_plugin.bind(j++, p.stderr_path);
      insert_plugin.bind(j++, p.stdout_bytes);
      insert_plugin.bind(j++, p.stderr_bytes);
      insert_plugin.bind(j++, p.standard_output_url);
      insert_plugin.bind(j++, p.standard_error_url);
      insert_plugin.run();
    }
  }
}

// Creates the directory (and missing parents) private to the user when it does not exist.
void make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  if (!dir.parent_path().empty() && dir.parent_path() != dir) make_private_dir(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw RuntimeError(fmt::format("cannot create state directory '{}': {}", dir.string(), std::strerror(errno)));
}

// What the reserve keeps back: the final rows of some thousands of invocations without their
// inline outputs, with the WAL frames their pages take.
constexpr off_t k_reserve_bytes = 1 << 20;

std::filesystem::path reserve_path(const std::filesystem::path& state_dir) { return state_dir / "sshm.db.reserve"; }

// Makes the reserve when the disk has room for all of it; a disk without that room gets none
// (a part would only take the last bytes the store needs now).
bool make_reserve(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && st.st_size >= k_reserve_bytes) return true;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool made = ::posix_fallocate(fd, 0, k_reserve_bytes) == 0;
  ::close(fd);
  if (!made) ::unlink(path.c_str());
  return made;
}

} // namespace

Store::Store(std::filesystem::path state_dir, sqlite3* db) : m_state_dir(std::move(state_dir)), m_db(db) {}

Store::~Store() { close_connection(m_db); }

std::unique_ptr<Store> Store::connect(const std::filesystem::path& state_dir, const std::filesystem::path& path) {
  std::unique_ptr<Store> store(new Store(state_dir, open_connection(path)));  // closes it on any throw below
  // Every table of every folder exists before any command runs. A new schema is a few hundred
  // KB of pages in the WAL: folded into the database file and the WAL emptied at once, so a
  // run on a nearly full disk does not carry them (best effort: another connection may hold
  // the WAL, and then its last close does it).
  if (migrate(*store))
    (void)sqlite3_wal_checkpoint_v2(store->m_db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  return store;
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& state_dir) {
  make_private_dir(state_dir);
  make_private_dir(state_dir / "outputs");
  std::filesystem::path path = state_dir / "sshm.db";
  // Create the file ourselves so it is 0600 whatever the umask; SQLite gives the -wal and
  // -shm files the database file's permissions. An existing file is never opened here: its
  // close() would drop the locks of another Store of this process on it.
  create_private_file_if_missing(path);

  std::unique_ptr<Store> store;
  try {
    store = connect(state_dir, path);
  } catch (const StoreError& e) {
    // WAL mode needs room for its -wal and -shm files even to read: on a full disk, once more
    // with the space the reserve kept (an I/O error is how SQLite reports the -shm it could
    // not grow).
    const bool full = e.kind() == StoreError::Kind::disk_full || e.kind() == StoreError::Kind::io;
    if (!full || ::unlink(reserve_path(state_dir).c_str()) != 0) throw;
    store = connect(state_dir, path);
  }
  store->m_has_reserve = make_reserve(reserve_path(state_dir));
  return store;
}

bool Store::release_reserve() const {
  if (!m_has_reserve.exchange(false)) return false;
  // Another sshm on this state dir may have freed it first: then there is nothing to retry with.
  return ::unlink(reserve_path(m_state_dir).c_str()) == 0;
}

void Store::begin_command(const CommandRecord& command, const std::vector<InvocationRecord>& invocations) {
  with_transaction(*this, Access::write, [&](Transaction& tx) {
    Statement exists(tx, "SELECT 1 FROM commands WHERE command_id = ?1");
    exists.bind(1, command.command_id);
    if (exists.step()) throw RuntimeError(fmt::format("state store: command {} already exists", command.command_id));
    Statement insert(tx, fmt::format("INSERT INTO commands ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                       "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                                       k_command_columns)
                               .c_str());
    bind_command(insert, command);
    insert.run();
    write_invocations(tx, invocations);
  });
}

void Store::save_invocations(const std::vector<InvocationRecord>& invocations) {
  if (invocations.empty()) return;
  with_transaction(*this, Access::write, [&](Transaction& tx) { write_invocations(tx, invocations); });
}

void Store::save_command(const CommandRecord& command) {
  with_transaction(*this, Access::write, [&](Transaction& tx) {
    Statement upsert(tx, fmt::format("INSERT OR REPLACE INTO commands ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                       "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                                       k_command_columns)
                               .c_str());
    bind_command(upsert, command);
    upsert.run();
  });
}

void Store::save_run_spec(const std::string& command_id, const RunSpec& spec) {
  with_transaction(*this, Access::write, [&](Transaction& tx) {
    Statement upsert(tx, "INSERT OR REPLACE INTO command_runs (command_id, spec, owner) VALUES (?1, ?2, ?3)");
    upsert.bind(1, command_id);
    upsert.bind(2, spec.spec.dump());
    upsert.bind(3, spec.owner.dump());
    upsert.run();
  });
}

std::optional<RunSpec> Store::find_run_spec(const std::string& command_id) const {
  std::optional<RunSpec> found;
  with_transaction(*this, Access::read, [&](Transaction& tx) {
    found.reset();
    Statement st(tx, "SELECT spec, owner FROM command_runs WHERE command_id = ?1");
    st.bind(1, command_id);
    if (st.step())
      found = RunSpec{parse_json_column(st.text(0), nlohmann::json::object()),
                      parse_json_column(st.text(1), nlohmann::json::object())};
  });
  return found;
}

std::vector<CommandRecord> Store::list_commands(const CommandFilter& filter) const {
  std::string sql = fmt::format("SELECT {} FROM commands WHERE 1=1", k_command_columns);
  if (!filter.status.empty())
    sql += " AND (lower(status) = lower(?1) OR lower(replace(status_details, ' ', '')) = lower(?1))";
  if (!filter.document_name.empty()) sql += " AND document_name = ?2";
  std::string since;
  if (!filter.since.empty()) {
    since = iso8601_ms(parse_iso8601(filter.since));  // the form the records use, so text order is time order
    sql += " AND requested_date_time >= ?3";
  }
  sql += " ORDER BY requested_date_time DESC, rowid DESC";
  if (filter.limit > 0) sql += fmt::format(" LIMIT {}", filter.limit);

  std::vector<CommandRecord> out;
  with_transaction(*this, Access::read, [&](Transaction& tx) {
    out.clear();
    Statement st(tx, sql.c_str());
    if (!filter.status.empty()) st.bind(1, filter.status);
    if (!filter.document_name.empty()) st.bind(2, filter.document_name);
    if (!since.empty()) st.bind(3, since);
    while (st.step()) out.push_back(read_command(st));
  });
  return out;
}

std::optional<CommandRecord> Store::find_command(const std::string& command_id) const {
  std::optional<CommandRecord> found;
  with_transaction(*this, Access::read, [&](Transaction& tx) {
    found.reset();
    Statement st(tx, fmt::format("SELECT {} FROM commands WHERE command_id = ?1", k_command_columns).c_str());
    st.bind(1, command_id);
    if (st.step()) found = read_command(st);
  });
  return found;
}

std::optional<CommandRecord> Store::get_command(const std::string& id_or_prefix) const {
  std::string prefix = to_lower(trim(id_or_prefix));
  if (prefix.empty()) throw InputError("a command ID (or a unique prefix of one) is required");
  std::vector<CommandRecord> matches;
  std::vector<std::string> recent;
  {
      with_transaction(*this, Access::read, [&](Transaction& tx) {
      matches.clear();
      recent.clear();
      Statement st(tx, fmt::format("SELECT {} FROM commands WHERE substr(lower(command_id), 1, ?1) = ?2 "
                                     "ORDER BY requested_date_time DESC LIMIT 11",
                                     k_command_columns)
                             .c_str());
      st.bind(1, static_cast<long long>(prefix.size()));
      st.bind(2, prefix);
      while (st.step()) matches.push_back(read_command(st));
      if (matches.empty()) {
        Statement ids(tx, "SELECT command_id FROM commands ORDER BY requested_date_time DESC LIMIT 1000");
        while (ids.step()) recent.push_back(ids.text(0));
      }
    });
  }
  for (const CommandRecord& c : matches)
    if (to_lower(c.command_id) == prefix) return c;
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    std::vector<std::string> prefixes;
    for (const std::string& id : recent) prefixes.push_back(to_lower(id.substr(0, std::min(id.size(), prefix.size()))));
    std::string near = closest_match(prefix, prefixes);
    std::string suggestion;
    for (const std::string& id : recent)
      if (!near.empty() && to_lower(id).rfind(near, 0) == 0) {
        suggestion = id;
        break;
      }
    throw InputError(fmt::format("no command '{}' in the history ({})", id_or_prefix,
                                 recent.empty() ? "it is empty" : "see `sshm commands list`"),
                     suggestion);
  }
  std::string list;
  for (size_t i = 0; i < matches.size() && i < 10; ++i)
    list += fmt::format("\n  {}  {}  {}", matches[i].command_id, matches[i].requested_date_time,
                        matches[i].document_name);
  if (matches.size() > 10) list += "\n  ...";
  throw InputError(fmt::format("command ID prefix '{}' is ambiguous; it matches:{}", id_or_prefix, list));
}

std::vector<InvocationRecord> Store::get_invocations(const std::string& command_id) const {
  std::vector<InvocationRecord> out;
  with_transaction(*this, Access::read, [&](Transaction& tx) {
    out.clear();
    Statement st(tx, fmt::format("SELECT {} FROM invocations WHERE command_id = ?1 ORDER BY rowid",
                                   k_invocation_columns)
                           .c_str());
    st.bind(1, command_id);
    std::unordered_map<std::string, size_t> index;
    while (st.step()) {
      out.push_back(read_invocation(st));
      index[out.back().instance_id] = out.size() - 1;
    }
    Statement plugins(tx, fmt::format("SELECT {} FROM plugins WHERE command_id = ?1 ORDER BY instance_id, seq",
                                        k_plugin_columns)
                                .c_str());
    plugins.bind(1, command_id);
    while (plugins.step()) {
      auto it = index.find(plugins.text(0));
      if (it != index.end()) out[it->second].plugins.push_back(read_plugin(plugins));
    }
  });
  return out;
}

std::map<std::string, int> Store::invocation_status_counts(const std::string& command_id) const {
  std::map<std::string, int> counts;
  with_transaction(*this, Access::read, [&](Transaction& tx) {
    counts.clear();
    Statement st(tx, "SELECT status, count(*) FROM invocations WHERE command_id = ?1 GROUP BY status");
    st.bind(1, command_id);
    while (st.step()) counts[st.text(0)] = static_cast<int>(st.integer(1));
  });
  return counts;
}

} // namespace sshm::store
