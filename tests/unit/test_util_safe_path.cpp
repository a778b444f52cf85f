// Names from user files as path components that cannot leave their root.
#include "util/safe_path.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace sshm;

TEST_CASE("path_component keeps ordinary names and encodes the rest") {
  CHECK(path_component("web-1.example.com") == "web-1.example.com");
  CHECK(path_component("0.awsrunShellScript") == "0.awsrunShellScript");
  CHECK(path_component("..") == "%2E%2E");
  CHECK(path_component(".") == "%2E");
  CHECK(path_component("") == "%");
  CHECK(path_component("../../../../tmp/x/trav") == "..%2F..%2F..%2F..%2Ftmp%2Fx%2Ftrav");
  CHECK(path_component(std::string("a\0b\nc\\d%", 8)) == "a%00b%0Ac%5Cd%25");
  // Encoded names never collide with names that were already safe.
  CHECK(path_component("%2E%2E") == "%252E%252E");
}

TEST_CASE("name_problem refuses what cannot be a single file name") {
  CHECK(name_problem("web-1").empty());
  CHECK(name_problem("fe80::1").empty());
  CHECK(name_problem("..") == "it may not be '.' or '..'");
  CHECK(name_problem("") == "it is empty");
  CHECK(name_problem("../x") == "it may not contain '/'");
  CHECK(name_problem(std::string("a\0b", 3)) == "it may not contain control characters");
  CHECK(printable_name("a\x1b[31m") == "a\\x1b[31m");
}

TEST_CASE("is_within and private files and directories") {
  CHECK(is_within("/s/outputs", "/s/outputs/cmd/host/stdout"));
  CHECK_FALSE(is_within("/s/outputs", "/s/outputs/../../tmp/x"));
  CHECK_FALSE(is_within("/s/outputs", "/s/outputs"));
  CHECK_FALSE(is_within("out", "elsewhere/x"));

  auto root = std::filesystem::temp_directory_path() / fmt::format("sshm-safe-{}", ::getpid());
  std::error_code ec;
  create_private_dirs(root / "a" / "b", ec);
  REQUIRE_FALSE(ec);
  struct stat st {};
  REQUIRE(::stat((root / "a" / "b").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  std::FILE* f = open_private_file(root / "a" / "b" / "stdout");
  REQUIRE(f != nullptr);
  std::fclose(f);
  REQUIRE(::stat((root / "a" / "b" / "stdout").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // A symlink planted where the file goes is not followed.
  std::filesystem::create_symlink(root / "target", root / "a" / "link");
  CHECK(open_private_file(root / "a" / "link") == nullptr);
  CHECK_FALSE(std::filesystem::exists(root / "target"));
  std::filesystem::remove_all(root);
}
