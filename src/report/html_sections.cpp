// The sections of the HTML page, each from its part of the report data, each saying so
// when it has nothing to show and what would fill it.
#include "report/html_parts.hpp"
#include "report/report.hpp"

#include <fmt/format.h>

namespace sshm::report {

namespace {

using K = Column::Kind;

std::string section_open(const char* id, const char* title) {
  return fmt::format("<section id=\"{0}\" aria-labelledby=\"{0}-h\">\n<h2 id=\"{0}-h\">{1}</h2>\n", id, title);
}

long long number(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = field(j, key);
  return v.is_number_integer() ? v.get<long long>() : 0;
}

} // namespace

std::string html_fleet(const nlohmann::json& fleet) {
  std::string out = section_open("fleet", "Fleet");
  const nlohmann::json& reach = field(fleet, "Reachability");
  if (number(fleet, "HostCount") == 0)
    return out + html_empty("No hosts: give -t with an inventory (-i), or run, scan or collect inventory first.") +
           "</section>\n";
  out += html_tiles({{"Hosts", field(fleet, "HostCount"), "Fleet.HostCount", ""},
                     {"Reachable", field(reach, "Reachable"), "Fleet.Reachable", "s-success"},
                     {"Unreachable", field(reach, "Unreachable"), "Fleet.Unreachable", "s-failed"},
                     {"Unknown", field(reach, "Unknown"), "Fleet.Unknown", "s-unknown"}});
  out += "<h3>Reachability at the last run</h3>";
  out += svg_stacked("Hosts by reachability at their last run",
                     {{"Reachable", number(reach, "Reachable"), "s-success"},
                      {"Unreachable", number(reach, "Unreachable"), "s-failed"},
                      {"Unknown", number(reach, "Unknown"), "s-unknown"}});
  const nlohmann::json& down = list(reach, "UnreachableHosts");
  if (!down.empty()) {
    out += html_table("Hosts not reached at their last run", {{"Host", "/InstanceId"}, {"Last run", "/LastContact"},
                      {"Status", "/Status", K::status}, {"Failure", "/FailureKind"}}, down, "Fleet.UnreachableHosts");
    out += html_more(down.size(), static_cast<size_t>(number(reach, "Unreachable")));
  }
  out += "<h3>Operating systems</h3>" + svg_bars("Hosts by operating system", bars_of(list(fleet, "ByPlatform")));
  out += html_table("Hosts by operating system (from inventory)", {{"Operating system", "/Value"}, {"Hosts", "/Count", K::number}},
                    list(fleet, "ByPlatform"), "Fleet.ByPlatform");
  out += "<h3>Kernels</h3>" + svg_bars("Hosts by kernel", bars_of(list(fleet, "ByKernel")));
  out += html_table("Hosts by kernel", {{"Kernel", "/Value"}, {"Hosts", "/Count", K::number}}, list(fleet, "ByKernel"),
                    "Fleet.ByKernel");
  out += "<h3>Tags</h3>";
  out += list(fleet, "ByTag").empty()
             ? html_empty("No host has tags in the inventory.")
             : html_table("Hosts by tag", {{"Tag", "/Key"}, {"Value", "/Value"}, {"Hosts", "/Count", K::number}},
                          list(fleet, "ByTag"), "Fleet.ByTag");
  return out + "</section>\n";
}

std::string html_patch(const nlohmann::json& patch) {
  std::string out = section_open("patch", "Patch compliance");
  long long scanned = number(patch, "Compliant") + number(patch, "NonCompliant");
  out += html_tiles({{"Compliant", field(patch, "Compliant"), "PatchCompliance.Compliant", "s-compliant"},
                     {"Non-compliant", field(patch, "NonCompliant"), "PatchCompliance.NonCompliant", "s-non-compliant"},
                     {"Not scanned", field(patch, "NotScanned"), "PatchCompliance.NotScanned", "s-not-scanned"}});
  if (scanned == 0)
    return out + html_empty("No host in scope has been scanned: run `sshm patch scan -t ...`.") + "</section>\n";
  out += svg_stacked("Hosts by patch compliance", {{"Compliant", number(patch, "Compliant"), "s-compliant"},
                                                   {"NonCompliant", number(patch, "NonCompliant"), "s-non-compliant"},
                                                   {"NotScanned", number(patch, "NotScanned"), "s-not-scanned"}});
  out += html_table("By patch group", {{"Patch group", "/PatchGroup"}, {"Compliant", "/Compliant", K::number},
                    {"Non-compliant", "/NonCompliant", K::number}, {"Not scanned", "/NotScanned", K::number}},
                    list(patch, "ByPatchGroup"), "PatchCompliance.ByPatchGroup");
  if (!list(patch, "NonCompliantBySeverity").empty())
    out += "<h3>Non-compliant hosts by severity</h3>" +
           svg_bars("Non-compliant hosts by compliance severity", bars_of(list(patch, "NonCompliantBySeverity"), "Severity"));
  out += "<h3>Hosts furthest behind</h3>";
  out += list(patch, "FurthestBehind").empty()
             ? html_empty("Every scanned host is compliant.")
             : html_table("Non-compliant hosts, most critical and security patches missing first",
                          {{"Host", "/InstanceId"}, {"Severity", "/ComplianceSeverity"},
                           {"Critical", "/CriticalNonCompliantCount", K::number},
                           {"Security", "/SecurityNonCompliantCount", K::number}, {"Missing", "/MissingCount", K::number},
                           {"Failed", "/FailedCount", K::number}, {"Last scan", "/CaptureTime"}},
                          list(patch, "FurthestBehind"), "PatchCompliance.FurthestBehind");
  const nlohmann::json& security = field(patch, "MissingSecurityPatches");
  out += "<h3>Missing security patches</h3>";
  out += list(security, "Packages").empty()
             ? html_empty("No security patch is missing on a scanned host.")
             : html_table("Security patches missing, by compliance level and number of hosts",
                          {{"Package", "/Name"}, {"Level", "/ComplianceLevel"}, {"Candidate", "/CandidateVersion"},
                           {"Hosts", "/Hosts", K::number}},
                          list(security, "Packages"), "PatchCompliance.MissingSecurityPatches") +
                   html_more(list(security, "Packages").size(), static_cast<size_t>(number(security, "Total")));
  const nlohmann::json& age = field(patch, "ScanAge");
  out += "<h3>Age of the last scan</h3>" + svg_bars("Hosts by age of their last scan", bars_of(list(age, "Buckets"), "Label"));
  out += html_table("Oldest scans", {{"Host", "/InstanceId"}, {"Last scan", "/CaptureTime"}, {"Days", "/AgeDays", K::number}},
                    list(age, "Oldest"), "PatchCompliance.Oldest");
  out += "<h3>Trend over the period</h3>" + svg_trend("Compliant and non-compliant hosts per day", list(patch, "Trend"));
  return out + "</section>\n";
}

std::string html_associations(const nlohmann::json& a) {
  std::string out = section_open("associations", "Associations and windows");
  if (list(a, "Associations").empty() && list(a, "Windows").empty())
    return out + html_empty("No State Manager association and no maintenance window: see `sshm associations create` and "
                            "`sshm windows create`.") + "</section>\n";
  out += "<h3>Associations</h3>";
  out += list(a, "Associations").empty()
             ? html_empty("No association.")
             : html_table("Compliance by association (hosts)",
                          {{"Association", "/AssociationName"}, {"Document", "/DocumentName"},
                           {"Compliant", "/Compliant", K::number}, {"Non-compliant", "/NonCompliant", K::number},
                           {"Last execution", "/LastExecution/Status", K::status},
                           {"At", "/LastExecution/CreatedTime"}, {"Detail", "/LastExecution/DetailedStatus"}},
                          list(a, "Associations"), "Associations.Associations");
  if (!list(a, "FailedExecutions").empty())
    out += html_table("Failed association executions in the period",
                      {{"Association", "/AssociationName"}, {"Execution", "/ExecutionId"}, {"At", "/CreatedTime"},
                       {"Detail", "/DetailedStatus"}, {"Command", "/CommandId"}},
                      list(a, "FailedExecutions"), "Associations.FailedExecutions");
  out += "<h3>Maintenance windows</h3>";
  out += list(a, "Windows").empty()
             ? html_empty("No maintenance window.")
             : html_table("Last execution per window",
                          {{"Window", "/Name"}, {"Id", "/WindowId"}, {"Last execution", "/LastExecution/Status", K::status},
                           {"Started", "/LastExecution/StartTime"}, {"Detail", "/LastExecution/StatusDetails"}},
                          list(a, "Windows"), "Associations.Windows");
  if (!list(a, "FailedWindowExecutions").empty())
    out += html_table("Failed window executions in the period",
                      {{"Window", "/Name"}, {"Execution", "/WindowExecutionId"}, {"Status", "/Status", K::status},
                       {"Started", "/StartTime"}, {"Detail", "/StatusDetails"}},
                      list(a, "FailedWindowExecutions"), "Associations.FailedWindowExecutions");
  return out + "</section>\n";
}

} // namespace sshm::report
