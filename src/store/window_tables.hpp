#pragma once
// Maintenance windows in the state store (table window_records), each record kept whole as
// SSM's JSON shape, one kind per WindowTable:
//   windows          GetMaintenanceWindow
//   targets          DescribeMaintenanceWindowTargets entries, by window
//   tasks            DescribeMaintenanceWindowTasks entries, by window
//   executions       DescribeMaintenanceWindowExecutions entries, by window
//   task_executions  DescribeMaintenanceWindowExecutionTasks entries, by execution
//   task_invocations DescribeMaintenanceWindowExecutionTaskInvocations entries, by task execution
// src/schedule maps its records onto these rows.
#include "store/store.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::store {

enum class WindowTable { windows, targets, tasks, executions, task_executions, task_invocations };

// One record: its ID, the ID of what it belongs to ("" for a window), a key it is listed by
// (a name, a priority, a start time), and the record itself.
struct WindowRow {
  std::string id;
  std::string parent;
  std::string sort_key;
  nlohmann::json body = nlohmann::json::object();
};

// Inserts or replaces a record. Throws StoreError when it cannot write.
void save_window_row(Store& store, WindowTable table, const WindowRow& row);
// The record with this ID, or nullopt.
std::optional<WindowRow> find_window_row(const Store& store, WindowTable table, const std::string& id);
// The records of `parent` ("" for every record of the table), by sort key then insertion.
std::vector<WindowRow> window_rows(const Store& store, WindowTable table, const std::string& parent);
// Deletes a record; for a window, also its targets, tasks and executions with theirs.
// False when there was none.
bool delete_window_row(Store& store, WindowTable table, const std::string& id);

} // namespace sshm::store
