#include "patch/engine.hpp"
#include "patch/parsers.hpp"
#include "patch/scan.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <sstream>

using namespace sshm;
using namespace sshm::patch;

namespace {

const Package& find(const std::vector<Package>& ps, const std::string& name) {
  for (const auto& p : ps)
    if (p.name == name) return p;
  FAIL("no package " << name);
  return ps.front();
}

} // namespace

TEST_CASE("NEVRA strings split into name, epoch:version-release and arch") {
  Nevra n;
  REQUIRE(parse_nevra("openssl-libs-1:3.0.7-25.el9_3.x86_64", n));
  CHECK(n.name == "openssl-libs");
  CHECK(n.evr == "1:3.0.7-25.el9_3");
  CHECK(n.arch == "x86_64");
  REQUIRE(parse_nevra("tzdata-2023d-1.el9.noarch", n));
  CHECK(n.name == "tzdata");
  CHECK(n.evr == "0:2023d-1.el9");
  CHECK_FALSE(parse_nevra("garbage", n));
}

TEST_CASE("dnf: rpm -qa, check-update, updateinfo list and info make classified packages") {
  auto installed = parse_rpm_installed(test_data("patch", "rpm_installed_el9.txt"));
  CHECK(installed.size() == 7);  // gpg-pubkey is not a package
  auto updates = parse_rpm_check_update(test_data("patch", "dnf_check_update.txt"));
  REQUIRE(updates.size() == 6);  // the Obsoleting section is not updates
  CHECK(updates[2].name == "openssl");
  CHECK(updates[2].evr == "1:3.0.7-25.el9_3");
  CHECK(updates[4].repository == "appstream");
  auto notices = parse_updateinfo_list(test_data("patch", "dnf_updateinfo_list.txt"));
  REQUIRE(notices.size() == 5);
  CHECK(notices[0].classification == "Security");
  CHECK(notices[0].severity == "Important");
  CHECK(notices[4].classification == "Bugfix");
  CHECK(notices[4].severity == "");
  auto dates = parse_updateinfo_dates(test_data("patch", "dnf_updateinfo_info.txt"));
  CHECK(iso8601_s(dates.at("RHSA-2023:7877")) == "2023-12-18T10:31:20Z");
  apply_rpm_updates(installed, updates, notices, dates);
  const Package& curl = find(installed, "curl");
  REQUIRE(curl.available.size() == 1);
  CHECK(curl.available[0].classification == "Security");
  CHECK(curl.available[0].severity == "Important");
  CHECK(curl.available[0].advisory_id == "RHSA-2023:7712");
  CHECK(curl.available[0].repository == "baseos");
  CHECK(find(installed, "vim-minimal").available[0].classification == "");
  CHECK(find(installed, "bash").available.empty());

  HostScan s;
  s.package_manager = "dnf";
  s.operating_system = "REDHAT_ENTERPRISE_LINUX";
  s.product = "RedhatEnterpriseLinux9.3";
  s.installed = installed;
  auto c = classify(s, *find_predefined("AWS-RedHatDefaultPatchBaseline"), parse_iso8601("2024-02-01T00:00:00Z"));
  std::map<std::string, std::string> st;
  for (const auto& i : c.items) st[i.name] = to_string(i.state);
  CHECK(st["curl"] == "Missing");          // Security/Important
  CHECK(st["openssl"] == "InstalledOther");  // Security/Low is not in Critical, Important
  CHECK(st["tzdata"] == "Missing");        // Bugfix
  CHECK(st["vim-minimal"] == "InstalledOther");  // no notice
}

TEST_CASE("yum: wrapped check-update lines, Amazon Linux updateinfo, Issued dates") {
  auto updates = parse_rpm_check_update(test_data("patch", "yum_check_update_el7.txt"));
  REQUIRE(updates.size() == 3);
  CHECK(updates[1].name == "device-mapper-persistent-data");
  CHECK(updates[1].evr == "0:0.8.5-3.el7_9.2");
  CHECK(updates[1].repository == "updates");
  auto notices = parse_updateinfo_list(test_data("patch", "yum_updateinfo_list_al2.txt"));
  REQUIRE(notices.size() == 4);  // "updateinfo list done" is not a notice
  CHECK(notices[0].severity == "Important");
  CHECK(notices[2].severity == "Medium");
  auto dates = parse_updateinfo_dates(test_data("patch", "yum_updateinfo_info_el7.txt"));
  CHECK(iso8601_s(dates.at("RHSA-2023:5678")) == "2023-10-02T00:00:00Z");
  CHECK(iso8601_s(dates.at("RHBA-2023:1111")) == "2023-09-20T00:00:00Z");  // Updated beats Issued
  // Two notices for the same package: each version keeps its own.
  auto installed = parse_rpm_installed("openssl-libs\tx86_64\t1:1.0.2k-24.amzn2.0.9\n");
  apply_rpm_updates(installed, {}, notices, {});
  REQUIRE(installed[0].available.size() == 2);
  CHECK(installed[0].available[0].severity == "Critical");
  CHECK(installed[0].available[0].advisory_id == "ALAS2-2023-2385");
}

TEST_CASE("zypper: list-updates and patch info give category and severity per package") {
  auto installed = parse_rpm_installed(test_data("patch", "rpm_installed_sles.txt"));
  auto updates = parse_zypper_list_updates(test_data("patch", "zypper_list_updates.txt"));
  REQUIRE(updates.size() == 4);
  CHECK(updates[0].repository == "SLE-Module-Basesystem15-SP5-Updates");
  CHECK(updates[3].arch == "noarch");
  auto patches = parse_zypper_patch_info(test_data("patch", "zypper_patch_info.txt"));
  REQUIRE(patches.size() == 2);
  CHECK(patches[0].category == "security");
  CHECK(patches[0].severity == "important");
  CHECK(patches[0].packages.size() == 5);  // src packages left out
  CHECK(iso8601_s(*patches[0].created) == "2023-12-01T09:12:33Z");
  apply_zypper_updates(installed, updates, patches);
  CHECK(find(installed, "curl").available[0].classification == "Security");
  CHECK(find(installed, "curl").available[0].severity == "Important");
  CHECK(find(installed, "timezone").available[0].classification == "Recommended");
  CHECK(find(installed, "vim-data-common").available[0].classification == "");
  HostScan s;
  s.package_manager = "zypper";
  s.operating_system = "SUSE";
  s.product = "SUSE15.5";
  s.installed = installed;
  auto c = classify(s, *find_predefined("AWS-SuseDefaultPatchBaseline"), parse_iso8601("2024-01-01T00:00:00Z"));
  std::map<std::string, std::string> st;
  for (const auto& i : c.items) st[i.name] = to_string(i.state);
  CHECK(st["curl"] == "Missing");
  CHECK(st["libcurl4"] == "Missing");
  CHECK(st["timezone"] == "InstalledOther");
}

TEST_CASE("apk: list -I and list -u, and Alpine's default approves every update") {
  auto inst = parse_apk_list(test_data("patch", "apk_list_installed.txt"));
  REQUIRE(inst.size() == 4);
  CHECK(inst[3].name == "py3-six-pyc");
  CHECK(inst[3].version == "1.16.0-r8");
  auto up = parse_apk_list(test_data("patch", "apk_list_upgradable.txt"));
  REQUIRE(up.size() == 2);
  CHECK(up[0].upgradable_from == "1.36.1-r15");
  HostScan s;
  s.package_manager = "apk";
  s.operating_system = "ALPINE";
  s.product = "Alpine3.19";
  s.installed = apk_packages(inst, up);
  auto c = classify(s, *default_baseline_for("ALPINE"), std::chrono::system_clock::now());
  std::map<std::string, std::string> st;
  for (const auto& i : c.items) st[i.name] = std::string(to_string(i.state)) + " " + i.candidate_version;
  CHECK(st["busybox"] == "Missing 1.36.1-r19");
  CHECK(st["libcrypto3"] == "Missing 3.1.4-r5");
  CHECK(st["alpine-baselayout"] == "Installed ");
}

TEST_CASE("whole scan outputs of dnf, zypper and apk hosts parse through the same path") {
  std::string dnf = "@@sshm-patch-scan 1\n@@os\nID=\"rhel\"\nVERSION_ID=\"9.3\"\n@@pm dnf\n@@installed\n" +
                    test_data("patch", "rpm_installed_el9.txt") + "@@end\n@@check-update\n" + test_data("patch", "dnf_check_update.txt") +
                    "@@end\n@@updateinfo-list\n" + test_data("patch", "dnf_updateinfo_list.txt") + "@@end\n@@updateinfo-info\n" +
                    test_data("patch", "dnf_updateinfo_info.txt") + "@@end\n@@done\n";
  HostScan s = parse_scan_output(dnf);
  CHECK(s.errors.empty());
  CHECK(s.operating_system == "REDHAT_ENTERPRISE_LINUX");
  CHECK(find(s.installed, "curl").available[0].classification == "Security");
  std::string zyp = "@@sshm-patch-scan 1\n@@os\nID=\"sles\"\nVERSION_ID=\"15.5\"\n@@pm zypper\n@@installed\n" +
                    test_data("patch", "rpm_installed_sles.txt") + "@@end\n@@list-updates\n" + test_data("patch", "zypper_list_updates.txt") +
                    "@@end\n@@patch-info\n" + test_data("patch", "zypper_patch_info.txt") + "@@end\n@@done\n";
  s = parse_scan_output(zyp);
  CHECK(s.operating_system == "SUSE");
  CHECK(find(s.installed, "curl").available[0].severity == "Important");
  std::string apk = "@@sshm-patch-scan 1\n@@os\nID=alpine\nVERSION_ID=3.19.1\n@@pm apk\n@@installed\n" +
                    test_data("patch", "apk_list_installed.txt") + "@@end\n@@upgradable\n" + test_data("patch", "apk_list_upgradable.txt") +
                    "@@end\n@@done\n";
  s = parse_scan_output(apk);
  CHECK(s.operating_system == "ALPINE");
  CHECK(find(s.installed, "busybox").available.size() == 1);
}
