#include "fake_transport.hpp"
#include "inventory/gather.hpp"
#include "util/error.hpp"

#include <array>
#include <cstdio>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace sshm;
using namespace sshm::inventory;

namespace {

// A host that is this machine under a chosen shell, standing in for sshd: the request's stdin
// goes to the shell's stdin, its stdout comes back in chunks.
std::unique_ptr<ssh::Session> local_session(test::FakeTransport& t, const std::string& shell) {
  t.hosts["local"].chunk = 4096;
  t.hosts["local"].on(test::any_request(), test::local_shell(shell));
  return t.session("local");
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

const InventoryItem* find_item(const std::vector<InventoryItem>& items, const std::string& type) {
  for (const auto& i : items)
    if (i.type_name == type) return &i;
  return nullptr;
}

void check_local_gather(const std::string& shell) {
  auto dir = std::filesystem::temp_directory_path() / ("sshm-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "a.conf") << "alpha\n";
  std::ofstream(dir / "b.txt") << "beta\n";
  std::ofstream(dir / "sub" / "c.conf") << "gamma\n";
  std::ofstream(dir / "it's here.conf") << "quote\n";
  auto custom = dir / "custom dir";
  std::filesystem::create_directories(custom);
  std::ofstream(custom / "rack.json") << R"({"SchemaVersion":"1.0","TypeName":"Custom:Rack","Content":{"Rack":"R7"}})";
  std::ofstream(custom / "bad.json") << R"({"SchemaVersion":"1.0","TypeName":"Custom:Bad","Content":{"U":2}})";

  test::FakeTransport transport;
  auto session = local_session(transport, shell);
  GatherOptions o;
  o.instance_id = "local";
  o.files = parse_file_rules(R"([{"Path":")" + dir.string() + R"(","Pattern":["*.conf"],"Recursive":true}])");
  o.file_hash = true;
  o.custom_dirs = {custom.string()};
  std::vector<std::string> warnings;
  std::string pm;
  auto items = gather(*session, o, &warnings, &pm);
  REQUIRE(transport.requests_to("local").at(0).command == "sh -s");
  std::filesystem::remove_all(dir);
  REQUIRE(items);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("bad.json rejected: attribute 'U' is not a string") != std::string::npos);
  CHECK(pm == "dpkg");
  const InventoryItem* rack = find_item(*items, "Custom:Rack");
  REQUIRE(rack);
  CHECK(rack->content.at(0).at("Rack") == "R7");

  // AWS:Application equals `dpkg-query -W` here, names and versions.
  const InventoryItem* apps = find_item(*items, "AWS:Application");
  REQUIRE(apps);
  std::set<std::string> expected, got;
  std::string listing = run("dpkg-query -W -f='${Package}\\t${Version}\\n'");
  size_t start = 0;
  while (start < listing.size()) {
    size_t end = listing.find('\n', start);
    expected.insert(listing.substr(start, end - start));
    start = end + 1;
  }
  for (const Row& r : apps->content) got.insert(r.at("Name") + "\t" + r.at("Version"));
  CHECK(got == expected);

  const InventoryItem* detail = find_item(*items, "AWS:InstanceDetailedInformation");
  REQUIRE(detail);
  CHECK(detail->content.at(0).at("CPUs") == std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)));

  const InventoryItem* info = find_item(*items, "AWS:InstanceInformation");
  REQUIRE(info);
  CHECK(info->content.at(0).at("InstanceId") == "local");
  CHECK(info->content.at(0).at("PlatformType") == "Linux");
  CHECK(!info->content.at(0).at("KernelVersion").empty());

  const InventoryItem* procs = find_item(*items, "sshm:Process");
  REQUIRE(procs);
  bool me = false;
  for (const Row& r : procs->content)
    if (r.at("Pid") == std::to_string(::getpid())) me = r.count("CommandLine") && r.count("User");
  CHECK(me);

  const InventoryItem* files = find_item(*items, "AWS:File");
  REQUIRE(files);
  std::set<std::string> names;
  for (const Row& r : files->content) {
    names.insert(r.at("Name"));
    CHECK(r.at("Hash").rfind("sha256:", 0) == 0);
  }
  CHECK(names == std::set<std::string>{"a.conf", "c.conf", "it's here.conf"});
}

} // namespace

TEST_CASE("the gatherer runs under dash and matches this machine") {
  check_local_gather("dash");
}

TEST_CASE("the gatherer runs under busybox sh") {
  if (!std::filesystem::exists("/bin/busybox") && !std::filesystem::exists("/usr/bin/busybox")) {
    MESSAGE("busybox is not installed; tests/run.sh installs it");
    return;
  }
  check_local_gather("busybox sh");
}

TEST_CASE("the script travels on stdin and the settings are quoted") {
  GatherOptions o;
  o.files = {{"/var/log/it's", {"*.log", "$(reboot)"}, false, 10}};
  std::string in = build_gather_input(o, "abc");
  CHECK(in.find("sshm_file_rule '/var/log/it'\\''s' 0 10 '*.log' '$(reboot)'") != std::string::npos);
  CHECK(in.find("SSHM_NONCE='abc'") == 0);
  CHECK(std::string(k_gather_command) == "sh -s");
}

TEST_CASE("files rules and document parameters are checked") {
  auto rules = parse_file_rules(R"([{"Path":"/etc","Pattern":["*.conf"],"Recursive":false,"DirScanLimit":10}])");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].dir_scan_limit == 10);
  CHECK_THROWS_AS(parse_file_rules(R"([{"Path":"/etc"}])"), InputError);
  try {
    parse_file_rules(R"([{"Path":"/etc","Pattern":["*"],"Recursve":true}])");
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(e.suggestion() == "Recursive");
  }
  auto o = options_from_parameters({{"applications", "Enabled"}, {"networkConfig", "Disabled"}, {"files", ""}});
  CHECK(o.applications);
  CHECK_FALSE(o.network);
  CHECK(o.files.empty());
  CHECK_THROWS_AS(options_from_parameters({{"applicatons", "Enabled"}}), InputError);
  CHECK_THROWS_AS(options_from_parameters({{"services", "yes"}}), InputError);
  GatherOptions t;
  select_types(t, {"AWS:Application", "network"});
  CHECK(t.applications);
  CHECK(t.network);
  CHECK_FALSE(t.processes);
  CHECK_THROWS_AS(select_types(t, {"AWS:Netwrk"}), InputError);
}
