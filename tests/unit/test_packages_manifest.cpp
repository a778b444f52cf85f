// Distributor manifests: what `sshm packages create` accepts and refuses (with where), and the
// agent's choice of archive for a host's platform, platform version and architecture.
#include "packages/manifest.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace sshm;
using namespace sshm::packages;

namespace {

const std::string k_sum(64, 'a');

std::string manifest(const std::string& packages, const std::string& extra = "") {
  return "{\n  \"schemaVersion\": \"2.0\",\n  \"version\": \"1.2.3\",\n" + extra + "  \"packages\": " + packages +
         ",\n  \"files\": {\n    \"a.zip\": {\"checksums\": {\"sha256\": \"" + k_sum + "\"}},\n" +
         "    \"b.tar.gz\": {\"checksums\": {\"sha256\": \"" + k_sum + "\"}}\n  }\n}\n";
}

// The error parse_manifest throws for `text`, as printed.
std::string manifest_error(const std::string& text) {
  try {
    parse_manifest(text, "m.json");
  } catch (const InputError& e) {
    return e.formatted();
  }
  return "no error";
}

} // namespace

TEST_CASE("a manifest as AWS documents it is read whole") {
  Manifest m = parse_manifest(manifest(R"({"ubuntu": {"_any": {"x86_64": {"file": "a.zip"}}},
    "_any": {"_any": {"_any": {"file": "b.tar.gz"}}}})", "  \"publisher\": \"me\",\n"), "m.json");
  CHECK(m.version == "1.2.3");
  CHECK(m.publisher == "me");
  CHECK(m.packages.at("ubuntu").at("_any").at("x86_64") == "a.zip");
  CHECK(m.sha256.at("b.tar.gz") == k_sum);
}

TEST_CASE("bad manifests are refused with file:line:col") {
  CHECK(manifest_error("{\n  \"schemaVersion\": \"2.0\",\n  oops\n}") .find("m.json:3:3:") != std::string::npos);
  std::string unknown = manifest_error(manifest(R"({"_any": {"_any": {"_any": {"file": "a.zip"}}}})", "  \"publsher\": \"me\",\n"));
  CHECK(unknown.find("m.json:4:3: unknown field 'publsher'") != std::string::npos);
  CHECK(unknown.find("did you mean 'publisher'") != std::string::npos);
  CHECK(manifest_error(manifest(R"({"_any": {"_any": {"_any": {"file": "c.zip"}}}})")).find("'c.zip' is not in \"files\"") !=
        std::string::npos);
  std::string v1 = manifest(R"({"_any": {"_any": {"_any": {"file": "a.zip"}}}})");
  CHECK(manifest_error(std::string(v1).replace(v1.find("2.0"), 3, "1.0")).find("schemaVersion '1.0'") != std::string::npos);
  CHECK(manifest_error(std::string(v1).replace(v1.find(k_sum), 64, "xyz")).find("not 64 hex digits") != std::string::npos);
  CHECK(manifest_error(std::string(v1).replace(v1.find("1.2.3"), 5, "1 2")).find("version '1 2'") != std::string::npos);
  CHECK(manifest_error("[]").find("one JSON object") != std::string::npos);
}

TEST_CASE("the host's platform as the agent names it") {
  HostPlatform amzn = host_platform("amzn", "2023", "aarch64");
  CHECK(amzn.name == "amazon");
  CHECK(amzn.arch == "arm64");
  CHECK(host_platform("rhel", "9.2", "x86_64").name == "redhat");
  CHECK(host_platform("opensuse-leap", "15.5", "x86_64").name == "suse");
  CHECK(host_platform("Ubuntu", "22.04", "i686").arch == "i386");
  CHECK(host_platform("debian", "12", "x86_64").name == "debian");
}

TEST_CASE("the archive for a host: exact names first, then a version prefix, then _any") {
  Manifest m = parse_manifest(manifest(R"({
    "ubuntu": {"22.04": {"x86_64": {"file": "a.zip"}}, "20": {"_any": {"file": "b.tar.gz"}}},
    "redhat": {"_any": {"arm64": {"file": "a.zip"}}},
    "_any": {"_any": {"x86_64": {"file": "b.tar.gz"}}}})"), "m.json");
  CHECK(select_file(m, host_platform("ubuntu", "22.04", "x86_64")) == "a.zip");
  CHECK(select_file(m, host_platform("ubuntu", "20.04", "aarch64")) == "b.tar.gz");
  CHECK_FALSE(select_file(m, host_platform("ubuntu", "24.04", "x86_64")));
  CHECK(select_file(m, host_platform("rhel", "9", "aarch64")) == "a.zip");
  CHECK_FALSE(select_file(m, host_platform("rhel", "9", "x86_64")));
  CHECK(select_file(m, host_platform("debian", "12", "x86_64")) == "b.tar.gz");
  CHECK_FALSE(select_file(m, host_platform("debian", "12", "arm64")));
}

TEST_CASE("package names and versions Distributor accepts") {
  CHECK(package_name_problem("my-app_1.0").empty());
  CHECK_FALSE(package_name_problem("ab").empty());
  CHECK_FALSE(package_name_problem("../etc").empty());
  CHECK_FALSE(package_name_problem("AWSPVDriver").empty());
  CHECK(version_problem("1.0.0-rc1").empty());
  CHECK_FALSE(version_problem("").empty());
  CHECK_FALSE(version_problem("..").empty());
  CHECK_FALSE(version_problem("1.0/../x").empty());
}
