// The Run Command section (the period's commands, failed invocations, a host x command heat
// map) and the Associations and windows section (State Manager and maintenance windows).
#include "report/report.hpp"
#include "store/association_tables.hpp"
#include "store/compliance_tables.hpp"
#include "store/report_queries.hpp"
#include "store/window_tables.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <set>

namespace sshm::report {

namespace {

// The last lines of a failed invocation's stderr (or why it was not delivered), at most
// 5 lines and 600 bytes.
std::string stderr_tail(const store::InvocationBrief& i) {
  std::string text = i.standard_error_content.empty() ? i.failure_message : i.standard_error_content;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t start = text.size(), lines = 0;
  while (start > 0 && lines < 5) {
    start = text.rfind('\n', start - 1);
    if (start == std::string::npos) {
      start = 0;
      break;
    }
    ++lines;
    if (lines == 5) ++start;
  }
  if (text.size() - start > 600) start = text.size() - 600;
  // Never start inside a UTF-8 character.
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return text.substr(start);
}

struct HeatMap {
  std::vector<std::string> commands;  // newest first while collecting
  std::map<std::string, std::map<std::string, std::string>> cells;  // host -> command -> status
};

nlohmann::json heat_map_json(HeatMap& heat) {
  std::reverse(heat.commands.begin(), heat.commands.end());  // oldest to newest, left to right
  // Hosts with a problem first, then by name; at most k_heat_hosts of them.
  std::vector<std::pair<bool, std::string>> hosts;
  for (const auto& [host, row] : heat.cells) {
    bool bad = std::any_of(row.begin(), row.end(), [](const auto& c) { return c.second != "Success"; });
    hosts.push_back({!bad, host});
  }
  std::sort(hosts.begin(), hosts.end());
  nlohmann::json names = nlohmann::json::array(), cells = nlohmann::json::array();
  for (size_t i = 0; i < hosts.size() && i < k_heat_hosts; ++i) {
    names.push_back(hosts[i].second);
    nlohmann::json row = nlohmann::json::array();
    for (const auto& id : heat.commands) {
      const auto& by_command = heat.cells[hosts[i].second];
      auto it = by_command.find(id);
      row.push_back(it == by_command.end() ? "" : it->second);
    }
    cells.push_back(row);
  }
  return {{"Commands", heat.commands}, {"Hosts", names}, {"HostsTotal", hosts.size()}, {"Cells", cells}};
}

nlohmann::json failed_json(const store::CommandRecord& c, const store::InvocationBrief& i) {
  return {{"CommandId", c.command_id},       {"DocumentName", c.document_name},
          {"InstanceId", i.instance_id},     {"Status", i.status},
          {"StatusDetails", i.status_details}, {"ResponseCode", i.response_code},
          {"EndDateTime", i.execution_end_date_time}, {"StandardErrorTail", stderr_tail(i)}};
}

} // namespace

nlohmann::json collect_runs(store::Store& store, const Scope& scope) {
  store::CommandFilter filter;
  filter.since = scope.since;
  filter.limit = k_max_commands;
  nlohmann::json commands = nlohmann::json::array(), failed = nlohmann::json::array();
  size_t failed_total = 0;
  HeatMap heat;
  for (const store::CommandRecord& c : store.list_commands(filter)) {
    std::map<std::string, int> counts;
    int total = 0;
    bool in_heat = heat.commands.size() < k_heat_commands;
    for (const store::InvocationBrief& i : store::invocation_briefs(store, c.command_id)) {
      if (!scope.hosts.count(i.instance_id)) continue;
      ++counts[i.status];
      ++total;
      if (in_heat) heat.cells[i.instance_id][c.command_id] = i.status;
      if (i.status != "Success" && i.status != "Pending" && i.status != "InProgress" && ++failed_total <= k_list_rows)
        failed.push_back(failed_json(c, i));
    }
    if (counts.empty()) continue;
    if (in_heat) heat.commands.push_back(c.command_id);
    commands.push_back({{"CommandId", c.command_id},
                        {"DocumentName", c.document_name},
                        {"Comment", c.comment},
                        {"RequestedDateTime", c.requested_date_time},
                        {"Status", c.status},
                        {"StatusDetails", c.status_details},
                        {"InvocationCount", total},
                        {"InvocationStatus", counts}});
  }
  return {{"Commands", commands},
          {"FailedInvocations", failed},
          {"FailedInvocationsTotal", failed_total},
          {"HeatMap", heat_map_json(heat)}};
}

namespace {

nlohmann::json execution_json(const store::AssociationExecutionRow& e) {
  return {{"ExecutionId", e.execution_id}, {"Status", e.status}, {"DetailedStatus", e.detailed_status},
          {"CreatedTime", e.created_time}, {"CommandId", e.command_id}};
}

// Each association: the compliance of its hosts (the Association compliance items, counted
// per host and severity), its last execution, and its failed executions of the period.
nlohmann::json associations_json(store::Store& store, const Scope& scope, nlohmann::json& failures) {
  std::map<std::string, std::map<std::string, int>> compliant, non_compliant;  // id -> severity -> hosts
  for (const auto& i : store::list_compliance_items(store, "", "Association")) {
    if (!scope.hosts.count(i.resource_id)) continue;
    (i.item.status == "COMPLIANT" ? compliant : non_compliant)[i.item.id][i.item.severity]++;
  }
  auto total = [](const std::map<std::string, int>& m) {
    int n = 0;
    for (const auto& [k, v] : m) n += v;
    return n;
  };
  nlohmann::json out = nlohmann::json::array();
  for (const store::AssociationRow& a : store::list_associations(store)) {
    auto executions = store::list_association_executions(store, a.association_id, 200);
    nlohmann::json last = executions.empty() ? nlohmann::json() : execution_json(executions.front());
    for (const auto& e : executions)
      if (e.status == "Failed" && e.created_time >= scope.since && failures.size() < k_list_rows)
        {
        nlohmann::json f = execution_json(e);
        f["AssociationId"] = a.association_id;
        f["AssociationName"] = a.association_name;
        failures.push_back(std::move(f));
      }
    out.push_back({{"AssociationId", a.association_id},
                   {"AssociationName", a.association_name},
                   {"DocumentName", a.definition.value("Name", "")},
                   {"Compliant", total(compliant[a.association_id])},
                   {"NonCompliant", total(non_compliant[a.association_id])},
                   {"NonCompliantBySeverity", non_compliant[a.association_id]},
                   {"LastExecution", last}});
  }
  return out;
}

// Each maintenance window with its last execution, and the failed executions of the period.
nlohmann::json windows_json(store::Store& store, const Scope& scope, nlohmann::json& failures) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::WindowRow& w : store::window_rows(store, store::WindowTable::windows, "")) {
    nlohmann::json last;
    for (const store::WindowRow& e : store::window_rows(store, store::WindowTable::executions, w.id)) {
      std::string start = e.body.value("StartTime", "");
      if (last.is_null() || start >= last.value("StartTime", "")) last = e.body;
      std::string status = e.body.value("Status", "");
      if ((status == "FAILED" || status == "TIMED_OUT") && start >= scope.since && failures.size() < k_list_rows)
        {
        nlohmann::json f = e.body;
        f["Name"] = w.body.value("Name", "");
        failures.push_back(std::move(f));
      }
    }
    out.push_back({{"WindowId", w.id}, {"Name", w.body.value("Name", "")}, {"LastExecution", last}});
  }
  return out;
}

} // namespace

nlohmann::json collect_associations(store::Store& store, const Scope& scope) {
  nlohmann::json failed_associations = nlohmann::json::array(), failed_windows = nlohmann::json::array();
  nlohmann::json associations = associations_json(store, scope, failed_associations);
  nlohmann::json windows = windows_json(store, scope, failed_windows);
  return {{"Associations", associations},
          {"FailedExecutions", failed_associations},
          {"Windows", windows},
          {"FailedWindowExecutions", failed_windows}};
}

} // namespace sshm::report
