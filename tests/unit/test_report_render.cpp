// The report's renderers and data: escaping, hostile values, empty sections, and collect()
// over a small store.
#include "report/markup.hpp"
#include "report/report.hpp"
#include "store/patch_tables.hpp"
#include "store/store.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <unistd.h>

using namespace sshm;
using namespace sshm::report;

namespace {

const std::string k_evil = "\"><img src=x onerror=alert(1)><script>alert(2)</script>|*_[x](y)`\x01";

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// Report data with the hostile string in every place a host, tag or output can reach.
nlohmann::json hostile_data() {
  using nlohmann::json;
  json row = {{"Value", k_evil}, {"Count", 1}};
  json d = json::object();
  d["GeneratedAt"] = k_evil;
  d["Since"] = "2026-01-01T00:00:00.000Z";
  d["Targets"] = json::array({k_evil});
  d["Fleet"] = {{"HostCount", 1}, {"ByPlatform", json::array({row})}, {"ByKernel", json::array({row})}};
  d["Fleet"]["ByTag"] = json::array({{{"Key", k_evil}, {"Value", k_evil}, {"Count", 1}}});
  d["Fleet"]["Reachability"] = {{"Reachable", 0}, {"Unreachable", 1}, {"Unknown", 0}};
  d["Fleet"]["Reachability"]["UnreachableHosts"] = json::array({{{"InstanceId", k_evil}, {"Status", k_evil}}});
  d["PatchCompliance"] = {{"Compliant", 0}, {"NonCompliant", 1}, {"NotScanned", 0}};
  d["PatchCompliance"]["FurthestBehind"] = json::array({{{"InstanceId", k_evil}, {"MissingCount", 2}}});
  d["PatchCompliance"]["Trend"] = json::array({{{"Date", k_evil}, {"Compliant", 0}, {"NonCompliant", 1}}});
  d["Associations"]["Associations"] = json::array({{{"AssociationName", k_evil}}});
  d["Associations"]["Associations"][0]["LastExecution"] = {{"Status", k_evil}};
  json command = {{"CommandId", k_evil}, {"Status", k_evil}};
  command["InvocationStatus"][k_evil] = 1;
  d["RunCommand"]["Commands"] = json::array({command});
  d["RunCommand"]["FailedInvocations"] = json::array({{{"InstanceId", k_evil}, {"Status", k_evil}, {"ResponseCode", 3},
                                                       {"StandardErrorTail", k_evil + "\n\xff\xfe"}}});
  d["RunCommand"]["FailedInvocationsTotal"] = 1;
  d["RunCommand"]["HeatMap"] = {{"Commands", json::array({k_evil})}, {"Hosts", json::array({k_evil})}};
  d["RunCommand"]["HeatMap"]["Cells"] = json::array({json::array({k_evil})});
  d["Inventory"]["Packages"] = json::array({{{"Name", k_evil}}});
  d["Inventory"]["Packages"][0]["Versions"] = json::array({{{"Version", k_evil}, {"Count", 1}}});
  return d;
}

} // namespace

TEST_CASE("html_escape: markup characters become entities, control characters U+FFFD") {
  CHECK(html_escape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  CHECK(html_escape("a\tb\nc\x01") == "a\tb\nc\xEF\xBF\xBD");
}

TEST_CASE("status classes and symbols: colour is never the only signal") {
  CHECK(status_class("Success") == "s-success");
  CHECK(status_class("NON_COMPLIANT") == "s-non-compliant");
  CHECK(status_class("DeliveryTimedOut") == "s-delivery-timed-out");
  CHECK(status_class("\"><x") == "s-x");
  CHECK(status_symbol("Failed") != status_symbol("Success"));
  CHECK(status_symbol("TimedOut") != status_symbol("Failed"));
}

TEST_CASE("HTML page: hostile values appear only as text") {
  std::string page = render_html(hostile_data());
  CHECK(count(page, "<script") == 1);  // the page's own
  CHECK(count(page, "<img") == 0);
  CHECK(page.find("onerror=alert(1)&gt;") != std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(2)&lt;/script&gt;") != std::string::npos);
  CHECK(page.find('\x01') == std::string::npos);
  CHECK(page.find("\xff") == std::string::npos);  // laundered to U+FFFD
  CHECK(page.find("src=\"http") == std::string::npos);  // nothing fetched from outside
}

TEST_CASE("Markdown: hostile values are escaped, tables stay one row per line") {
  std::string md = render_markdown(hostile_data());
  CHECK(md.find("<img") == std::string::npos);
  CHECK(md.find("<script") == std::string::npos);
  CHECK(md.find("\\|\\*\\_\\[x\\](y)\\`") != std::string::npos);
  CHECK(md.find("## Run Command") != std::string::npos);
}

TEST_CASE("HTML page: every section says when it is empty; missing keys never abort") {
  std::string page = render_html(nlohmann::json::object());
  CHECK(page.find("No hosts:") != std::string::npos);
  CHECK(page.find("No host in scope has been scanned") != std::string::npos);
  CHECK(page.find("No State Manager association") != std::string::npos);
  CHECK(page.find("No command ran") != std::string::npos);
  CHECK(page.find("Give --package NAME") != std::string::npos);
  CHECK_NOTHROW(render_markdown(nlohmann::json::array()));
}

TEST_CASE("collect: patch compliance, reachability and commands from a small store") {
  auto dir = std::filesystem::temp_directory_path() / ("sshm-report-test-" + std::to_string(::getpid()));
  {
    auto store = store::Store::open(dir);
    store::CommandRecord c;
    c.command_id = "cmd-1";
    c.document_name = "AWS-RunShellScript";
    c.requested_date_time = "2026-06-01T10:00:00.000Z";
    c.status = "Failed";
    store::InvocationRecord ok, bad, gone;
    ok.command_id = bad.command_id = gone.command_id = "cmd-1";
    ok.instance_id = "a";
    ok.status = "Success";
    bad.instance_id = "b";
    bad.status = "Failed";
    bad.response_code = 3;
    bad.standard_error_content = "1\n2\n3\n4\n5\n6\nlast\n";
    gone.instance_id = "c";
    gone.status = "Undeliverable";
    gone.failure_kind = "connect_refused";
    gone.failure_message = "connection refused";
    for (auto* i : {&ok, &bad, &gone}) i->requested_date_time = c.requested_date_time;
    store->begin_command(c, {ok, bad, gone});
    store::PatchOperationRow op{"a", "Scan", "Success", "", "2026-06-01T09:00:00Z", "2026-06-01T09:01:00Z",
                                {{"ComplianceStatus", "NON_COMPLIANT"}, {"ComplianceSeverity", "CRITICAL"},
                                 {"MissingCount", 2}, {"CriticalNonCompliantCount", 1}}};
    store::save_patch_operation(*store, op, store::PatchStateRow{"Debian", "b-1", "NON_COMPLIANT", "CRITICAL", op.end_time}, {});

    Scope scope;
    scope.since = "2026-05-25T00:00:00.000Z";
    scope.generated_at = "2026-06-02T00:00:00.000Z";
    scope.hosts = {{"a", {{"Patch Group", "web"}}}, {"b", {}}, {"c", {}}};
    nlohmann::json d = collect(*store, scope);
    CHECK(d["Fleet"]["HostCount"] == 3);
    CHECK(d["Fleet"]["Reachability"]["Reachable"] == 2);
    CHECK(d["Fleet"]["Reachability"]["Unreachable"] == 1);
    CHECK(d["PatchCompliance"]["NonCompliant"] == 1);
    CHECK(d["PatchCompliance"]["NotScanned"] == 2);
    CHECK(d["PatchCompliance"]["FurthestBehind"][0]["InstanceId"] == "a");
    CHECK(d["PatchCompliance"]["Trend"][0]["Date"] == "2026-06-01");
    CHECK(d["PatchCompliance"]["ScanAge"]["Buckets"][0]["Count"] == 1);
    CHECK(d["RunCommand"]["Commands"][0]["InvocationStatus"]["Failed"] == 1);
    CHECK(d["RunCommand"]["FailedInvocationsTotal"] == 2);
    // The last five lines of stderr; an undelivered host shows why.
    CHECK(d["RunCommand"]["FailedInvocations"][0]["StandardErrorTail"] == "3\n4\n5\n6\nlast");
    CHECK(d["RunCommand"]["FailedInvocations"][1]["StandardErrorTail"] == "connection refused");
    CHECK(d["RunCommand"]["HeatMap"]["Hosts"][0] == "b");

    scope.hosts = {{"a", {}}};
    nlohmann::json only_a = collect(*store, scope);
    CHECK(only_a["RunCommand"]["FailedInvocationsTotal"] == 0);
    CHECK(only_a["PatchCompliance"]["NotScanned"] == 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
