#include "params/backend.hpp"
#include "params/parameter.hpp"
#include "params_error.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::params;

namespace {

std::string levels(int n) {
  std::string name;
  for (int i = 1; i <= n; ++i) name += "/l" + std::to_string(i);
  return name;
}

} // namespace

TEST_CASE("params names: SSM's name rules with SSM's error names") {
  CHECK(params_error_code([] { check_name("MyParameter"); }) == "");
  CHECK(params_error_code([] { check_name("/app/prod/db.password-1_x"); }) == "");
  CHECK(params_error_code([] { check_name("/TestParam1"); }) == "");
  CHECK(params_error_code([] { check_name(""); }) == "ValidationException");
  CHECK(params_error_code([] { check_name("has space"); }) == "ValidationException");
  CHECK(params_error_code([] { check_name("bad*char"); }) == "ValidationException");
  CHECK(params_error_code([] { check_name("MyParameter3/L1"); }) == "ValidationException");  // not fully qualified
  CHECK(params_error_code([] { check_name("/a//b"); }) == "ValidationException");
  CHECK(params_error_code([] { check_name("/a/b/"); }) == "ValidationException");
  SUBCASE("aws and ssm prefixes are reserved, in any case, with or without a slash") {
    for (const char* n : {"aws-thing", "AWSthing", "ssm", "SsmX", "/aws/x", "/ssm/x", "/Aws"})
      CHECK_MESSAGE(params_error_code([&] { check_name(n); }) == "ValidationException", n);
    CHECK(params_error_code([] { check_name("/x/aws"); }) == "");
    CHECK(params_error_code([] { check_name("myaws"); }) == "");
  }
  SUBCASE("at most 15 hierarchy levels") {
    CHECK(params_error_code([] { check_name(levels(15)); }) == "");
    CHECK(params_error_code([] { check_name(levels(16)); }) == "HierarchyLevelLimitExceededException");
  }
  SUBCASE("at most 1011 characters") {
    CHECK(params_error_code([] { check_name(std::string(1011, 'a')); }) == "");
    CHECK(params_error_code([] { check_name(std::string(1012, 'a')); }) == "ValidationException");
  }
}

TEST_CASE("params names: /a and a are the same parameter, hierarchies keep their slash") {
  CHECK(canonical_name("/a") == "a");
  CHECK(canonical_name("a") == "a");
  CHECK(canonical_name("/a/b") == "/a/b");
  CHECK(parent_path("a") == "/");
  CHECK(parent_path("/a") == "/");
  CHECK(parent_path("/a/b/c") == "/a/b");
}

TEST_CASE("params selectors: name:version and name:label") {
  Selector plain = parse_selector("/app/db");
  CHECK(plain.name == "/app/db");
  CHECK(!plain.version);
  CHECK(!plain.label);
  Selector v = parse_selector("/app/db:3");
  CHECK(v.name == "/app/db");
  CHECK(v.version == 3);
  CHECK(v.suffix() == ":3");
  Selector l = parse_selector("/app/db:prod");
  CHECK(l.label == "prod");
  CHECK(l.suffix() == ":prod");
  CHECK(params_error_code([] { parse_selector("/app/db:"); }) == "ValidationException");
  CHECK(params_error_code([] { parse_selector("/app/db:1:2"); }) == "ValidationException");
}

TEST_CASE("params labels: SSM's label rules") {
  CHECK(label_problem("prod") == "");
  CHECK(label_problem("Release-1.2_b") == "");
  CHECK(label_problem(std::string(100, 'x')) == "");
  CHECK(label_problem(std::string(101, 'x')) != "");
  CHECK(label_problem("1st") != "");
  CHECK(label_problem("aws-x") != "");
  CHECK(label_problem("SSMlabel") != "");
  CHECK(label_problem("a/b") != "");
  CHECK(label_problem("a b") != "");
  CHECK(label_problem("") != "");
}

TEST_CASE("params values: sizes by tier, nesting, AllowedPattern") {
  CHECK(params_error_code([] { check_value(std::string(4096, 'v'), "Standard", ""); }) == "");
  CHECK(params_error_code([] { check_value(std::string(4097, 'v'), "Standard", ""); }) == "ValidationException");
  CHECK(params_error_code([] { check_value(std::string(8192, 'v'), "Advanced", ""); }) == "");
  CHECK(params_error_code([] { check_value(std::string(8193, 'v'), "Advanced", ""); }) == "ValidationException");
  CHECK(params_error_code([] { check_value("", "Standard", ""); }) == "ValidationException");
  CHECK(params_error_code([] { check_value("x {{ssm:/other}} y", "Standard", ""); }) == "ValidationException");
  CHECK(params_error_code([] { check_value("12345", "Standard", "^\\d+$"); }) == "");
  // AllowedPattern must match the whole value.
  CHECK(params_error_code([] { check_value("123ab", "Standard", "\\d+"); }) == "ParameterPatternMismatchException");
  CHECK(params_error_code([] { check_allowed_pattern("(unclosed"); }) == "InvalidAllowedPatternException");
  CHECK(params_error_code([] { check_allowed_pattern(std::string(1025, 'a')); }) == "InvalidAllowedPatternException");
  CHECK(params_error_code([] { check_description(std::string(1025, 'd')); }) == "ValidationException");
}

TEST_CASE("params types and tiers") {
  for (const char* t : {"String", "StringList", "SecureString"}) CHECK(params_error_code([&] { check_type(t); }) == "");
  CHECK(params_error_code([] { check_type("string"); }) == "UnsupportedParameterType");
  CHECK(params_error_code([] { check_tier("Advanced"); }) == "");
  CHECK(params_error_code([] { check_tier("Premium"); }) == "ValidationException");
}

TEST_CASE("params StringList: split on every comma, no escaping") {
  CHECK(string_list_items("a,b,c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(string_list_items("'ls,echo a'") == std::vector<std::string>{"'ls", "echo a'"});
}

TEST_CASE("params policies: the three types, their attributes and limits") {
  auto p = parse_policies(R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-12-02T21:34:33.000Z"}},
    {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}},
    {"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"20","Unit":"Hours"}}])");
  REQUIRE(p.size() == 3);
  CHECK(p[0].timestamp == parse_iso8601("2030-12-02T21:34:33.000Z"));
  CHECK(p[1].span == std::chrono::hours(15 * 24));
  CHECK(p[2].span == std::chrono::hours(20));
  CHECK(parse_policies("[{}]").empty());
  CHECK(parse_policies("[]").empty());
  CHECK(params_error_code([] { parse_policies(R"([{"Type":"Rotate","Version":"1.0"}])"); }) == "InvalidPolicyTypeException");
  CHECK(params_error_code([] { parse_policies("not json"); }) == "InvalidPolicyTypeException");
  CHECK(params_error_code([] {
          parse_policies(R"([{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"x","Unit":"Days"}}])");
        }) == "InvalidPolicyAttributeException");
  CHECK(params_error_code([] {
          parse_policies(R"([{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Weeks"}}])");
        }) == "InvalidPolicyAttributeException");
  CHECK(params_error_code([] {
          parse_policies(R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"tomorrow"}}])");
        }) == "InvalidPolicyAttributeException");
  CHECK(params_error_code([] {
          parse_policies(R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}},
                             {"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2031-01-01T00:00:00Z"}}])");
        }) == "IncompatiblePolicyException");
  CHECK(params_error_code([] { parse_policies(std::string(4097, ' ')); }) == "PoliciesLimitExceededException");
}

TEST_CASE("params filters: keys, options and values each call accepts") {
  std::vector<std::string> path_keys = {"Type", "KeyId", "Label"};
  CHECK(params_error_code([&] { check_filters({{"Type", "", {"String"}}}, path_keys); }) == "");
  CHECK(params_error_code([&] { check_filters({{"Name", "", {"x"}}}, path_keys); }) == "InvalidFilterKey");
  CHECK(params_error_code([&] { check_filters({{"Type", "BeginsWith", {"String"}}}, path_keys); }) == "InvalidFilterOption");
  CHECK(params_error_code([&] { check_filters({{"Type", "", {"Text"}}}, path_keys); }) == "InvalidFilterValue");
  CHECK(params_error_code([&] { check_filters({{"Type", "", {}}}, path_keys); }) == "InvalidFilterValue");
  std::vector<std::string> describe_keys = {"Name", "Type", "KeyId", "Path", "Tier", "DataType"};
  CHECK(params_error_code([&] { check_filters({{"Path", "Recursive", {"/a"}}}, describe_keys); }) == "");
  CHECK(params_error_code([&] { check_filters({{"Path", "", {"a"}}}, describe_keys); }) == "InvalidFilterValue");

  Version v;
  v.name = "/app/prod/db";
  v.type = "SecureString";
  v.tier = "Standard";
  CHECK(passes(v, {{"Name", "BeginsWith", {"/app/"}}}));
  CHECK(passes(v, {{"Name", "Contains", {"prod"}}}));
  CHECK(!passes(v, {{"Name", "", {"/app"}}}));
  CHECK(passes(v, {{"Type", "", {"String", "SecureString"}}}));
  CHECK(passes(v, {{"Path", "Recursive", {"/app"}}}));
  CHECK(!passes(v, {{"Path", "OneLevel", {"/app"}}}));
  CHECK(passes(v, {{"Path", "", {"/app/prod/"}}}));
  CHECK(!passes(v, {{"Tier", "", {"Advanced"}}}));
}
