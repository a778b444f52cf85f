// The schema of the state store: ordered migrations, applied at open in one transaction, so
// that every table exists before any command runs. PRAGMA user_version is the number of
// migrations applied.
#include "store/sql.hpp"

#include <fmt/format.h>

namespace sshm::store {

namespace {

// Entry i takes user_version i to i+1. Append only; never edit one.
const char* const k_migrations[] = {
    // 0 -> 1: commands, their invocations and plugins (steps).
    R"sql(
CREATE TABLE commands (
  command_id TEXT PRIMARY KEY,
  document_name TEXT NOT NULL,
  document_version TEXT NOT NULL,
  comment TEXT NOT NULL,
  parameters TEXT NOT NULL,
  targets TEXT NOT NULL,
  requested_date_time TEXT NOT NULL,
  completed_date_time TEXT NOT NULL,
  status TEXT NOT NULL,
  status_details TEXT NOT NULL,
  target_count INTEGER NOT NULL,
  completed_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  delivery_timed_out_count INTEGER NOT NULL,
  max_concurrency TEXT NOT NULL,
  max_errors TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  output_s3_bucket_name TEXT NOT NULL,
  output_s3_key_prefix TEXT NOT NULL,
  cloudwatch_log_group TEXT NOT NULL,
  stop_reason TEXT NOT NULL
);
CREATE INDEX commands_requested ON commands(requested_date_time);
CREATE TABLE invocations (
  command_id TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  document_name TEXT NOT NULL,
  status TEXT NOT NULL,
  status_details TEXT NOT NULL,
  response_code INTEGER NOT NULL,
  requested_date_time TEXT NOT NULL,
  execution_start_date_time TEXT NOT NULL,
  execution_end_date_time TEXT NOT NULL,
  standard_output_content TEXT NOT NULL,
  standard_error_content TEXT NOT NULL,
  standard_output_url TEXT NOT NULL,
  standard_error_url TEXT NOT NULL,
  failure_kind TEXT NOT NULL,
  failure_message TEXT NOT NULL,
  PRIMARY KEY (command_id, instance_id)
);
CREATE TABLE plugins (
  command_id TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  plugin TEXT NOT NULL,
  status TEXT NOT NULL,
  status_details TEXT NOT NULL,
  response_code INTEGER NOT NULL,
  response_start_date_time TEXT NOT NULL,
  response_finish_date_time TEXT NOT NULL,
  output TEXT NOT NULL,
  stdout_path TEXT NOT NULL,
  stderr_path TEXT NOT NULL,
  stdout_bytes INTEGER NOT NULL,
  stderr_bytes INTEGER NOT NULL,
  standard_output_url TEXT NOT NULL,
  standard_error_url TEXT NOT NULL,
  PRIMARY KEY (command_id, instance_id, seq)
);
)sql",
    // 1 -> 2: what `commands resume` needs to continue an interrupted run, and which
    // process runs it.
    R"sql(
CREATE TABLE command_runs (
  command_id TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  owner TEXT NOT NULL
);
)sql",
    // 2 -> 3: SSM Inventory snapshots and Patch Manager compliance, which earlier versions
    // created on first use (hence IF NOT EXISTS: a store may already hold them).
    // Inventory: per host and type, with history; an entry seen on many hosts is stored once.
    R"sql(
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
)sql",
    // 3 -> 4: compliance items (PutComplianceItems): Association and Custom types.
    R"sql(
CREATE TABLE IF NOT EXISTS compliance_items (
  resource_id TEXT NOT NULL,
  compliance_type TEXT NOT NULL,
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  details TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  execution_time TEXT NOT NULL,
  PRIMARY KEY (resource_id, compliance_type, id)
);
CREATE INDEX IF NOT EXISTS compliance_items_by_type ON compliance_items (compliance_type, id);
)sql",
    // 4 -> 5: State Manager associations: definitions and versions, executions, execution
    // targets, and each host's status for an association.
    R"sql(
CREATE TABLE associations (
  association_id TEXT PRIMARY KEY,
  association_name TEXT NOT NULL,
  association_version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  run_requested INTEGER NOT NULL,
  request_reason TEXT NOT NULL,
  has_run INTEGER NOT NULL,
  schedule_from TEXT NOT NULL,
  anchor TEXT NOT NULL,
  parameters_digest TEXT NOT NULL,
  last_execution_date TEXT NOT NULL,
  last_successful_execution_date TEXT NOT NULL
);
CREATE TABLE association_versions (
  association_id TEXT NOT NULL,
  association_version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  PRIMARY KEY (association_id, association_version)
);
CREATE TABLE association_executions (
  association_id TEXT NOT NULL,
  association_version INTEGER NOT NULL,
  execution_id TEXT NOT NULL,
  status TEXT NOT NULL,
  detailed_status TEXT NOT NULL,
  created_time TEXT NOT NULL,
  last_execution_date TEXT NOT NULL,
  resource_count_by_status TEXT NOT NULL,
  command_id TEXT NOT NULL,
  run_trigger TEXT NOT NULL,
  PRIMARY KEY (association_id, execution_id)
);
CREATE TABLE association_execution_targets (
  association_id TEXT NOT NULL,
  association_version INTEGER NOT NULL,
  execution_id TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  status TEXT NOT NULL,
  detailed_status TEXT NOT NULL,
  last_execution_date TEXT NOT NULL,
  command_id TEXT NOT NULL,
  PRIMARY KEY (association_id, execution_id, resource_id)
);
CREATE TABLE association_hosts (
  association_id TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  status TEXT NOT NULL,
  detailed_status TEXT NOT NULL,
  date TEXT NOT NULL,
  PRIMARY KEY (association_id, resource_id)
);
)sql",
    // 5 -> 6: maintenance windows: windows, their targets and tasks, executions, task executions and
    // task invocations, each row one record in SSM's JSON shape (store/window_tables.hpp). One
    // table for the six kinds keeps a new store small.
    R"sql(
CREATE TABLE IF NOT EXISTS window_records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  parent TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  body_json TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS window_records_parent ON window_records (kind, parent, sort_key);
)sql",
    // 6 -> 7 (sessions): Session Manager sessions (store/session_tables.hpp): one row per session,
    // its SSM-shaped fields, and the process that drives it (to mark a killed one).
    R"sql(
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  owner TEXT NOT NULL,
  document_name TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  run_as TEXT NOT NULL,
  transcript TEXT NOT NULL,
  controller TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_start ON sessions (start_date);
)sql",
    // 7 -> 8 (distributor packages): the Distributor package version each host has installed by
    // aws:configurePackage (store/package_tables.hpp), one row per host and package.
    R"sql(
CREATE TABLE IF NOT EXISTS package_installs (
  host TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  state TEXT NOT NULL,
  package_id TEXT NOT NULL,
  architecture TEXT NOT NULL,
  command_id TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (host, name)
);
)sql",
    // 8 -> 9 (inventory lists): a snapshot's entries as one list of entry IDs instead of a row
    // each, and for queries an index from entry to the snapshots holding it through chunks:
    // runs of a snapshot's sorted entry IDs, cut where an ID's hash says so, each stored once,
    // so a fleet's hosts with the same packages share their chunks. Snapshots written before
    // keep their rows in inventory_snapshot_entries, which is still read.
    R"sql(
CREATE TABLE IF NOT EXISTS inventory_snapshot_lists(
  snapshot_id INTEGER PRIMARY KEY,
  entries BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS inventory_chunks(
  chunk_id INTEGER PRIMARY KEY,
  entries BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS inventory_chunk_entries(
  entry_id INTEGER NOT NULL,
  chunk_id INTEGER NOT NULL,
  PRIMARY KEY(entry_id, chunk_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inventory_snapshot_chunks(
  snapshot_id INTEGER NOT NULL,
  chunk_id INTEGER NOT NULL,
  PRIMARY KEY(snapshot_id, chunk_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inventory_snapshot_chunks_by_chunk ON inventory_snapshot_chunks(chunk_id, snapshot_id);
)sql",
};
constexpr int k_schema_version = static_cast<int>(sizeof(k_migrations) / sizeof(k_migrations[0]));

} // namespace

int schema_version() { return k_schema_version; }

bool migrate(const Store& store) {
  bool changed = false;
  with_transaction(store, Access::write, [&](Transaction& tx) {
    int current = 0;
    {
      Statement version(tx, "PRAGMA user_version");
      if (version.step()) current = static_cast<int>(version.integer(0));
    }
    if (current > k_schema_version)
      throw RuntimeError(fmt::format("state store '{}' has schema version {}, newer than this sshm knows ({}); "
                                     "upgrade sshm",
                                     (store.state_dir() / "sshm.db").string(), current, k_schema_version));
    for (int v = current; v < k_schema_version; ++v) tx.exec(k_migrations[v]);
    if (current != k_schema_version) tx.exec(fmt::format("PRAGMA user_version={}", k_schema_version).c_str());
    changed = current != k_schema_version;
  });
  return changed;
}

} // namespace sshm::store
