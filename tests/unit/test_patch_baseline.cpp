#include "patch/baseline.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::patch;

namespace {

std::string baseline_error(const std::string& text) {
  try {
    parse_baselines(text, "b.json");
  } catch (const InputError& e) {
    return e.formatted();
  }
  return "no error";
}

} // namespace

TEST_CASE("a Debian baseline in SSM's JSON parses with every field") {
  auto b = parse_baselines(R"({
  "Name": "prod-debian",
  "OperatingSystem": "DEBIAN",
  "Description": "prod",
  "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["Debian12"]}]},
  "ApprovalRules": {"PatchRules": [
    {"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required", "Important"]},
                                           {"Key": "SECTION", "Values": ["*"]}]},
     "ComplianceLevel": "CRITICAL", "EnableNonSecurity": true},
    {"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Optional"]}]},
     "ComplianceLevel": "LOW", "ApproveAfterDays": 7}
  ]},
  "ApprovedPatches": ["openssl"],
  "ApprovedPatchesComplianceLevel": "HIGH",
  "ApprovedPatchesEnableNonSecurity": true,
  "RejectedPatches": ["telnet"],
  "RejectedPatchesAction": "BLOCK"
})", "b.json");
  REQUIRE(b.size() == 1);
  CHECK(b[0].id == "prod-debian");
  CHECK(b[0].operating_system == "DEBIAN");
  CHECK(b[0].global_filters.size() == 1);
  REQUIRE(b[0].rules.size() == 2);
  CHECK(b[0].rules[0].compliance_level == ComplianceLevel::critical);
  CHECK(b[0].rules[0].enable_non_security);
  CHECK(b[0].rules[1].approve_after_days == 7);
  CHECK(b[0].approved_patches_compliance_level == ComplianceLevel::high);
  CHECK(b[0].approved_patches_enable_non_security);
  CHECK(b[0].rejected_patches_action == RejectedAction::block);
  auto j = baseline_to_json(b[0]);
  CHECK(j["ApprovalRules"]["PatchRules"][0]["ComplianceLevel"] == "CRITICAL");
  CHECK(j["RejectedPatchesAction"] == "BLOCK");
}

TEST_CASE("a YAML baseline and a BaselineOverride list parse") {
  auto b = parse_baselines(R"(- Name: ubuntu-base
  OperatingSystem: UBUNTU
  ApprovalRules:
    PatchRules:
      - PatchFilterGroup:
          PatchFilters:
            - Key: PRIORITY
              Values: [Required]
- Name: al2-base
  OperatingSystem: AMAZON_LINUX_2
  ApprovalRules:
    PatchRules:
      - PatchFilterGroup:
          PatchFilters:
            - {Key: CLASSIFICATION, Values: [Security]}
            - {Key: SEVERITY, Values: [Critical]}
        ApproveUntilDate: "2024-01-31"
)", "b.yaml");
  REQUIRE(b.size() == 2);
  CHECK(b[1].rules[0].approve_until_date == "2024-01-31");
}

TEST_CASE("baseline errors name file, line, column and the nearest valid name") {
  CHECK(baseline_error("{\"Name\": \"x1x\", \"OperatingSystem\": \"DEBAIN\"}") ==
        "b.json:1:36: OperatingSystem must be one of WINDOWS, AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, "
        "AMAZON_LINUX_2023, UBUNTU, REDHAT_ENTERPRISE_LINUX, SUSE, CENTOS, ORACLE_LINUX, DEBIAN, MACOS, RASPBIAN, "
        "ROCKY_LINUX, ALMA_LINUX, ALPINE, not 'DEBAIN' (did you mean 'DEBIAN'?)");
  CHECK(baseline_error("{\"OperatingSystem\": \"DEBIAN\",\n \"ApprovedPatchez\": []}") ==
        "b.json:2:2: unknown key 'ApprovedPatchez' in a patch baseline (allowed: BaselineId, Name, Description, "
        "OperatingSystem, GlobalFilters, ApprovalRules, ApprovedPatches, ApprovedPatchesComplianceLevel, "
        "ApprovedPatchesEnableNonSecurity, RejectedPatches, RejectedPatchesAction, Sources, "
        "AvailableSecurityUpdatesComplianceStatus, PatchGroups, CreatedDate, ModifiedDate, Tags, ClientToken) "
        "(did you mean 'ApprovedPatches'?)");
  // Per-OS filter keys: CLASSIFICATION is for the RHEL family, not Debian.
  std::string e = baseline_error(R"({"OperatingSystem": "DEBIAN", "ApprovalRules": {"PatchRules": [
  {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]}}]}})");
  CHECK(e == "b.json:2:50: filter key 'CLASSIFICATION' is not valid for DEBIAN (allowed: PRODUCT, PRIORITY, SECTION)");
  e = baseline_error(R"({"OperatingSystem": "REDHAT_ENTERPRISE_LINUX", "ApprovalRules": {"PatchRules": [
  {"PatchFilterGroup": {"PatchFilters": [{"Key": "SEVERITY", "Values": ["Critcal"]}]}}]}})");
  CHECK(e.find("b.json:2:73: 'Critcal' is not a SEVERITY value") == 0);
  CHECK(e.find("(did you mean 'Critical'?)") != std::string::npos);
  e = baseline_error(R"({"OperatingSystem": "UBUNTU", "ApprovalRules": {"PatchRules": [
  {"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Important"]}]}, "ApproveAfterDays": 361}]}})");
  CHECK(e == "b.json:2:110: ApproveAfterDays must be between 0 and 360, not 361");
  e = baseline_error(R"({"OperatingSystem": "UBUNTU", "RejectedPatches": ["openssl=3.0"]})");
  CHECK(e == "b.json:1:51: RejectedPatches on UBUNTU take package names only (like 'openssl'), not 'openssl=3.0'");
  e = baseline_error(R"({"OperatingSystem": "UBUNTU", "GlobalFilters": {"PatchFilters": [
  {"Key": "PRODUCT", "Values": ["a"]}, {"Key": "PRIORITY", "Values": ["Required"]},
  {"Key": "SECTION", "Values": ["a"]}, {"Key": "PRODUCT", "Values": ["b"]}, {"Key": "SECTION", "Values": ["c"]}]}})");
  CHECK(e == "b.json:1:65: PatchFilters may hold at most 4 filters, not 5");
  CHECK(baseline_error("{\"Name\": \"x\", \"OperatingSystem\": \"DEBIAN\"}") ==
        "b.json:1:10: Name must be 3 to 128 characters long, not 1");
  CHECK(baseline_error("{\"OperatingSystem\": \"DEBIAN\", \"ApprovalRules\": {\"PatchRules\": [{\"PatchFilterGroup\": {}, "
                 "\"ApproveUntilDate\": \"2024-13-01\"}]}}") ==
        "b.json:1:109: ApproveUntilDate must be a date YYYY-MM-DD, not '2024-13-01'");
  CHECK(baseline_error("[1, 2").find("b.json:1:") == 0);  // YAML/JSON syntax error with a place
}

TEST_CASE("SSM's predefined baselines are built in, one default per OS") {
  const Baseline* u = find_predefined("AWS-UbuntuDefaultPatchBaseline");
  REQUIRE(u);
  CHECK(u->operating_system == "UBUNTU");
  REQUIRE(u->rules.size() == 1);
  CHECK(u->rules[0].filters[0].key == "PRIORITY");
  CHECK(u->rules[0].filters[0].values == std::vector<std::string>{"Required", "Important", "Standard", "Optional", "Extra"});
  CHECK_FALSE(u->rules[0].enable_non_security);
  CHECK(u->rules[0].compliance_level == ComplianceLevel::unspecified);
  CHECK(default_baseline_for("DEBIAN")->name == "AWS-DebianDefaultPatchBaseline");
  CHECK(default_baseline_for("AMAZON_LINUX_2")->name == "AWS-AmazonLinux2DefaultPatchBaseline");
  CHECK(default_baseline_for("REDHAT_ENTERPRISE_LINUX")->rules.size() == 2);
  CHECK(default_baseline_for("CENTOS")->rules[0].enable_non_security);
  CHECK(default_baseline_for("WINDOWS") == nullptr);
  CHECK(filter_keys_for("AMAZON_LINUX_2") == std::vector<std::string>{"PRODUCT", "CLASSIFICATION", "SEVERITY"});
}
