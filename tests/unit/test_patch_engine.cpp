#include "patch/engine.hpp"
#include "patch/operations.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::patch;

namespace {

Origin origin(std::string archive, std::string site = "deb.debian.org") {
  Origin o;
  o.archive = std::move(archive);
  o.site = std::move(site);
  o.component = "main";
  return o;
}

PackageVersion ver(std::string v, std::vector<Origin> origins, std::string priority = "optional",
                   std::string section = "utils") {
  PackageVersion pv;
  pv.version = std::move(v);
  pv.arch = "amd64";
  pv.origins = std::move(origins);
  pv.priority = std::move(priority);
  pv.section = std::move(section);
  return pv;
}

Package pkg(std::string name, PackageVersion installed, std::vector<PackageVersion> available = {}) {
  Package p;
  p.name = std::move(name);
  p.arch = "amd64";
  p.installed = std::move(installed);
  p.available = std::move(available);
  return p;
}

HostScan debian() {
  HostScan s;
  s.package_manager = "apt";
  s.operating_system = "DEBIAN";
  s.product = "Debian12";
  s.native_arch = "amd64";
  s.boot_id = "boot-2";
  return s;
}

Baseline debian_baseline() { return *find_predefined("AWS-DebianDefaultPatchBaseline"); }

const PatchItem& item(const Classification& c, const std::string& name) {
  for (const auto& i : c.items)
    if (i.name == name) return i;
  FAIL("no item " << name);
  return c.items.front();
}

PatchRule rule(std::vector<PatchFilter> filters, ComplianceLevel level = ComplianceLevel::unspecified,
               bool non_security = false) {
  PatchRule r;
  r.filters = std::move(filters);
  r.compliance_level = level;
  r.enable_non_security = non_security;
  return r;
}

SystemTime now() { return parse_iso8601("2024-01-10T00:00:00Z"); }

} // namespace

TEST_CASE("a version is security iff an origin's archive contains 'security' or its site is security.debian.org") {
  HostScan s = debian();
  s.installed.push_back(pkg("by-archive", ver("1", {}), {ver("2", {origin("bookworm-security")})}));
  s.installed.push_back(pkg("by-site", ver("1", {}), {ver("2", {origin("bookworm", "security.debian.org")})}));
  s.installed.push_back(pkg("updates-only", ver("1", {}), {ver("2", {origin("bookworm-updates")})}));
  auto c = classify(s, debian_baseline(), now());
  CHECK(to_string(item(c, "by-archive").state) == std::string("Missing"));
  CHECK(item(c, "by-archive").candidate_version == "2");
  CHECK(item(c, "by-archive").archive == "bookworm-security/main");
  CHECK(to_string(item(c, "by-site").state) == std::string("Missing"));
  const PatchItem& u = item(c, "updates-only");
  CHECK(to_string(u.state) == std::string("InstalledOther"));
  CHECK(u.candidate_version == "2");
  CHECK(u.reason ==
        "installed 1 not approved: rule 1: not a security update (only in dpkg status) and EnableNonSecurity is "
        "false; newer 2 not approved: rule 1: not a security update (archive bookworm-updates) and "
        "EnableNonSecurity is false");
}

TEST_CASE("EnableNonSecurity widens a rule to every update") {
  HostScan s = debian();
  s.installed.push_back(pkg("updates-only", ver("1", {}), {ver("2", {origin("bookworm-updates")})}));
  Baseline b = debian_baseline();
  b.rules[0].enable_non_security = true;
  auto c = classify(s, b, now());
  CHECK(to_string(item(c, "updates-only").state) == std::string("Missing"));
  CHECK(item(c, "updates-only").reason.find("EnableNonSecurity") != std::string::npos);
}

TEST_CASE("the highest approved newer version is the candidate") {
  HostScan s = debian();
  // 3 is newest but only in the normal suite; 2 is the security fix.
  s.installed.push_back(pkg("both", ver("1", {}), {ver("3", {origin("bookworm")}), ver("2", {origin("bookworm-security")})}));
  auto c = classify(s, debian_baseline(), now());
  CHECK(item(c, "both").candidate_version == "2");
  CHECK(to_string(item(c, "both").state) == std::string("Missing"));
}

TEST_CASE("installed and up to date from a security origin is Installed; from elsewhere InstalledOther") {
  HostScan s = debian();
  s.installed.push_back(pkg("fixed", ver("2", {origin("bookworm-security")})));
  s.installed.push_back(pkg("plain", ver("2", {origin("bookworm")})));
  auto c = classify(s, debian_baseline(), now());
  CHECK(to_string(item(c, "fixed").state) == std::string("Installed"));
  CHECK(item(c, "fixed").reason.find("installed 2 approved by rule 1") == 0);
  CHECK(to_string(item(c, "plain").state) == std::string("InstalledOther"));
}

TEST_CASE("global filters must match: PRODUCT case-insensitively, PRIORITY, SECTION with wildcards") {
  HostScan s = debian();
  s.installed.push_back(pkg("games", ver("1", {}), {ver("2", {origin("bookworm-security")}, "optional", "games")}));
  s.installed.push_back(pkg("lib", ver("1", {}), {ver("2", {origin("bookworm-security")}, "optional", "libs")}));
  Baseline b = debian_baseline();
  b.global_filters = {{"PRODUCT", {"debian12"}, {}}, {"SECTION", {"lib*", "utils"}, {}}};
  auto c = classify(s, b, now());
  CHECK(to_string(item(c, "lib").state) == std::string("Missing"));
  CHECK(to_string(item(c, "games").state) == std::string("InstalledOther"));
  CHECK(item(c, "games").reason.find("GlobalFilters: SECTION 'games' not in [lib*, utils]") != std::string::npos);
  b.global_filters = {{"PRODUCT", {"Ubuntu22.04"}, {}}};
  c = classify(s, b, now());
  CHECK(to_string(item(c, "lib").state) == std::string("InstalledOther"));
  CHECK(item(c, "lib").reason.find("GlobalFilters: PRODUCT 'Debian12' not in [Ubuntu22.04]") != std::string::npos);
}

TEST_CASE("rules are OR'd, filters within a rule AND'd, and the highest ComplianceLevel wins") {
  HostScan s = debian();
  s.installed.push_back(pkg("req-libs", ver("1", {}), {ver("2", {origin("bookworm-security")}, "required", "libs")}));
  s.installed.push_back(pkg("req-utils", ver("1", {}), {ver("2", {origin("bookworm-security")}, "required", "utils")}));
  s.installed.push_back(pkg("opt-libs", ver("1", {}), {ver("2", {origin("bookworm-security")}, "optional", "libs")}));
  s.installed.push_back(pkg("extra", ver("1", {}), {ver("2", {origin("bookworm-security")}, "extra", "misc")}));
  Baseline b = debian_baseline();
  b.rules = {rule({{"PRIORITY", {"Required"}, {}}, {"SECTION", {"libs"}, {}}}, ComplianceLevel::critical),
             rule({{"PRIORITY", {"Required", "Optional"}, {}}}, ComplianceLevel::medium)};
  auto c = classify(s, b, now());
  CHECK(item(c, "req-libs").compliance_level == ComplianceLevel::critical);  // both rules: highest wins
  CHECK(item(c, "req-libs").reason.find("approved by rule 1") != std::string::npos);
  CHECK(item(c, "req-utils").compliance_level == ComplianceLevel::medium);
  CHECK(item(c, "opt-libs").compliance_level == ComplianceLevel::medium);
  CHECK(to_string(item(c, "extra").state) == std::string("InstalledOther"));
  CHECK(item(c, "extra").reason.find("rule 1: PRIORITY 'extra' not in [Required]; rule 2: PRIORITY 'extra' not in "
                                     "[Required, Optional]") != std::string::npos);
  PatchSummary sum = summarize(c.items, c.not_applicable);
  CHECK(sum.missing == 3);
  CHECK(sum.critical_non_compliant == 1);
  CHECK(sum.security_non_compliant == 2);
  CHECK(sum.compliance == "NON_COMPLIANT");
  CHECK(sum.severity == "CRITICAL");
}

TEST_CASE("ApprovedPatches go by package name and need ApprovedPatchesEnableNonSecurity for non-security") {
  HostScan s = debian();
  s.installed.push_back(pkg("listed-sec", ver("1", {}), {ver("2", {origin("bookworm-security")}, "extra")}));
  s.installed.push_back(pkg("listed-plain", ver("1", {}), {ver("2", {origin("bookworm")}, "extra")}));
  Baseline b = debian_baseline();
  b.rules.clear();
  b.approved_patches = {"listed-sec", "listed-plain"};
  b.approved_patches_compliance_level = ComplianceLevel::high;
  auto c = classify(s, b, now());
  CHECK(to_string(item(c, "listed-sec").state) == std::string("Missing"));
  CHECK(item(c, "listed-sec").compliance_level == ComplianceLevel::high);
  CHECK(item(c, "listed-sec").reason.find("approved by ApprovedPatches") != std::string::npos);
  CHECK(to_string(item(c, "listed-plain").state) == std::string("InstalledOther"));
  CHECK(item(c, "listed-plain").reason.find("ApprovedPatchesEnableNonSecurity is false") != std::string::npos);
  b.approved_patches_enable_non_security = true;
  c = classify(s, b, now());
  CHECK(to_string(item(c, "listed-plain").state) == std::string("Missing"));
}

TEST_CASE("RejectedPatches beat approval; BLOCK reports InstalledRejected, ALLOW_AS_DEPENDENCY InstalledOther") {
  HostScan s = debian();
  s.installed.push_back(pkg("bad", ver("1", {}), {ver("2", {origin("bookworm-security")})}));
  Baseline b = debian_baseline();
  b.rejected_patches = {"bad"};
  b.approved_patches = {"bad"};
  auto c = classify(s, b, now());
  CHECK(to_string(item(c, "bad").state) == std::string("InstalledOther"));
  CHECK(item(c, "bad").reason.find("in RejectedPatches (ALLOW_AS_DEPENDENCY)") != std::string::npos);
  CHECK(summarize(c.items, 0).compliance == "COMPLIANT");
  b.rejected_patches_action = RejectedAction::block;
  c = classify(s, b, now());
  CHECK(to_string(item(c, "bad").state) == std::string("InstalledRejected"));
  CHECK(summarize(c.items, 0).installed_rejected == 1);
  CHECK(summarize(c.items, 0).compliance == "NON_COMPLIANT");
}

TEST_CASE("approved versions of packages that are not installed count as NotApplicable") {
  HostScan s = debian();
  Package n;
  n.name = "nginx";
  n.arch = "amd64";
  n.available = {ver("2", {origin("bookworm-security")})};
  s.not_installed.push_back(n);
  n.name = "cowsay";
  n.available = {ver("1", {origin("bookworm")})};
  s.not_installed.push_back(n);
  auto c = classify(s, debian_baseline(), now());
  CHECK(c.not_applicable == 1);
  CHECK(c.items.empty());
  CHECK(summarize(c.items, c.not_applicable).not_applicable == 1);
}

TEST_CASE("a NoReboot install in this boot is InstalledPendingReboot; after a reboot it is not") {
  HostScan s = debian();
  s.installed.push_back(pkg("fixed", ver("2", {origin("bookworm-security")})));
  PatchStateEntry e;
  e.id = "fixed.amd64";
  e.version = "2";
  e.state = "InstalledPendingReboot";
  e.boot_id = "boot-2";
  s.states.push_back(e);
  auto c = classify(s, debian_baseline(), now());
  CHECK(to_string(item(c, "fixed").state) == std::string("InstalledPendingReboot"));
  CHECK(summarize(c.items, 0).reboot_required);
  CHECK(summarize(c.items, 0).compliance == "NON_COMPLIANT");
  s.boot_id = "boot-3";
  c = classify(s, debian_baseline(), now());
  CHECK(to_string(item(c, "fixed").state) == std::string("Installed"));
}

TEST_CASE("a Missing package whose install failed is Failed with the reason") {
  HostScan s = debian();
  s.installed.push_back(pkg("broken", ver("1", {}), {ver("2", {origin("bookworm-security")})}));
  auto c = classify(s, debian_baseline(), now(), {{"broken.amd64", "postinst failed"}});
  CHECK(to_string(item(c, "broken").state) == std::string("Failed"));
  CHECK(item(c, "broken").reason.find("install of 2 failed: postinst failed") == 0);
}

TEST_CASE("RHEL family: CLASSIFICATION and SEVERITY filters, release-date approval, notices count as security") {
  HostScan s;
  s.package_manager = "dnf";
  s.operating_system = "REDHAT_ENTERPRISE_LINUX";
  s.product = "RedhatEnterpriseLinux9.3";
  auto rpm = [](std::string v, std::string cls, std::string sev, std::string date) {
    PackageVersion pv;
    pv.version = std::move(v);
    pv.arch = "x86_64";
    pv.classification = std::move(cls);
    pv.severity = std::move(sev);
    if (!date.empty()) pv.release_date = parse_iso8601(date);
    return pv;
  };
  auto p = [&](std::string name, PackageVersion avail) {
    Package pk;
    pk.name = std::move(name);
    pk.arch = "x86_64";
    pk.installed = rpm("0:1-1", "", "", "");
    pk.available = {std::move(avail)};
    return pk;
  };
  s.installed.push_back(p("old-critical", rpm("0:2-1", "Security", "Critical", "2024-01-01T00:00:00Z")));
  s.installed.push_back(p("new-critical", rpm("0:2-1", "Security", "Critical", "2024-01-08T00:00:00Z")));
  s.installed.push_back(p("low", rpm("0:2-1", "Security", "Low", "2023-01-01T00:00:00Z")));
  s.installed.push_back(p("bugfix", rpm("0:2-1", "Bugfix", "", "2023-01-01T00:00:00Z")));
  s.installed.push_back(p("no-notice", rpm("0:2-1", "", "", "")));
  Baseline b = *find_predefined("AWS-RedHatDefaultPatchBaseline");
  auto c = classify(s, b, now());
  CHECK(to_string(item(c, "old-critical").state) == std::string("Missing"));
  CHECK(to_string(item(c, "new-critical").state) == std::string("InstalledOther"));
  CHECK(item(c, "new-critical").reason.find("released 2024-01-08, approved after 7 days (on 2024-01-15)") !=
        std::string::npos);
  CHECK(to_string(item(c, "low").state) == std::string("InstalledOther"));
  CHECK(to_string(item(c, "bugfix").state) == std::string("Missing"));
  CHECK(to_string(item(c, "no-notice").state) == std::string("InstalledOther"));
  CHECK(item(c, "no-notice").reason.find("rule 1: CLASSIFICATION '(none)' not in [Security]") != std::string::npos);
  // Without filters, an update with no notice still needs EnableNonSecurity.
  b.rules = {rule({})};
  c = classify(s, b, now());
  CHECK(to_string(item(c, "no-notice").state) == std::string("InstalledOther"));
  CHECK(item(c, "no-notice").reason.find("no updateinfo notice and EnableNonSecurity is false") != std::string::npos);
  // ApproveUntilDate is inclusive of its whole day.
  b.rules = {rule({{"CLASSIFICATION", {"Security"}, {}}})};
  b.rules[0].approve_until_date = "2024-01-01";
  c = classify(s, b, now());
  CHECK(to_string(item(c, "old-critical").state) == std::string("Missing"));
  CHECK(to_string(item(c, "new-critical").state) == std::string("InstalledOther"));
  // Yum names: NEVRA with a wildcard in RejectedPatches.
  b.rules = {rule({}, ComplianceLevel::low, true)};
  b.rejected_patches = {"low-*"};
  c = classify(s, b, now());
  CHECK(to_string(item(c, "low").state) == std::string("InstalledOther"));
  CHECK(to_string(item(c, "no-notice").state) == std::string("Missing"));
}
