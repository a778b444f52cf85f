#include "patch/engine.hpp"
#include "patch/scan.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <sstream>

using namespace sshm;
using namespace sshm::patch;

namespace {

const Package* installed(const HostScan& s, const std::string& name, const std::string& arch) {
  for (const auto& p : s.installed)
    if (p.name == name && p.arch == arch) return &p;
  return nullptr;
}

} // namespace

TEST_CASE("the scan script is POSIX sh that reads its settings and never puts them in argv") {
  ScanScriptOptions o;
  o.update = true;
  o.boot_id_command = "cat /etc/boot-id";
  std::string s = scan_script(o);
  CHECK(s.find("SSHM_UPDATE=1\n") != std::string::npos);
  CHECK(s.find("SSHM_BOOT_ID_CMD='cat /etc/boot-id'\n") != std::string::npos);
  CHECK(s.find("apt-get indextargets") != std::string::npos);
  CHECK(s.find("dpkg-query -W") != std::string::npos);
}

TEST_CASE("apt scan output: installed packages, every offered version with its origins, states") {
  HostScan s = parse_scan_output(test_data("patch", "apt_scan_debian.txt"));
  CHECK(s.errors.empty());
  CHECK(s.package_manager == "apt");
  CHECK(s.operating_system == "DEBIAN");
  CHECK(s.product == "Debian12");
  CHECK(s.os_name == "Debian GNU/Linux 12 (bookworm)");
  CHECK(s.boot_id == "0b5c8a3e-6f0e-4f57-9a8c-1f2d3e4a5b6c");
  CHECK(s.states.size() == 2);
  CHECK(installed(s, "removed-pkg", "amd64") == nullptr);  // "rc": only config files left
  const Package* openssl = installed(s, "openssl", "amd64");
  REQUIRE(openssl);
  CHECK(openssl->installed->version == "3.0.11-1~deb12u2");
  REQUIRE(openssl->installed->origins.size() == 1);
  CHECK(openssl->installed->origins[0].archive == "stable");
  REQUIRE(openssl->available.size() == 2);
  CHECK(openssl->available[0].version == "3.0.14-1~deb12u1");  // highest first
  CHECK(openssl->available[0].origins[0].archive == "stable-updates");
  CHECK(openssl->available[1].origins[0].site == "security.debian.org");
  CHECK(openssl->available[1].origins[0].label == "Debian-Security");
  // libc6:i386 is installed; only amd64 versions are offered: nothing newer for it.
  REQUIRE(installed(s, "libc6", "i386"));
  CHECK(installed(s, "libc6", "i386")->available.empty());
  // nginx, cowsay and libc6:amd64 are offered, not installed.
  CHECK(s.not_installed.size() == 3);

  auto c = classify(s, *find_predefined("AWS-DebianDefaultPatchBaseline"), std::chrono::system_clock::now());
  std::map<std::string, std::string> states;
  for (const auto& i : c.items) states[i.name + ":" + i.arch] = to_string(i.state);
  CHECK(states["openssl:amd64"] == "Missing");
  CHECK(states["libssl3:amd64"] == "Missing");
  CHECK(states["curl:amd64"] == "Missing");  // an old NoReboot entry from another boot is history
  CHECK(states["tzdata:all"] == "InstalledPendingReboot");
  CHECK(states["bash:amd64"] == "InstalledOther");
  CHECK(states["vim-tiny:amd64"] == "InstalledOther");
  CHECK(states["libc6:i386"] == "InstalledOther");
  CHECK(c.not_applicable == 1);  // nginx has a security version; cowsay has not
  for (const auto& i : c.items)
    if (i.name == "openssl") {
      CHECK(i.candidate_version == "3.0.13-1~deb12u1");
      CHECK(i.archive == "stable-security/main");
      CHECK(i.priority == "optional");
      CHECK(i.section == "utils");
      CHECK(i.classification == "Security");
    }
}

TEST_CASE("a real capture from a Debian 12 minbase root with a local repository") {
  HostScan s = parse_scan_output(test_data("patch", "apt_scan_minbase_chroot.txt"));
  CHECK(s.errors.empty());
  CHECK(s.installed.size() == 122);
  const Package* a = installed(s, "sshm-a", "all");
  REQUIRE(a);
  REQUIRE(a->available.size() == 2);
  CHECK(a->available[0].version == "3");
  CHECK(a->available[0].origins[0].archive == "bookworm");
  CHECK(a->available[0].origins[0].site == "");  // file: repository
  CHECK(a->available[1].origins[0].archive == "bookworm-security");
}

TEST_CASE("scan output problems become errors, not exceptions") {
  CHECK(parse_scan_output("").errors.front() == "the scan script did not start (no shell, or sudo refused?)");
  HostScan s = parse_scan_output("@@sshm-patch-scan 1\n@@os\nID=debian\n@@pm apt\n@@installed\nbash\tamd64\n");
  CHECK(s.errors == std::vector<std::string>{"the scan output ended early"});
  s = parse_scan_output("@@sshm-patch-scan 1\n@@error apt-get update failed: E: nope\n@@states\n{bad\n@@end\n@@done\n");
  REQUIRE(s.errors.size() == 2);
  CHECK(s.errors[0] == "apt-get update failed: E: nope");
  CHECK(s.errors[1].find("/var/lib/sshm/patch-states.json is not valid JSON") == 0);
}

TEST_CASE("os-release maps to SSM's operating system and product") {
  auto id = [](std::string os, std::string ver) {
    HostScan s;
    s.os_id = std::move(os);
    s.os_version_id = std::move(ver);
    identify_os(s);
    return s.operating_system + " " + s.product;
  };
  CHECK(id("debian", "12") == "DEBIAN Debian12");
  CHECK(id("ubuntu", "22.04") == "UBUNTU Ubuntu22.04");
  CHECK(id("amzn", "2") == "AMAZON_LINUX_2 AmazonLinux2");
  CHECK(id("amzn", "2023") == "AMAZON_LINUX_2023 AmazonLinux2023");
  CHECK(id("rhel", "9.3") == "REDHAT_ENTERPRISE_LINUX RedhatEnterpriseLinux9.3");
  CHECK(id("sles", "15.5") == "SUSE SUSE15.5");
  CHECK(id("alpine", "3.19.1") == "ALPINE Alpine3.19");
  CHECK(id("gentoo", "1") == " ");
}
