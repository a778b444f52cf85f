#include "fake_transport.hpp"
#include "patch/compliance.hpp"
#include "patch/config.hpp"
#include "patch/operations.hpp"
#include "store/patch_tables.hpp"
#include "store/store.hpp"
#include "test_helpers.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace sshm;
using namespace sshm::patch;

namespace {

// A host that answers sshm's scripts by what they are: the scan script with a canned scan, the
// install script with canned results, the boot id command with a new boot.
void answer_patch_scripts(test::FakeHost& h, const std::string& scan_output, const std::string& install_output = "") {
  h.on(test::script_contains("# sshm patch scan"), test::reply({0, scan_output, ""}));
  h.on(test::script_contains("# sshm patch install"), test::reply({0, install_output, ""}));
  h.on(test::script_starts_with("echo sshm-test-boot-id"), test::reply({0, "boot-after\n", ""}));
}

std::vector<std::string> commands_to(test::FakeTransport& t, const std::string& host) {
  std::vector<std::string> out;
  for (const auto& r : t.requests_to(host)) out.push_back(r.command);
  return out;
}

std::vector<std::string> scripts_to(test::FakeTransport& t, const std::string& host) {
  std::vector<std::string> out;
  for (const auto& r : t.requests_to(host)) out.push_back(r.stdin_data);
  return out;
}

void refuse(test::FakeTransport& t, const std::string& host) {
  t.hosts[host].connect_failure = ssh::FailureKind::connect_refused;
  t.hosts[host].failure_message = "connection refused";
}

PatchRequest request(Operation op) {
  PatchRequest r;
  r.operation = op;
  r.reboot_option = RebootOption::no_reboot;
  r.run_as = "root";
  r.choose_baseline = [](const HostScan& s) -> Expected<Baseline, sshm::Error> {
    return pick_for_os(predefined_baselines(), s.operating_system, "predefined");
  };
  return r;
}

} // namespace

TEST_CASE("scan over a transport: script on stdin, sh -s (sudo only when root is needed), a report") {
  test::FakeTransport t;
  answer_patch_scripts(t.hosts["web-1"], test_data("patch", "apt_scan_debian.txt"));
  ssh::Endpoint ep;
  ep.name = "web-1";
  ep.user = "deploy";
  HostPatchReport r = scan(t, ep, request(Operation::scan));
  CHECK(r.status == "Success");
  CHECK(r.summary.baseline_id == "AWS-DebianDefaultPatchBaseline");
  CHECK(r.summary.operation == "Scan");
  CHECK(r.summary.missing == 3);
  CHECK(r.summary.installed_pending_reboot == 1);
  CHECK(r.summary.reboot_required);
  CHECK(r.summary.compliance == "NON_COMPLIANT");
  REQUIRE(commands_to(t, "web-1").size() == 1);
  CHECK(commands_to(t, "web-1")[0] == "sh -s");  // reading needs no root
  CHECK(scripts_to(t, "web-1")[0].find("SSHM_UPDATE=0") != std::string::npos);
  auto j = report_to_json(r);
  CHECK(j["PatchSummary"]["MissingCount"] == 3);
  CHECK(j["Patches"].size() == r.items.size());

  PatchRequest upd = request(Operation::scan);
  upd.update = true;
  t.requests.clear();
  scan(t, ep, upd);
  CHECK(commands_to(t, "web-1")[0] == "sudo -n -u 'root' sh -s");  // apt-get update needs root
}

TEST_CASE("install sends exactly the approved missing packages and records per-package results") {
  test::FakeTransport t;
  answer_patch_scripts(
      t.hosts["web-1"], test_data("patch", "apt_scan_debian.txt"),
      "@@sshm-patch-install 1\n@@batch 100\n@@result openssl=3.0.13-1~deb12u1 ok\n"
      "@@result libssl3=3.0.13-1~deb12u1 failed: now iF  3.0.13-1~deb12u1; dpkg: error processing package libssl3\n"
      "@@result curl=7.88.1-10+deb12u7 ok\n");
  ssh::Endpoint ep;
  ep.name = "web-1";
  ep.user = "root";
  HostPatchReport r = install(t, ep, request(Operation::install));
  // scan, install, write states, rescan
  const std::vector<std::string> scripts = scripts_to(t, "web-1");
  REQUIRE(scripts.size() == 4);
  const std::string& script = scripts[1];
  CHECK(script.find("TARGETS='curl=7.88.1-10+deb12u7 libssl3=3.0.13-1~deb12u1 openssl=3.0.13-1~deb12u1'") !=
        std::string::npos);
  CHECK(script.find("--only-upgrade") != std::string::npos);
  CHECK(script.find("DPkg::Lock::Timeout") != std::string::npos);
  CHECK(script.find("--force-confold") != std::string::npos);
  CHECK(commands_to(t, "web-1")[1] == "sh -s");  // already root
  CHECK(scripts[2].find("/var/lib/sshm/patch-states.json") != std::string::npos);
  CHECK(scripts[2].find("\"curl.amd64:7.88.1-10+deb12u7\"") != std::string::npos);
  CHECK(scripts[2].find("InstalledPendingReboot") != std::string::npos);
  CHECK(r.status == "Failed");
  CHECK(r.error == "1 package(s) failed to install");
  for (const auto& i : r.items)
    if (i.name == "libssl3") CHECK(i.reason.find("dpkg: error processing package libssl3") != std::string::npos);
}

TEST_CASE("an executor's session survives a reboot: the core reconnects on a session of its own") {
  test::FakeTransport t;
  answer_patch_scripts(t.hosts["web-1"], test_data("patch", "apt_scan_debian.txt"),
                       "@@sshm-patch-install 1\n@@batch 100\n@@result openssl=3.0.13-1~deb12u1 ok\n");
  ssh::Endpoint ep;
  ep.name = "web-1";
  ep.user = "root";
  PatchRequest req = request(Operation::install);
  req.reboot_option = RebootOption::reboot_if_needed;
  req.install_override = {"openssl"};
  req.boot_id_command = "echo sshm-test-boot-id";
  auto owned = t.session("web-1");  // the executor's session
  HostPatchReport r = run_patch_on_session(*owned, ep, req, &t);
  CHECK(r.summary.rebooted);
  CHECK(std::find(r.log.begin(), r.log.end(), "rebooted") != r.log.end());
  // Still the caller's to use and to free (once).
  CHECK(owned->exec(ssh::ExecRequest{}).has_value());

  // Without a transport the caller reboots: the summary asks for it.
  HostPatchReport asked = run_patch_on_session(*owned, ep, req);
  CHECK_FALSE(asked.summary.rebooted);
  CHECK(asked.summary.reboot_required);
}

TEST_CASE("install results parse per target") {
  auto r = parse_install_results("noise\n@@result a=1 ok\n@@result b=2 failed: now ii  1; E: Could not get lock\n");
  CHECK(r.at("a=1") == "");
  CHECK(r.at("b=2") == "now ii  1; E: Could not get lock");
  // Unsafe specs never reach the script.
  std::string s = apt_install_script({"ok=1", "bad;rm -rf /=1"}, {"blocked"}, 30);
  CHECK(s.find("TARGETS='ok=1'") != std::string::npos);
  CHECK(s.find("Package: blocked\nPin: version *\nPin-Priority: -1") != std::string::npos);
}

TEST_CASE("an unreachable host is a failed report with the failure kind, not an exception") {
  test::FakeTransport t;
  refuse(t, "down");
  ssh::Endpoint ep;
  ep.name = "down";
  HostPatchReport r = scan(t, ep, request(Operation::scan));
  CHECK(r.status == "Failed");
  CHECK(r.failure_kind == "connect_refused");
  CHECK(r.error == "connection refused");
}

TEST_CASE("a baseline for another OS fails the host with a clear message") {
  test::FakeTransport t;
  answer_patch_scripts(t.hosts["web-1"], test_data("patch", "apt_scan_debian.txt"));
  ssh::Endpoint ep;
  ep.name = "web-1";
  PatchRequest req = request(Operation::scan);
  std::vector<Baseline> only_ubuntu = {*find_predefined("AWS-UbuntuDefaultPatchBaseline")};
  req.choose_baseline = [&](const HostScan& s) { return pick_for_os(only_ubuntu, s.operating_system, "--baseline x"); };
  HostPatchReport r = scan(t, ep, req);
  CHECK(r.status == "Failed");
  CHECK(r.error == "--baseline x has no baseline for this host's operating system DEBIAN (it has "
                   "AWS-UbuntuDefaultPatchBaseline (UBUNTU))");
}

TEST_CASE("patch config: named baselines, patch groups with one baseline per OS, defaults, did-you-mean") {
  std::string dir = std::string(SSHM_TEST_DATA) + "/patch";
  auto c = PatchConfig::parse(
      "baselines:\n  prod-debian: custom_debian.json\npatch_groups:\n  prod: [prod-debian, AWS-UbuntuDefaultPatchBaseline]\n"
      "default_baselines: [AWS-UbuntuDefaultPatchBaseline]\n",
      dir + "/patch.yaml");
  CHECK(c.baseline_for("prod", "DEBIAN")->id == "prod-debian");
  CHECK(c.baseline_for("prod", "UBUNTU")->id == "AWS-UbuntuDefaultPatchBaseline");
  CHECK(c.baseline_for("other", "DEBIAN")->id == "AWS-DebianDefaultPatchBaseline");
  CHECK(c.baseline_for("", "WINDOWS").error().message == "no patch baseline for operating system WINDOWS");
  CHECK(patch_group_of({{"Patch Group", "prod"}}) == "prod");
  CHECK(patch_group_of({{"PatchGroup", "web"}}) == "web");
  CHECK(patch_group_of({{"Env", "x"}}) == "");
  try {
    c.resolve("AWS-UbuntuDefaultPatchBaselin");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.suggestion() == "AWS-UbuntuDefaultPatchBaseline");
  }
  try {
    PatchConfig::parse("baselines:\n  prod-debian: custom_debian.json\npatch_groups:\n  prod: [AWS-DebianDefaultPatchBaseline, "
                       "prod-debian]\n",
                       dir + "/patch.yaml");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.formatted() == dir + "/patch.yaml:4:42: patch group 'prod' has two baselines for DEBIAN "
                                 "('AWS-DebianDefaultPatchBaseline' and 'test-debian'); SSM allows one per operating system");
  }
  try {
    PatchConfig::parse("patch_group:\n  x: []\n", "p.yaml");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.formatted() == "p.yaml:1:1: unknown key 'patch_group' in the patch config (allowed: baselines, patch_groups, "
                           "default_baselines) (did you mean 'patch_groups'?)");
  }
}

TEST_CASE("compliance store: latest summary and non-compliant items per host; unreachable keeps the last") {
  char tmpl[] = "/tmp/sshm-compliance-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::filesystem::path dir = tmpl;
  {
    auto store = store::Store::open(dir);  // the compliance tables exist from the start
    test::FakeTransport t;
    answer_patch_scripts(t.hosts["web-1"], test_data("patch", "apt_scan_debian.txt"));
    ssh::Endpoint ep;
    ep.name = "web-1";
    save_report(*store, scan(t, ep, request(Operation::scan)));
    auto stored = load_compliance(*store);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].host == "web-1");
    CHECK(stored[0].summary["ComplianceStatus"] == "NON_COMPLIANT");
    CHECK(stored[0].non_compliant.size() == 4);  // 3 Missing + 1 InstalledPendingReboot
    refuse(t, "web-1");
    save_report(*store, scan(t, ep, request(Operation::scan)));
    stored = load_compliance(*store);
    CHECK(stored[0].summary["MissingCount"] == 3);
    auto history = store::patch_history(*store, "web-1");
    REQUIRE(history.size() == 2);
    CHECK(history[0].status == "Success");
    CHECK(history[1].status == "Failed");
  }
  std::filesystem::remove_all(dir);
}
