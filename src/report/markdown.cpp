// The report as Markdown (GitHub flavour): the same sections and numbers as the HTML page,
// as headings and tables, for a ticket or a chat. Every value is escaped, so host output
// stays text in any renderer (HTML is entity-escaped, Markdown punctuation backslashed).
#include "report/html_parts.hpp"
#include "report/report.hpp"

#include <fmt/format.h>

namespace sshm::report {

namespace {

// Markdown punctuation is backslashed; the rest is escaped as for HTML (Markdown passes HTML
// through), and a newline becomes a visible mark so a table row stays one line.
std::string md_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += " \u23CE ";
    } else if (std::string_view("\\`*_[]|~#").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += html_escape(std::string_view(&c, 1));
    }
  }
  return out;
}

std::string md_value(const nlohmann::json& v) {
  if (v.is_string()) return md_escape(v.get<std::string>());
  return v.is_null() ? "" : md_escape(v.dump());
}

struct MdColumn {
  const char* header;
  const char* pointer;
  bool number = false;
};

std::string md_table(const std::vector<MdColumn>& columns, const nlohmann::json& rows) {
  if (rows.empty()) return "_None._\n\n";
  std::string head = "|", rule = "|";
  for (const auto& c : columns) {
    head += fmt::format(" {} |", c.header);
    rule += c.number ? " ---: |" : " --- |";
  }
  std::string out = head + "\n" + rule + "\n";
  for (const auto& row : rows) {
    out += "|";
    for (const auto& c : columns)
      out += " " + md_value(row.is_object() ? row.value(nlohmann::json::json_pointer(c.pointer), nlohmann::json())
                                            : nlohmann::json()) + " |";
    out += "\n";
  }
  return out + "\n";
}

std::string md_fleet(const nlohmann::json& f) {
  const nlohmann::json& r = field(f, "Reachability");
  std::string out = "## Fleet\n\n";
  out += md_table({{"Hosts", "/HostCount", true}, {"Reachable", "/Reachability/Reachable", true},
                   {"Unreachable", "/Reachability/Unreachable", true}, {"Unknown", "/Reachability/Unknown", true}},
                  nlohmann::json::array({f}));
  if (!list(r, "UnreachableHosts").empty())
    out += "### Hosts not reached at their last run\n\n" +
           md_table({{"Host", "/InstanceId"}, {"Last run", "/LastContact"}, {"Status", "/Status"}, {"Failure", "/FailureKind"}},
                    list(r, "UnreachableHosts"));
  out += "### Operating systems\n\n" + md_table({{"Operating system", "/Value"}, {"Hosts", "/Count", true}}, list(f, "ByPlatform"));
  out += "### Kernels\n\n" + md_table({{"Kernel", "/Value"}, {"Hosts", "/Count", true}}, list(f, "ByKernel"));
  out += "### Tags\n\n" + md_table({{"Tag", "/Key"}, {"Value", "/Value"}, {"Hosts", "/Count", true}}, list(f, "ByTag"));
  return out;
}

std::string md_patch(const nlohmann::json& p) {
  std::string out = "## Patch compliance\n\n";
  out += md_table({{"Compliant", "/Compliant", true}, {"Non-compliant", "/NonCompliant", true},
                   {"Not scanned", "/NotScanned", true}},
                  nlohmann::json::array({p}));
  out += "### By patch group\n\n" +
         md_table({{"Patch group", "/PatchGroup"}, {"Compliant", "/Compliant", true}, {"Non-compliant", "/NonCompliant", true},
                   {"Not scanned", "/NotScanned", true}}, list(p, "ByPatchGroup"));
  out += "### Non-compliant hosts by severity\n\n" +
         md_table({{"Severity", "/Severity"}, {"Hosts", "/Count", true}}, list(p, "NonCompliantBySeverity"));
  out += "### Hosts furthest behind\n\n" +
         md_table({{"Host", "/InstanceId"}, {"Severity", "/ComplianceSeverity"}, {"Critical", "/CriticalNonCompliantCount", true},
                   {"Security", "/SecurityNonCompliantCount", true}, {"Missing", "/MissingCount", true},
                   {"Failed", "/FailedCount", true}, {"Last scan", "/CaptureTime"}}, list(p, "FurthestBehind"));
  out += "### Missing security patches\n\n" +
         md_table({{"Package", "/Name"}, {"Level", "/ComplianceLevel"}, {"Candidate", "/CandidateVersion"},
                   {"Hosts", "/Hosts", true}}, list(field(p, "MissingSecurityPatches"), "Packages"));
  out += "### Age of the last scan\n\n" +
         md_table({{"Age", "/Label"}, {"Hosts", "/Count", true}}, list(field(p, "ScanAge"), "Buckets"));
  out += "### Trend over the period\n\n" +
         md_table({{"Day", "/Date"}, {"Compliant", "/Compliant", true}, {"Non-compliant", "/NonCompliant", true}},
                  list(p, "Trend"));
  return out;
}

std::string md_associations(const nlohmann::json& a) {
  std::string out = "## Associations and windows\n\n### Associations\n\n";
  out += md_table({{"Association", "/AssociationName"}, {"Document", "/DocumentName"}, {"Compliant", "/Compliant", true},
                   {"Non-compliant", "/NonCompliant", true}, {"Last execution", "/LastExecution/Status"},
                   {"At", "/LastExecution/CreatedTime"}}, list(a, "Associations"));
  out += "### Failed association executions\n\n" +
         md_table({{"Association", "/AssociationName"}, {"Execution", "/ExecutionId"}, {"At", "/CreatedTime"},
                   {"Detail", "/DetailedStatus"}}, list(a, "FailedExecutions"));
  out += "### Maintenance windows\n\n" +
         md_table({{"Window", "/Name"}, {"Id", "/WindowId"}, {"Last execution", "/LastExecution/Status"},
                   {"Started", "/LastExecution/StartTime"}}, list(a, "Windows"));
  return out;
}

std::string md_runs(const nlohmann::json& r) {
  std::string out = "## Run Command\n\n";
  nlohmann::json commands = nlohmann::json::array();
  for (const auto& c : list(r, "Commands")) {
    std::string states;
    for (const auto& [status, n] : field(c, "InvocationStatus").items())
      states += fmt::format("{}{} {}", states.empty() ? "" : ", ", status, n.dump());
    nlohmann::json row = c;
    row["States"] = states;
    commands.push_back(std::move(row));
  }
  out += md_table({{"Requested", "/RequestedDateTime"}, {"Document", "/DocumentName"}, {"Command ID", "/CommandId"},
                   {"Status", "/Status"}, {"Hosts", "/InvocationCount", true}, {"Invocations", "/States"}}, commands);
  out += "### Failed invocations\n\n" +
         md_table({{"Host", "/InstanceId"}, {"Command", "/CommandId"}, {"Status", "/Status"},
                   {"Exit code", "/ResponseCode", true}, {"Error output (last lines)", "/StandardErrorTail"}},
                  list(r, "FailedInvocations"));
  return out;
}

std::string md_inventory(const nlohmann::json& inv) {
  std::string out = fmt::format("## Inventory\n\nHosts with inventory: {}\n\n", md_value(field(inv, "HostsWithInventory")));
  for (const auto& p : list(inv, "Packages")) {
    out += fmt::format("### Package {}\n\nInstalled on {} hosts, not on {}.\n\n", md_value(field(p, "Name")),
                       md_value(field(p, "Installed")), md_value(field(p, "NotInstalled")));
    out += md_table({{"Version", "/Version"}, {"Hosts", "/Count", true}}, list(p, "Versions"));
  }
  return out;
}

} // namespace

std::string render_markdown(const nlohmann::json& raw) {
  nlohmann::json data =
      nlohmann::json::parse(raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string targets;
  for (const auto& t : list(data, "Targets")) targets += (targets.empty() ? "" : " AND ") + md_value(t);
  std::string out = fmt::format("# Fleet report\n\nGenerated {} from the sshm state store; period since {}; hosts: {}.\n\n",
                                md_value(field(data, "GeneratedAt")), md_value(field(data, "Since")),
                                targets.empty() ? "all known" : targets);
  out += md_fleet(field(data, "Fleet"));
  out += md_patch(field(data, "PatchCompliance"));
  out += md_associations(field(data, "Associations"));
  out += md_runs(field(data, "RunCommand"));
  out += md_inventory(field(data, "Inventory"));
  return out;
}

} // namespace sshm::report
