#pragma once
// The local state store: SQLite in WAL mode at <state-dir>/sshm.db, plus full outputs under
// <state-dir>/outputs/ in SSM's key layout. Safe with several sshm processes at once and
// with many threads sharing one Store: every transaction holds the Store's lock from BEGIN
// to COMMIT, so transactions never interleave on its connection. All SQL lives in this
// folder (commands here, inventory_tables.hpp, patch_tables.hpp); the SQLite handle never
// leaves it.
#include "store/records.hpp"
#include "util/error.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;

namespace sshm::store {

// A read or write of the state store failed (disk full, I/O error, corrupt file, locked by
// another process for too long). The message names the store file and what went wrong.
class StoreError : public RuntimeError {
public:
  enum class Kind { disk_full, io, locked, read_only, corrupt, refused, other };
  StoreError(Kind kind, const std::string& message) : RuntimeError(message), m_kind(kind) {}
  Kind kind() const { return m_kind; }

private:
  Kind m_kind;
};

struct CommandFilter {
  std::string status;         // "" for any
  std::string document_name;  // "" for any
  std::string since;          // ISO 8601, "" for any
  int limit = 50;
};

// What a run needs to be resumed (`commands resume`), and the process that runs it.
struct RunSpec {
  nlohmann::json spec = nlohmann::json::object();
  nlohmann::json owner = nlohmann::json::object();
};

class Store {
public:
  // Opens (and creates or migrates) the store; every table exists when it returns. Throws
  // RuntimeError when it cannot.
  static std::unique_ptr<Store> open(const std::filesystem::path& state_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& state_dir() const { return m_state_dir; }
  // Root of the full outputs: <state-dir>/outputs/<CommandId>/<host>/<plugin>/<step>/stdout.
  std::filesystem::path outputs_dir() const { return m_state_dir / "outputs"; }

  // Records a new command with all its invocations (Pending) before anything runs.
  void begin_command(const CommandRecord& command, const std::vector<InvocationRecord>& invocations);
  // Saves the given invocations (insert or replace, plugins included) in one transaction.
  void save_invocations(const std::vector<InvocationRecord>& invocations);
  // Updates the command row (status, counts, completion time). Writes throw StoreError.
  void save_command(const CommandRecord& command);

  // Records (insert or replace) how a command was asked for, for `commands resume`.
  void save_run_spec(const std::string& command_id, const RunSpec& spec);
  // The run spec of a command, or nullopt (commands recorded before resume existed).
  std::optional<RunSpec> find_run_spec(const std::string& command_id) const;

  // Commands matching the filter, newest first. `status` matches Status or StatusDetails
  // without spaces, case-insensitively (as SSM's ListCommands filter: Success, Incomplete,
  // DeliveryTimedOut, NoInstancesInTag, ...); `since` is compared with RequestedDateTime.
  std::vector<CommandRecord> list_commands(const CommandFilter& filter) const;
  // Finds a command by its full ID or a unique prefix of it (case-insensitive). Throws
  // InputError when the prefix matches nothing (with a did-you-mean) or several commands
  // (listing them); so the result is always engaged.
  std::optional<CommandRecord> get_command(const std::string& id_or_prefix) const;
  // The command with exactly this ID, or nullopt. Never throws for an unknown ID.
  std::optional<CommandRecord> find_command(const std::string& command_id) const;
  // The command's invocations in the order they were first recorded, plugins included.
  std::vector<InvocationRecord> get_invocations(const std::string& command_id) const;
  // Invocation Status -> how many, for one command (cheap: no outputs are read).
  std::map<std::string, int> invocation_status_counts(const std::string& command_id) const;

  // Space kept back for the history: a file of a few hundred KB in the state dir, made at
  // open when the disk has room. When a write meets a full disk the store deletes it and
  // tries once more, so a run on a disk that filled up (its own outputs, or anything else on
  // that file system) still records what it lost. True when there was a reserve to free.
  bool release_reserve() const;

private:
  // The one way to the connection (store/sql.hpp): it holds m_mutex for a whole transaction.
  friend class Transaction;
  Store(std::filesystem::path state_dir, sqlite3* db);
  // Opens the connection and migrates the schema.
  static std::unique_ptr<Store> connect(const std::filesystem::path& state_dir, const std::filesystem::path& path);
  std::filesystem::path m_state_dir;
  sqlite3* m_db = nullptr;
  // One Store may be shared by threads: its transactions must not interleave.
  mutable std::mutex m_mutex;
  // The thread inside a transaction, so that a nested one is an error, not a deadlock.
  mutable std::atomic<std::thread::id> m_owner{};
  mutable std::atomic<bool> m_has_reserve{false};
};

// SSM's JSON shapes, shared by `run -o json` and `commands show`. Strings that are not
// valid UTF-8 get U+FFFD for each bad byte, as SSM's JSON does.
// Command (ListCommands shape).
nlohmann::json command_to_json(const CommandRecord& command);
// GetCommandInvocation's shape plus "CommandPlugins" (ListCommandInvocations --details).
// With `command`, Comment, DocumentVersion, CloudWatchOutputConfig and the plugins'
// OutputS3BucketName/OutputS3KeyPrefix come from it; without, they are empty.
nlohmann::json invocation_to_json(const InvocationRecord& invocation, const CommandRecord* command = nullptr);
// When SSM would mark the command's unfinished invocations DeliveryTimedOut: the request time
// plus TimeoutSeconds plus the execution timeout ("" when the command has no request time).
std::string expires_after(const CommandRecord& command);
// ListCommandInvocations' CommandInvocation; CommandPlugins only with `details` (as --details).
nlohmann::json command_invocation_json(const InvocationRecord& invocation, const CommandRecord& command, bool details);
// GetCommandInvocation's response. With `plugin` (a step of several), that step's status, code,
// times and streams (the full streams are passed in and truncated as SSM truncates them).
nlohmann::json get_command_invocation_json(const InvocationRecord& invocation, const CommandRecord& command,
                                           const PluginRecord* plugin, const std::string& stdout_content,
                                           const std::string& stderr_content);
// The object `run -o json` and `commands show -o json` print: command_to_json plus
// "Invocations": [invocation_to_json...].
nlohmann::json command_report_json(const CommandRecord& command, const std::vector<InvocationRecord>& invocations);
// Our -t expressions as SSM Targets [{Key, Values}]: tag:K=a,b -> tag:K; names ->
// InstanceIds; group:G -> resource-groups:Name; tag-key:K -> tag-key; all -> InstanceIds [*];
// Key=..,Values=.. as given; anything else (globs, "-") -> sshm:target [expression].
nlohmann::json ssm_targets(const std::vector<std::string>& expressions);
// ExecutionElapsedTime as SSM prints it ("PT0.123S", "PT1M2.5S"); "" unless both are set.
std::string execution_elapsed_time(const std::string& start, const std::string& end);
// The name SSM reports for a step: the plugin for a schema 1.2 property id
// ("0.aws:runShellScript" -> "aws:runShellScript"), else the step name.
std::string plugin_display_name(const PluginRecord& plugin);

// Characters SSM keeps inline. A caller that passes only the start of a big output gets the
// same result as with the whole one if it passes at least 4 bytes (one UTF-8 character at
// most) per character of the limit, plus one character.
constexpr size_t k_stdout_content_chars = 24000;
constexpr size_t k_stderr_content_chars = 8000;
constexpr size_t k_plugin_output_chars = 2500;
// StandardOutputContent / StandardErrorContent truncation, exactly as SSM, counting UTF-8
// characters (an invalid byte counts as one) and never splitting one: below the limit the
// text is unchanged, else its first limit-20 characters and "--output truncated--".
std::string truncate_stdout_content(const std::string& full);  // 24000 chars
std::string truncate_stderr_content(const std::string& full);  // 8000 chars
// CommandPlugin.Output (2500 chars): stdout, "\n----------ERROR-------\n", stderr, cut with
// "\n---Output truncated---" / "\n---Error truncated----" as the agent's TruncateOutput does.
// On exit 168 SSM drops stderr: pass "" for `err` then.
std::string plugin_output(const std::string& out, const std::string& err, size_t capacity = k_plugin_output_chars);

// Where a step's full output lives: <root>/<CommandId>/<host>/<plugin without ':'>/
// <step without ':'>/stdout (or stderr), SSM's key layout.
std::filesystem::path output_path(const std::filesystem::path& root, const std::string& command_id,
                                  const std::string& host, const std::string& plugin, const std::string& step,
                                  bool is_stderr);
// The S3 object key for the same: <prefix>/<CommandId>/<host>/<plugin>/<step>/<stream>, joined
// as Go's path.Join (no empty segments; an empty prefix starts the key with CommandId/).
std::string output_key(const std::string& prefix, const std::string& command_id, const std::string& host,
                       const std::string& plugin, const std::string& step, const std::string& stream);

} // namespace sshm::store
