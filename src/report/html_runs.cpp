// The Run Command and Inventory sections of the HTML page.
#include "report/html_parts.hpp"
#include "report/report.hpp"

#include <fmt/format.h>

namespace sshm::report {

namespace {

using K = Column::Kind;

std::vector<Bar> status_segments(const nlohmann::json& counts) {
  std::vector<Bar> out;
  if (!counts.is_object()) return out;
  for (const auto& [status, n] : counts.items())
    out.push_back({status, n.is_number_integer() ? n.get<long long>() : 0, status_class(status)});
  return out;
}

// One row per command: when, what, its status and a bar of its invocations' states.
std::string commands_table(const nlohmann::json& commands) {
  std::string out =
      "<table class=\"sortable\" data-k=\"RunCommand.Commands\"><caption>Commands of the period, newest first"
      "</caption><thead><tr><th scope=\"col\">Requested</th><th scope=\"col\">Document</th><th scope=\"col\">Command "
      "ID</th><th scope=\"col\">Status</th><th scope=\"col\" class=\"n\">Hosts</th><th scope=\"col\">Invocations"
      "</th></tr></thead><tbody>";
  for (const auto& c : commands) {
    std::string status = field(c, "Status").is_string() ? field(c, "Status").get<std::string>() : "";
    out += fmt::format("<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"{}\"><span aria-hidden=\"true\">"
                       "{}</span> {}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                       html_value(field(c, "RequestedDateTime")), html_value(field(c, "DocumentName")),
                       html_value(field(c, "CommandId")), status_class(status), status_symbol(status),
                       html_escape(status), html_value(field(c, "InvocationCount")),
                       svg_stacked("Invocations of " + field(c, "CommandId").dump() + " by status",
                                   status_segments(field(c, "InvocationStatus")), 240));
  }
  return out + "</tbody></table>\n";
}

// Hosts down, the most recent commands across, a symbol and a colour per cell.
std::string heat_map(const nlohmann::json& heat) {
  const nlohmann::json& commands = list(heat, "Commands");
  const nlohmann::json& hosts = list(heat, "Hosts");
  const nlohmann::json& cells = list(heat, "Cells");
  std::string out = "<table class=\"heat\" data-k=\"RunCommand.HeatMap\"><caption>Status of each host in the most recent "
                    "commands (oldest left); hosts with a problem first</caption><thead><tr><th scope=\"col\">Host</th>";
  for (size_t i = 0; i < commands.size(); ++i) {
    std::string id = commands[i].is_string() ? commands[i].get<std::string>() : "";
    out += fmt::format("<th scope=\"col\" title=\"{}\"><abbr title=\"{}\">{}</abbr></th>", html_escape(id),
                       html_escape(id), html_escape(id.substr(0, 8)));
  }
  out += "</tr></thead><tbody>";
  for (size_t r = 0; r < hosts.size(); ++r) {
    out += fmt::format("<tr><th scope=\"row\">{}</th>", html_value(hosts[r]));
    for (size_t c = 0; c < commands.size(); ++c) {
      const nlohmann::json& v = r < cells.size() && c < cells[r].size() ? cells[r][c] : nlohmann::json();
      std::string status = v.is_string() ? v.get<std::string>() : "";
      out += status.empty() ? "<td><span class=\"sr\">not targeted</span></td>"
                            : fmt::format("<td class=\"{}\" title=\"{}\"><span aria-hidden=\"true\">{}</span>"
                                          "<span class=\"sr\">{}</span></td>",
                                          status_class(status), html_escape(status), status_symbol(status),
                                          html_escape(status));
    }
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

} // namespace

std::string html_runs(const nlohmann::json& runs) {
  std::string out = "<section id=\"runs\" aria-labelledby=\"runs-h\">\n<h2 id=\"runs-h\">Run Command</h2>\n";
  const nlohmann::json& commands = list(runs, "Commands");
  if (commands.empty())
    return out + html_empty("No command ran on these hosts in the period: see `sshm run` and `sshm exec`.") + "</section>\n";
  size_t failed_total = field(runs, "FailedInvocationsTotal").is_number() ? field(runs, "FailedInvocationsTotal").get<size_t>() : 0;
  out += html_tiles({{"Commands", commands.size(), "RunCommand.CommandCount", ""},
                     {"Failed invocations", failed_total, "RunCommand.FailedInvocationsTotal", "s-failed"}});
  out += commands_table(commands);
  out += "<h3>Failed invocations</h3>";
  const nlohmann::json& failed = list(runs, "FailedInvocations");
  out += failed.empty() ? html_empty("Every invocation of the period succeeded.")
                        : html_table("Invocations that did not succeed, with the end of their error output",
                                     {{"Host", "/InstanceId"}, {"Document", "/DocumentName"}, {"Command", "/CommandId"},
                                      {"Status", "/Status", K::status}, {"Exit code", "/ResponseCode", K::number},
                                      {"Error output (last lines)", "/StandardErrorTail", K::code}},
                                     failed, "RunCommand.FailedInvocations") +
                              html_more(failed.size(), failed_total);
  out += "<h3>Hosts by command</h3>" + heat_map(field(runs, "HeatMap"));
  const nlohmann::json& heat = field(runs, "HeatMap");
  out += html_more(list(heat, "Hosts").size(),
                   field(heat, "HostsTotal").is_number() ? field(heat, "HostsTotal").get<size_t>() : 0);
  return out + "</section>\n";
}

std::string html_inventory(const nlohmann::json& inventory) {
  std::string out = "<section id=\"inventory\" aria-labelledby=\"inventory-h\">\n<h2 id=\"inventory-h\">Inventory</h2>\n";
  out += html_tiles({{"Hosts with inventory", field(inventory, "HostsWithInventory"), "Inventory.HostsWithInventory", ""}});
  const nlohmann::json& packages = list(inventory, "Packages");
  if (packages.empty())
    return out + html_empty("Give --package NAME (repeatable) to see how many hosts run each version of a package.") +
           "</section>\n";
  for (size_t i = 0; i < packages.size(); ++i) {
    const nlohmann::json& p = packages[i];
    std::string name = html_value(field(p, "Name"));
    out += fmt::format("<h3>Package <code>{}</code></h3>", name);
    out += fmt::format("<p data-k=\"Inventory.Packages.{}\">Installed on <strong>{}</strong> hosts, not on <strong>{}"
                       "</strong> of the hosts with inventory.</p>",
                       i, html_value(field(p, "Installed")), html_value(field(p, "NotInstalled")));
    if (list(p, "Versions").empty()) {
      out += html_empty("No host in scope has this package.");
      continue;
    }
    out += svg_bars("Hosts per version of " + field(p, "Name").dump(), bars_of(list(p, "Versions"), "Version"));
    out += html_table("Hosts per version", {{"Version", "/Version"}, {"Hosts", "/Count", K::number}}, list(p, "Versions"),
                      fmt::format("Inventory.Packages.{}.Versions", i));
  }
  return out + "</section>\n";
}

} // namespace sshm::report
