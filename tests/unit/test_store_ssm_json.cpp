#include "store/store.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

using namespace sshm::store;

namespace {

// Characters in a valid UTF-8 string.
size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<std::string> keys(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

TEST_CASE("StandardOutputContent keeps 23999 characters and truncates from 24000 on") {
  CHECK(truncate_stdout_content("") == "");
  CHECK(truncate_stdout_content("hello\n") == "hello\n");
  std::string s23999 = repeat("a", 23999);
  CHECK(truncate_stdout_content(s23999) == s23999);

  for (size_t n : {24000u, 24001u, 30000u}) {
    CAPTURE(n);
    std::string out = truncate_stdout_content(repeat("a", n));
    CHECK(out.size() == 24000);
    CHECK(out == repeat("a", 23980) + "--output truncated--");
  }
}

TEST_CASE("StandardErrorContent truncates at 8000 characters the same way") {
  CHECK(truncate_stderr_content(repeat("e", 7999)) == repeat("e", 7999));
  CHECK(truncate_stderr_content(repeat("e", 8000)) == repeat("e", 7980) + "--output truncated--");
  CHECK(truncate_stderr_content(repeat("e", 30000)).size() == 8000);
}

TEST_CASE("truncation counts UTF-8 characters and never splits one") {
  // 23999 three-byte characters are 71997 bytes but fewer than 24000 characters.
  std::string euro = "\xE2\x82\xAC";
  std::string below = repeat(euro, 23999);
  CHECK(truncate_stdout_content(below) == below);

  std::string out = truncate_stdout_content(repeat(euro, 30000));
  CHECK(out == repeat(euro, 23980) + "--output truncated--");
  CHECK(utf8_chars(out) == 24000);

  // Mixed widths: the cut falls after a whole four-byte character.
  std::string mixed = repeat("a", 23979) + "\xF0\x9F\x98\x80" + repeat("b", 100);
  std::string cut = truncate_stdout_content(mixed);
  CHECK(cut == repeat("a", 23979) + "\xF0\x9F\x98\x80" + "--output truncated--");

  // An invalid byte counts as one character and is kept as it is.
  std::string bad = repeat("a", 23979) + "\xFF" + repeat("b", 100);
  CHECK(truncate_stdout_content(bad) == repeat("a", 23979) + "\xFF" + "--output truncated--");
}

TEST_CASE("plugin Output joins stdout and stderr when they fit") {
  CHECK(plugin_output("", "") == "");
  CHECK(plugin_output("sample output", "") == "sample output");
  CHECK(plugin_output("", "sample error") == "\n----------ERROR-------\nsample error");
  CHECK(plugin_output("sample output", "sample error") == "sample output\n----------ERROR-------\nsample error");
  // 2499 characters of stdout alone fit; 2500 do not (SSM compares with <).
  CHECK(plugin_output(repeat("o", 2499), "") == repeat("o", 2499));
}

TEST_CASE("plugin Output truncation follows the agent's TruncateOutput") {
  const std::string out_marker = "\n---Output truncated---";
  const std::string err_marker = "\n---Error truncated----";
  const std::string title = "\n----------ERROR-------\n";

  SUBCASE("long stdout only") {
    std::string got = plugin_output(repeat("o", 5000), "");
    CHECK(got == repeat("o", 2500 - out_marker.size()) + out_marker);
    CHECK(got.size() == 2500);
  }
  SUBCASE("long stderr only") {
    std::string got = plugin_output("", repeat("e", 5000));
    CHECK(got == title + repeat("e", 2500 - title.size() - err_marker.size()) + err_marker);
    CHECK(got.size() == 2500);
  }
  SUBCASE("both long: each gets half of what is left") {
    std::string got = plugin_output(repeat("o", 5000), repeat("e", 5000));
    size_t half = (2500 - title.size() - out_marker.size() - err_marker.size()) / 2;
    CHECK(got == repeat("o", half) + out_marker + title + repeat("e", half) + err_marker);
  }
  SUBCASE("short stdout stays whole, stderr is cut") {
    std::string got = plugin_output("short", repeat("e", 5000));
    CHECK(got == "short" + title + repeat("e", 2500 - title.size() - err_marker.size() - 5) + err_marker);
    CHECK(got.size() == 2500);
  }
  SUBCASE("short stderr stays whole, stdout is cut") {
    std::string got = plugin_output(repeat("o", 5000), "oops");
    CHECK(got == repeat("o", 2500 - title.size() - out_marker.size() - 4) + out_marker + title + "oops");
    CHECK(got.size() == 2500);
  }
  SUBCASE("stdout exactly half of the room (the agent would crash) keeps stdout whole") {
    size_t half = (2500 - title.size()) / 2;
    std::string got = plugin_output(repeat("o", half), repeat("e", 5000));
    CHECK(got.substr(0, half + title.size()) == repeat("o", half) + title);
    CHECK(got.size() == 2500);
  }
  SUBCASE("a small capacity, as in the agent's own examples") {
    std::string text = repeat("This is a sample text. ", 60);
    CHECK(plugin_output(text, text, 100) ==
          "This is a sampl" + out_marker + title + "This is a sampl" + err_marker);
    CHECK(plugin_output(text, "", 100) == text.substr(0, 100 - out_marker.size()) + out_marker);
  }
  SUBCASE("multi-byte characters are counted as characters") {
    std::string got = plugin_output(repeat("\xC3\xA9", 5000), "");
    CHECK(got == repeat("\xC3\xA9", 2500 - out_marker.size()) + out_marker);
    CHECK(utf8_chars(got) == 2500);
  }
}

TEST_CASE("command_to_json has SSM's Command keys and Targets in SSM's form") {
  CommandRecord c;
  c.command_id = "0b6c5a2e-1f4e-4f1e-9f0a-1234567890ab";
  c.document_name = "AWS-RunShellScript";
  c.comment = "uptime everywhere";
  c.parameters = {{"commands", {"uptime", "id"}}, {"executionTimeout", {"3600"}}};
  c.targets = {"tag:Env=prod,stage", "web-1,web-2", "group:db", "web-*", "tag-key:Patch Group", "all",
               "Key=tag:Role,Values=web,db"};
  c.requested_date_time = "2026-01-02T03:04:05.678Z";
  c.status = "Success";
  c.status_details = "Success";
  c.target_count = 3;
  c.completed_count = 3;
  c.cloudwatch_log_group = "/aws/ssm/AWS-RunShellScript";

  nlohmann::json j = command_to_json(c);
  CHECK(keys(j) == sorted({"CommandId", "DocumentName", "DocumentVersion", "Comment", "Parameters", "Targets",
                           "RequestedDateTime", "Status", "StatusDetails", "TargetCount", "CompletedCount",
                           "ErrorCount", "DeliveryTimedOutCount", "MaxConcurrency", "MaxErrors", "TimeoutSeconds",
                           "ExpiresAfter", "InstanceIds", "OutputS3BucketName", "OutputS3KeyPrefix",
                           "CloudWatchOutputConfig", "ServiceRole", "NotificationConfig"}));
  // The hosts named one by one are SSM's InstanceIds; the rest are Targets only.
  CHECK(j["InstanceIds"] == nlohmann::json({"web-1", "web-2"}));
  // Request time + TimeoutSeconds (0 here) + executionTimeout 3600.
  CHECK(j["ExpiresAfter"] == "2026-01-02T04:04:05.678Z");
  CHECK(j["CommandId"] == c.command_id);
  CHECK(j["DocumentVersion"] == "$DEFAULT");
  CHECK(j["Parameters"]["commands"] == nlohmann::json({"uptime", "id"}));
  CHECK(j["MaxConcurrency"] == "50");
  CHECK(j["MaxErrors"] == "0");
  CHECK(j["CloudWatchOutputConfig"] ==
        nlohmann::json({{"CloudWatchLogGroupName", "/aws/ssm/AWS-RunShellScript"}, {"CloudWatchOutputEnabled", true}}));
  nlohmann::json expected_targets = nlohmann::json::parse(R"([
    {"Key": "tag:Env", "Values": ["prod", "stage"]},
    {"Key": "InstanceIds", "Values": ["web-1", "web-2"]},
    {"Key": "resource-groups:Name", "Values": ["db"]},
    {"Key": "sshm:target", "Values": ["web-*"]},
    {"Key": "tag-key", "Values": ["Patch Group"]},
    {"Key": "InstanceIds", "Values": ["*"]},
    {"Key": "tag:Role", "Values": ["web", "db"]}
  ])");
  CHECK(j["Targets"] == expected_targets);
}

TEST_CASE("typed parameter values become SSM's lists of strings") {
  CommandRecord c;
  c.parameters = {{"count", 3}, {"flag", true}, {"names", {"a", "b"}}, {"one", "x"}};
  nlohmann::json p = command_to_json(c)["Parameters"];
  CHECK(p["count"] == nlohmann::json({"3"}));
  CHECK(p["flag"] == nlohmann::json({"true"}));
  CHECK(p["names"] == nlohmann::json({"a", "b"}));
  CHECK(p["one"] == nlohmann::json({"x"}));
}

TEST_CASE("invocation_to_json has GetCommandInvocation's keys and CommandPlugins") {
  CommandRecord c;
  c.command_id = "cmd-1";
  c.document_name = "AWS-RunShellScript";
  c.comment = "hi";
  c.output_s3_bucket_name = "bucket";
  c.output_s3_key_prefix = "runs";

  InvocationRecord r;
  r.command_id = "cmd-1";
  r.instance_id = "web-1";
  r.document_name = "AWS-RunShellScript";
  r.status = "Failed";
  r.status_details = "Failed";
  r.response_code = 2;
  r.execution_start_date_time = "2026-01-02T03:04:05.000Z";
  r.execution_end_date_time = "2026-01-02T03:05:07.250Z";
  r.standard_output_content = "out\xFF";  // an invalid byte must not break JSON
  r.standard_error_content = "err";
  PluginRecord p;
  p.name = "0.aws:runShellScript";
  p.plugin = "aws:runShellScript";
  p.status = "Failed";
  p.status_details = "Failed";
  p.response_code = 2;
  p.output = "out\n----------ERROR-------\nerr";
  r.plugins.push_back(p);

  nlohmann::json j = invocation_to_json(r, &c);
  CHECK(keys(j) == sorted({"CommandId", "InstanceId", "InstanceName", "RequestedDateTime", "Comment", "DocumentName",
                           "DocumentVersion", "PluginName",
                           "ResponseCode", "ExecutionStartDateTime", "ExecutionElapsedTime", "ExecutionEndDateTime",
                           "Status", "StatusDetails", "StandardOutputContent", "StandardOutputUrl",
                           "StandardErrorContent", "StandardErrorUrl", "CloudWatchOutputConfig", "CommandPlugins"}));
  CHECK(j["InstanceId"] == "web-1");
  CHECK(j["Comment"] == "hi");
  CHECK(j["PluginName"] == "aws:runShellScript");
  CHECK(j["ResponseCode"] == 2);
  CHECK(j["ExecutionElapsedTime"] == "PT1M2.25S");
  CHECK(j["StandardOutputContent"] == "out\xEF\xBF\xBD");
  CHECK(j["CloudWatchOutputConfig"]["CloudWatchOutputEnabled"] == false);
  CHECK_NOTHROW(j.dump());

  REQUIRE(j["CommandPlugins"].size() == 1);
  const nlohmann::json& cp = j["CommandPlugins"][0];
  CHECK(keys(cp) == sorted({"Name", "Status", "StatusDetails", "ResponseCode", "ResponseStartDateTime",
                            "ResponseFinishDateTime", "Output", "StandardOutputUrl", "StandardErrorUrl",
                            "OutputS3BucketName", "OutputS3KeyPrefix"}));
  CHECK(cp["Name"] == "aws:runShellScript");
  CHECK(cp["OutputS3BucketName"] == "bucket");
  CHECK(cp["OutputS3KeyPrefix"] == "runs");

  // A 2.2 step keeps its name; a command report nests the invocations.
  r.plugins[0].name = "PatchLinux";
  nlohmann::json report = command_report_json(c, {r});
  CHECK(report["Invocations"][0]["CommandPlugins"][0]["Name"] == "PatchLinux");
  CHECK(report["Invocations"][0]["InstanceId"] == "web-1");
  CHECK(report["CommandId"] == "cmd-1");

  // ListCommandInvocations: plugins only with Details.
  nlohmann::json listed = command_invocation_json(r, c, false);
  CHECK(keys(listed) == sorted({"CommandId", "InstanceId", "InstanceName", "Comment", "DocumentName",
                                "DocumentVersion", "RequestedDateTime", "Status", "StatusDetails", "TraceOutput",
                                "StandardOutputUrl", "StandardErrorUrl", "CommandPlugins", "ServiceRole",
                                "NotificationConfig", "CloudWatchOutputConfig"}));
  CHECK(listed["CommandPlugins"].empty());
  CHECK(command_invocation_json(r, c, true)["CommandPlugins"].size() == 1);

  // GetCommandInvocation: flat; with a step, that step's status and streams, truncated as SSM.
  nlohmann::json got = get_command_invocation_json(r, c, &r.plugins[0], std::string(30000, 'o'), "boom");
  CHECK(!got.contains("CommandPlugins"));
  CHECK(!got.contains("InstanceName"));
  CHECK(got["PluginName"] == "PatchLinux");
  CHECK(got["StandardErrorContent"] == "boom");
  CHECK(got["StandardOutputContent"].get<std::string>().size() < 24010);
}

TEST_CASE("ExpiresAfter adds the document's executionTimeout to TimeoutSeconds") {
  CommandRecord c;
  c.requested_date_time = "2026-01-01T00:00:00.000Z";
  c.timeout_seconds = 600;
  CHECK(expires_after(c) == "2026-01-01T01:10:00.000Z");  // 600 + the agent's 3600
  c.parameters = {{"executionTimeout", {"120"}}};
  CHECK(expires_after(c) == "2026-01-01T00:12:00.000Z");
  c.parameters = {{"executionTimeout", {"not a number"}}};
  CHECK(expires_after(c) == "2026-01-01T01:10:00.000Z");
  c.requested_date_time = "";
  CHECK(expires_after(c).empty());
}

TEST_CASE("ExecutionElapsedTime is printed as SSM prints durations") {
  CHECK(execution_elapsed_time("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.123Z") == "PT0.123S");
  CHECK(execution_elapsed_time("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z") == "PT0S");
  CHECK(execution_elapsed_time("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.500Z") == "PT1.5S");
  CHECK(execution_elapsed_time("2026-01-01T00:00:00.000Z", "2026-01-01T01:02:00.000Z") == "PT1H2M");
  CHECK(execution_elapsed_time("2026-01-01T00:00:00.000Z", "") == "");
}

TEST_CASE("outputs use SSM's key layout") {
  CHECK(output_path("/s/outputs", "cmd", "web-1", "aws:runShellScript", "0.aws:runShellScript", false) ==
        std::filesystem::path("/s/outputs/cmd/web-1/awsrunShellScript/0.awsrunShellScript/stdout"));
  CHECK(output_path("/s/outputs", "cmd", "web-1", "aws:runShellScript", "PatchLinux", true) ==
        std::filesystem::path("/s/outputs/cmd/web-1/awsrunShellScript/PatchLinux/stderr"));
  CHECK(output_key("", "cmd", "web-1", "aws:runShellScript", "0.aws:runShellScript", "stdout") ==
        "cmd/web-1/awsrunShellScript/0.awsrunShellScript/stdout");
  CHECK(output_key("prefix", "cmd", "h", "aws:runShellScript", "Step", "stderr") ==
        "prefix/cmd/h/awsrunShellScript/Step/stderr");
  CHECK(output_key("a/b/", "cmd", "h", "aws:runShellScript", "Step", "stdout") ==
        "a/b/cmd/h/awsrunShellScript/Step/stdout");
}

TEST_CASE("outputs: a host or step name is one component and never leaves the root") {
  auto p = output_path("/s/outputs", "cmd", "../../../../tmp/x/trav", "aws:runShellScript", "..", false);
  CHECK(p == std::filesystem::path("/s/outputs/cmd/..%2F..%2F..%2F..%2Ftmp%2Fx%2Ftrav/awsrunShellScript/%2E%2E/stdout"));
  CHECK(p.lexically_normal().string().rfind("/s/outputs/cmd/", 0) == 0);
  CHECK(output_key("prefix", "cmd", "../../x", "aws:runShellScript", "a/b", "stdout") ==
        "prefix/cmd/..%2F..%2Fx/awsrunShellScript/a%2Fb/stdout");
  CHECK(output_key("prefix", "cmd", "..", "aws:runShellScript", ".", "stdout") ==
        "prefix/cmd/%2E%2E/awsrunShellScript/%2E/stdout");
}
