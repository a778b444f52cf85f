#pragma once
// The local state store: SQLite in WAL mode at <state-dir>/sshm.db, plus full outputs under
// <state-dir>/outputs/ in SSM's key layout. Safe with several sshm processes at once.
#include "store/records.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace sshm::store {

struct CommandFilter {
  std::string status;         // "" for any
  std::string document_name;  // "" for any
  std::string since;          // ISO 8601, "" for any
  int limit = 50;
};

class Store {
public:
  // Opens (and creates or migrates) the store; throws RuntimeError when it cannot.
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
  // Updates the command row (status, counts, completion time).
  void save_command(const CommandRecord& command);

  std::vector<CommandRecord> list_commands(const CommandFilter& filter) const;
  // Finds a command by its full ID or a unique prefix of it.
  std::optional<CommandRecord> get_command(const std::string& id_or_prefix) const;
  std::vector<InvocationRecord> get_invocations(const std::string& command_id) const;

  // The raw handle, for folders that keep their own tables (inventory, compliance).
  sqlite3* db() const { return m_db; }

private:
  Store(std::filesystem::path state_dir, sqlite3* db);
  std::filesystem::path m_state_dir;
  sqlite3* m_db = nullptr;
};

// SSM's JSON shapes, shared by `run -o json` and `commands show`.
nlohmann::json command_to_json(const CommandRecord& command);
nlohmann::json invocation_to_json(const InvocationRecord& invocation);
// StandardOutputContent / StandardErrorContent truncation, exactly as SSM.
std::string truncate_stdout_content(const std::string& full);  // 24000 chars, "--output truncated--"
std::string truncate_stderr_content(const std::string& full);  // 8000 chars
// CommandPlugin.Output (2500 chars): stdout, "\n----------ERROR-------\n", stderr.
std::string plugin_output(const std::string& out, const std::string& err);

} // namespace sshm::store
