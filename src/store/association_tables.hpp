#pragma once
// State Manager associations in the state store: each definition with its versions, what
// the tick remembers between ticks, the executions (DescribeAssociationExecutions) and
// their targets (DescribeAssociationExecutionTargets), and each host's status for the
// association (Pending hosts are retried on later ticks).
#include "store/store.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::store {

// One stored association: its definition (the CreateAssociation fields as JSON, in the
// shape schedule::Association is written to) and the tick's memory of it.
struct AssociationRow {
  std::string association_id;
  std::string association_name;
  int association_version = 1;
  nlohmann::json definition = nlohmann::json::object();
  // The tick's memory (schedule::RunState).
  bool run_requested = false;
  std::string request_reason;      // "created", "updated", "start-once"
  bool has_run = false;
  std::string schedule_from;       // ISO 8601, "" for none
  std::string anchor;              // ISO 8601, "" for none
  std::string parameters_digest;   // a hash of the Parameter Store values it last ran with
  std::string last_execution_date; // ISO 8601, "" before the first run
  std::string last_successful_execution_date;
};

// AssociationExecution.
struct AssociationExecutionRow {
  std::string association_id;
  int association_version = 1;
  std::string execution_id;
  std::string status;           // InProgress, Success, Failed, Skipped
  std::string detailed_status;  // why: "Success", "2 of 3 failed", "MissedWhileStopped", ...
  std::string created_time;     // ISO 8601
  std::string last_execution_date;
  nlohmann::json resource_count_by_status = nlohmann::json::object();  // status -> count
  std::string command_id;       // the Run Command it ran as, "" when skipped
  std::string trigger;          // scheduled, requested, pending hosts, ...
};

// AssociationExecutionTarget.
struct AssociationExecutionTargetRow {
  std::string association_id;
  int association_version = 1;
  std::string execution_id;
  std::string resource_id;      // the host
  std::string status;           // Success, Failed, Pending
  std::string detailed_status;  // the invocation's status
  std::string last_execution_date;
  std::string command_id;       // OutputSource.OutputSourceId
};

// A host's status for one association between runs.
struct AssociationHostRow {
  std::string association_id;
  std::string resource_id;
  std::string status;           // Pending, Success, Failed
  std::string detailed_status;
  std::string date;             // ISO 8601
};

// Inserts a new association (version 1). Throws InputError "AssociationAlreadyExists" when
// the name is taken.
void insert_association(Store& store, const AssociationRow& row);
// Replaces the definition and run memory of an existing association; when `new_version`,
// the definition is also kept as a new version.
void save_association(Store& store, const AssociationRow& row, bool new_version);
// Every association, by name then id.
std::vector<AssociationRow> list_associations(const Store& store);
// By AssociationId, or by AssociationName; nullopt when none.
std::optional<AssociationRow> find_association(const Store& store, const std::string& id_or_name);
// Every stored version of an association's definition, oldest first.
std::vector<nlohmann::json> association_versions(const Store& store, const std::string& association_id);
// Removes an association with its versions, executions, targets and host statuses.
void delete_association(Store& store, const std::string& association_id);

// Inserts or replaces an execution (by execution id).
void save_association_execution(Store& store, const AssociationExecutionRow& row);
// Executions of one association, newest first.
std::vector<AssociationExecutionRow> list_association_executions(const Store& store, const std::string& association_id,
                                                                 int limit = 1000);
// Inserts or replaces execution targets and the hosts' statuses, in one transaction.
void save_association_targets(Store& store, const std::vector<AssociationExecutionTargetRow>& targets,
                              const std::vector<AssociationHostRow>& hosts);
std::vector<AssociationExecutionTargetRow> list_association_execution_targets(const Store& store,
                                                                              const std::string& association_id,
                                                                              const std::string& execution_id);
// Every host's status for one association.
std::vector<AssociationHostRow> list_association_hosts(const Store& store, const std::string& association_id);

} // namespace sshm::store
