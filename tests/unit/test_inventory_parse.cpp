#include "inventory/parse.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <sstream>

using namespace sshm::inventory;

namespace {

const Row* find_row(const std::vector<Row>& rows, const std::string& name) {
  for (const Row& r : rows)
    if (r.count("Name") && r.at("Name") == name) return &r;
  return nullptr;
}

} // namespace

TEST_CASE("sections split at nonce markers; bodies keep their own text") {
  std::string stream = "noise\n@@SSHM@@abc host\nweb-01\n\n@@SSHM@@abc empty\n\n@@SSHM@@abc end\n";
  auto s = split_sections(stream, "abc");
  REQUIRE(s.size() == 3);
  CHECK(s[0].name == "host");
  CHECK(s[0].body == "web-01\n");
  CHECK(s[1].name == "empty");
  CHECK(s[1].body == "");
  CHECK(s[2].name == "end");
  // A marker with another nonce is just text.
  auto t = split_sections("\n@@SSHM@@abc a\nx\n@@SSHM@@zzz b\ny\n", "abc");
  REQUIRE(t.size() == 1);
  CHECK(t[0].body == "x\n@@SSHM@@zzz b\ny\n");
}

TEST_CASE("dpkg-query output becomes AWS:Application rows as SSM names them") {
  auto rows = parse_dpkg(test_data("inventory", "dpkg-query.txt"));
  CHECK(rows.size() == 7);
  const Row* bash = find_row(rows, "bash");
  REQUIRE(bash);
  CHECK(bash->at("Version") == "5.2.15-2+b8");
  CHECK(bash->at("Architecture") == "x86_64");  // amd64 mapped as the SSM agent does
  CHECK(bash->at("Publisher") == "Matthias Klose <doko@debian.org>");
  CHECK(bash->at("ApplicationType") == "shells");
  CHECK(bash->at("Summary") == "GNU Bourne Again SHell");
  CHECK(bash->at("PackageId") == "bash_5.2.15-2+b8_amd64.deb");
  CHECK(bash->at("InstalledTime") == "2025-05-20T00:00:00Z");
  const Row* bb = find_row(rows, "busybox");
  REQUIRE(bb);
  CHECK(bb->at("Version") == "1:1.35.0-4+deb12u1+b1");
  const Row* tz = find_row(rows, "tzdata");
  REQUIRE(tz);
  CHECK(tz->at("Architecture") == "all");
}

TEST_CASE("rpm queryformat output becomes AWS:Application rows with Release and Epoch") {
  auto rows = parse_rpm(test_data("inventory", "rpm-qa.txt"));
  REQUIRE(rows.size() == 4);
  const Row* ssl = find_row(rows, "openssl");
  REQUIRE(ssl);
  CHECK(ssl->at("Version") == "3.0.7");
  CHECK(ssl->at("Release") == "27.el9");
  CHECK(ssl->at("Epoch") == "1");
  CHECK(ssl->at("Publisher") == "Rocky Enterprise Software Foundation");
  CHECK(ssl->at("PackageId") == "openssl-3.0.7-27.el9.x86_64.rpm");
  CHECK(ssl->at("Summary").size() <= 100);
  const Row* bash = find_row(rows, "bash");
  REQUIRE(bash);
  CHECK(bash->count("Epoch") == 0);  // "(none)" is left out
  CHECK(bash->at("InstalledTime") == "2023-11-14T22:13:20Z");
  const Row* key = find_row(rows, "gpg-pubkey");
  REQUIRE(key);
  CHECK(key->count("Architecture") == 0);
}

TEST_CASE("apk's installed database becomes AWS:Application rows") {
  auto rows = parse_apk_db(test_data("inventory", "apk-installed.txt"));
  REQUIRE(rows.size() == 3);
  const Row* bb = find_row(rows, "busybox");
  REQUIRE(bb);
  CHECK(bb->at("Version") == "1.36.1-r15");
  CHECK(bb->at("Architecture") == "x86_64");
  CHECK(bb->at("URL") == "https://busybox.net/");
  CHECK(bb->at("PackageId") == "busybox-1.36.1-r15.apk");
  CHECK(find_row(rows, "musl")->at("Publisher") == "Timo Teräs <timo.teras@iki.fi>");
}

TEST_CASE("ip -j addr and route become AWS:Network rows without loopback") {
  auto dns = parse_resolv_conf(test_data("inventory", "resolv.conf"));
  CHECK(dns == std::vector<std::string>{"10.255.255.53", "1.1.1.1"});
  auto rows = parse_ip_json(test_data("inventory", "ip-j-addr.json"), test_data("inventory", "ip-j-route.json"), test_data("inventory", "ip-j-route6.json"), dns);
  CHECK(find_row(rows, "lo") == nullptr);
  const Row* eth = find_row(rows, "eth0");
  REQUIRE(eth);
  CHECK(eth->at("IPV4") == "192.0.2.2");
  CHECK(eth->at("IPV6") == "fd00::2,fe80::fc:ff:fe00:1");
  CHECK(eth->at("MacAddress") == "02:fc:00:00:00:01");
  CHECK(eth->at("SubnetMask") == "255.255.255.0");
  CHECK(eth->at("Gateway") == "192.0.2.1,fd00::1");
  CHECK(eth->at("DNSServer") == "10.255.255.53,1.1.1.1");
  const Row* ifb = find_row(rows, "ifb0");
  REQUIRE(ifb);
  CHECK(ifb->count("IPV4") == 0);
}

TEST_CASE("ip addr text gives the same interfaces as ip -j") {
  auto dns = parse_resolv_conf(test_data("inventory", "resolv.conf"));
  auto json = parse_ip_json(test_data("inventory", "ip-j-addr.json"), test_data("inventory", "ip-j-route.json"), "", dns);
  auto text = parse_ip_text(test_data("inventory", "ip-addr.txt"), test_data("inventory", "ip-route.txt"), dns);
  CHECK(json == text);
  // busybox-style names with @peer are cut at '@'.
  auto veth = parse_ip_text("5: veth1@if4: <BROADCAST,UP> mtu 1500\n    link/ether aa:bb:cc:dd:ee:ff brd ff:ff:ff:ff:ff:ff\n"
                            "    inet 10.1.2.3/16 scope global veth1\n",
                            "default via 10.1.0.1 dev veth1\n", {});
  REQUIRE(veth.size() == 1);
  CHECK(veth[0].at("Name") == "veth1");
  CHECK(veth[0].at("SubnetMask") == "255.255.0.0");
  CHECK(veth[0].at("Gateway") == "10.1.0.1");
}

TEST_CASE("lscpu gives the CPU attributes; /proc/cpuinfo fills in the speed") {
  Row r = parse_cpu(test_data("inventory", "lscpu.txt"), test_data("inventory", "cpuinfo.txt"), "MemTotal:       24574368 kB\n");
  CHECK(r.at("CPUModel") == "Intel(R) Xeon(R) Processor");
  CHECK(r.at("CPUs") == "2");
  CHECK(r.at("CPUSockets") == "1");
  CHECK(r.at("CPUCores") == "2");
  CHECK(r.at("CPUHyperThreadEnabled") == "false");
  CHECK(r.at("CPUSpeedMHz") == "2300");
  CHECK(r.at("TotalMemoryMB") == "23998");

  const char* two_socket = "CPU(s):              32\nModel name:          AMD EPYC 7R13\n"
                           "Thread(s) per core:  2\nCore(s) per socket:  8\nSocket(s):           2\n"
                           "CPU MHz:             2649.998\n";
  Row big = parse_cpu(two_socket, "", "");
  CHECK(big.at("CPUCores") == "16");
  CHECK(big.at("CPUHyperThreadEnabled") == "true");
  CHECK(big.at("CPUSpeedMHz") == "2649");
}

TEST_CASE("without lscpu, /proc/cpuinfo alone counts sockets, cores and threads") {
  std::string cpuinfo;
  for (int p = 0; p < 8; ++p)
    cpuinfo += "processor\t: " + std::to_string(p) + "\nmodel name\t: Test CPU\ncpu MHz\t\t: 3000.123\nphysical id\t: " +
               std::to_string(p / 4) + "\ncore id\t\t: " + std::to_string((p % 4) / 2) + "\n";
  Row r = parse_cpu("", cpuinfo, "");
  CHECK(r.at("CPUs") == "8");
  CHECK(r.at("CPUSockets") == "2");
  CHECK(r.at("CPUCores") == "4");
  CHECK(r.at("CPUHyperThreadEnabled") == "true");
  CHECK(r.at("CPUSpeedMHz") == "3000");
}

TEST_CASE("systemctl list-units and list-unit-files become AWS:Service rows") {
  auto rows = parse_systemctl(test_data("inventory", "systemctl-list-units.txt"), test_data("inventory", "systemctl-list-unit-files.txt"));
  CHECK(rows.size() == 10);
  const Row* ssh = find_row(rows, "ssh");
  REQUIRE(ssh);
  CHECK(ssh->at("Status") == "Running");
  CHECK(ssh->at("StartType") == "Automatic");
  CHECK(ssh->at("DisplayName") == "OpenBSD Secure Shell server");
  CHECK(ssh->at("ServiceType") == "systemd");
  CHECK(find_row(rows, "nginx")->at("Status") == "Failed");
  CHECK(find_row(rows, "apt-daily")->at("Status") == "Stopped");
  CHECK(find_row(rows, "apt-daily")->at("StartType") == "Manual");
  CHECK(find_row(rows, "networking")->at("Status") == "Exited");
  CHECK(find_row(rows, "display-manager")->at("StartType") == "NotFound");
}

TEST_CASE("processes join ps command lines with /proc names and passwd users") {
  std::string ps = "    1 /sbin/init splash\n  812 /usr/sbin/sshd -D\n    2 [kthreadd]\n";
  std::string status = "1\x1f\tsystemd\x1f\t0\t0\t0\t0\x1e\n2\x1f\tkthreadd\x1f\t0\t0\t0\t0\x1e\n"
                       "812\x1f\tsshd\x1f\t1000\t1000\t1000\t1000\x1e\n";
  std::string passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
  auto rows = parse_processes(ps, status, passwd);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].at("Pid") == "1");
  CHECK(rows[0].at("Name") == "systemd");
  CHECK(rows[0].at("User") == "root");
  CHECK(rows[0].at("CommandLine") == "/sbin/init splash");
  CHECK(rows[2].at("User") == "alice");
  // Without /proc, names come from the command line.
  auto bare = parse_processes(ps, "", "");
  REQUIRE(bare.size() == 3);
  CHECK(bare[1].at("Name") == "kthreadd");
  CHECK(bare[2].at("Name") == "sshd");
}

TEST_CASE("file records become AWS:File rows with hashes and the file limit") {
  std::string stat = "/etc/hosts\x1f" "187\x1f" "1700000000\x1f" "1700000500\x1e\n"
                     "/etc/host name.conf\x1f" "9\x1f" "1700000000\x1f" "1700000000\x1e\n";
  std::string hash = std::string(64, 'a') + "  /etc/hosts\n";
  auto rows = parse_files(stat, hash, 500);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].at("Name") == "hosts");
  CHECK(rows[0].at("InstalledDir") == "/etc");
  CHECK(rows[0].at("Size") == "187");
  CHECK(rows[0].at("ModificationTime") == "2023-11-14T22:13:20Z");
  CHECK(rows[0].at("Hash") == "sha256:" + std::string(64, 'a'));
  CHECK(rows[1].at("Name") == "host name.conf");
  CHECK(parse_files(stat, "", 1).size() == 1);
}

TEST_CASE("custom inventory files are validated as SSM's agent does") {
  std::set<std::string> seen;
  std::string reason;
  auto ok = parse_custom_file("/etc/sshm/inventory/custom/rack.json",
                              R"({"SchemaVersion":"1.0","TypeName":"Custom:RackInfo","Content":{"Rack":"R12","Row":"4"}})",
                              seen, reason);
  REQUIRE(ok);
  CHECK(ok->type_name == "Custom:RackInfo");
  CHECK(ok->content.size() == 1);
  CHECK(ok->content[0].at("Rack") == "R12");

  auto list = parse_custom_file("a.json", R"({"SchemaVersion":"2.10","TypeName":"Custom:Disks","Content":[{"Dev":"sda"},{"Dev":"sdb"}]})",
                                seen, reason);
  REQUIRE(list);
  CHECK(list->content.size() == 2);

  struct Bad {
    const char* path;
    const char* text;
    const char* reason;
  };
  const Bad bad[] = {
      {"x.txt", "{}", "not a .json file"},
      {"x.json", "{nope", "invalid JSON"},
      {"x.json", R"({"SchemaVersion":"1.0","TypeName":"AWS:Mine","Content":{}})", "must start with 'Custom:'"},
      {"x.json", R"({"SchemaVersion":"1","TypeName":"Custom:X","Content":{}})", "SchemaVersion"},
      {"x.json", R"({"SchemaVersion":"1.0","TypeName":"Custom:X","Content":"text"})", "Content must be"},
      {"x.json", R"({"SchemaVersion":"1.0","TypeName":"Custom:X","Content":{"Count":3}})",
       "attribute 'Count' is not a string"},
      {"x.json", R"({"SchemaVersion":"1.0","TypeName":"Custom:RackInfo","Content":{"A":"b"}})", "duplicate TypeName"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.text);
    reason.clear();
    CHECK_FALSE(parse_custom_file(b.path, b.text, seen, reason));
    CHECK(reason.find(b.reason) != std::string::npos);
  }
  std::string many = R"({"SchemaVersion":"1.0","TypeName":"Custom:Wide","Content":{)";
  for (int i = 0; i < 51; ++i) many += (i ? "," : "") + std::string("\"a") + std::to_string(i) + "\":\"v\"";
  many += "}}";
  CHECK_FALSE(parse_custom_file("w.json", many, seen, reason));
  CHECK(reason.find("at most 50") != std::string::npos);
  std::string long_value = R"({"SchemaVersion":"1.0","TypeName":"Custom:Long","Content":{"a":")" +
                           std::string(4097, 'x') + "\"}}";
  CHECK_FALSE(parse_custom_file("l.json", long_value, seen, reason));
  CHECK(reason.find("4096") != std::string::npos);
}

TEST_CASE("a whole stream becomes SSM items; a bad custom file is rejected and the rest kept") {
  std::string n = "n1";
  auto sec = [&](const std::string& name) { return "\n@@SSHM@@" + n + " " + name + "\n"; };
  std::string stream = sec("host") + "web-01\n" + sec("uname") + "6.1.0-18-amd64\nx86_64\n" + sec("os-release") +
                       test_data("inventory", "os-release.txt") + sec("dpkg") + test_data("inventory", "dpkg-query.txt") + sec("ip-j-addr") +
                       test_data("inventory", "ip-j-addr.json") + sec("ip-j-route") + test_data("inventory", "ip-j-route.json") + sec("resolv") +
                       test_data("inventory", "resolv.conf") + sec("lscpu") + test_data("inventory", "lscpu.txt") + sec("meminfo") +
                       "MemTotal: 2048000 kB\n" + sec("custom /etc/sshm/inventory/custom/good.json") +
                       R"({"SchemaVersion":"1.0","TypeName":"Custom:Owner","Content":{"Team":"infra"}})" +
                       sec("custom /etc/sshm/inventory/custom/bad.json") +
                       R"({"SchemaVersion":"1.0","TypeName":"Custom:Bad","Content":{"N":1}})" + sec("end");
  ParseSelection sel;
  auto parsed = parse_stream(stream, n, sel, "web-01", "2026-01-02T03:04:05Z");
  CHECK(parsed.package_manager == "dpkg");
  std::map<std::string, const InventoryItem*> by_type;
  for (const auto& i : parsed.items) by_type[i.type_name] = &i;
  REQUIRE(by_type.count("AWS:InstanceInformation"));
  const Row& info = by_type["AWS:InstanceInformation"]->content.at(0);
  CHECK(info.at("ComputerName") == "web-01");
  CHECK(info.at("IpAddress") == "192.0.2.2");
  CHECK(info.at("PlatformName") == "Debian GNU/Linux");
  CHECK(info.at("PlatformVersion") == "12");
  CHECK(info.at("PlatformType") == "Linux");
  CHECK(info.at("KernelVersion") == "6.1.0-18-amd64");
  REQUIRE(by_type.count("AWS:Application"));
  CHECK(by_type["AWS:Application"]->schema_version == "1.1");
  CHECK(by_type["AWS:Application"]->capture_time == "2026-01-02T03:04:05Z");
  CHECK(by_type["AWS:Application"]->content.size() == 7);
  CHECK(by_type["AWS:InstanceDetailedInformation"]->content.at(0).at("TotalMemoryMB") == "2000");
  CHECK(by_type.count("Custom:Owner") == 1);
  CHECK(by_type.count("Custom:Bad") == 0);
  REQUIRE(parsed.warnings.size() == 1);
  CHECK(parsed.warnings[0].find("bad.json rejected: attribute 'N' is not a string") != std::string::npos);
}
