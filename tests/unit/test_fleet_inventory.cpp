#include "fleet/inventory.hpp"
#include "fleet/targets.hpp"

#include <doctest/doctest.h>
#include <sstream>

using namespace sshm;
using namespace sshm::fleet;

namespace {

const char* k_fleet = R"(defaults:
  user: deploy
  port: 2200
hosts:
  web-01:
    address: 10.0.0.1
    tags: {Env: prod, Role: web}
  web-02:
    address: 10.0.0.2
    tags: {Env: stage, Role: web}
  db-01:
    port: 5432
    tags: {Env: prod, Role: db, "Patch Group": critical}
  bare:
groups:
  web:
    hosts: [web-01, web-02]
  prod:
    match: tag:Env=prod
  everything:
    children: [web, prod]
)";

std::vector<std::string> names(const std::vector<const Host*>& hosts) {
  std::vector<std::string> out;
  for (const auto* h : hosts) out.push_back(h->name);
  return out;
}

std::vector<std::string> pick(const Inventory& inv, std::vector<std::string> targets,
                              std::vector<std::string> excludes = {}, const std::string& in = "") {
  std::istringstream stream(in);
  return names(select_hosts(inv, TargetSpec{std::move(targets), std::move(excludes)}, &stream));
}

InputError parse_error(const std::string& text) {
  try {
    Inventory::parse(text, "inv.yaml");
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError");
  return InputError("unreachable");
}

} // namespace

TEST_CASE("defaults apply unless a host overrides them") {
  auto inv = Inventory::parse(k_fleet, "inv.yaml");
  REQUIRE(inv.hosts().size() == 4);
  const Host* web = inv.find("web-01");
  REQUIRE(web);
  CHECK(*web->connection.user == "deploy");
  CHECK(*web->connection.port == 2200);
  CHECK(*inv.find("db-01")->connection.port == 5432);
  CHECK_FALSE(inv.find("bare")->connection.address.has_value());
}

TEST_CASE("group membership follows static lists, match queries and children") {
  auto inv = Inventory::parse(k_fleet, "inv.yaml");
  CHECK(pick(inv, {"group:web"}) == std::vector<std::string>{"web-01", "web-02"});
  CHECK(pick(inv, {"group:prod"}) == std::vector<std::string>{"web-01", "db-01"});
  CHECK(pick(inv, {"group:everything"}) == std::vector<std::string>{"web-01", "web-02", "db-01"});
}

TEST_CASE("unknown keys are errors with a location and a suggestion") {
  auto e = parse_error("hosts:\n  a:\n    adress: 1.2.3.4\n");
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 5);
  CHECK(e.suggestion() == "address");
  CHECK(e.formatted().find("inv.yaml:3:5: unknown key 'adress'") == 0);
}

TEST_CASE("duplicate hosts, bad types and unknown group members are rejected") {
  CHECK(parse_error("hosts:\n  a:\n  a:\n").where().line == 3);
  auto port = parse_error("hosts:\n  a:\n    port: twenty\n");
  CHECK(std::string(port.what()).find("whole number") != std::string::npos);
  auto member = parse_error("hosts:\n  web-01:\ngroups:\n  g:\n    hosts: [web-10]\n");
  CHECK(member.suggestion() == "web-01");
  CHECK(member.where().line == 5);
  auto top = parse_error("host:\n  a:\n");
  CHECK(top.suggestion() == "hosts");
}

TEST_CASE("target forms") {
  auto inv = Inventory::parse(k_fleet, "inv.yaml");
  CHECK(pick(inv, {"web-01,db-01"}) == std::vector<std::string>{"web-01", "db-01"});
  CHECK(pick(inv, {"web-*"}) == std::vector<std::string>{"web-01", "web-02"});
  CHECK(pick(inv, {"tag:Env=prod,stage"}) == std::vector<std::string>{"web-01", "web-02", "db-01"});
  CHECK(pick(inv, {"tag-key:Patch Group"}) == std::vector<std::string>{"db-01"});
  CHECK(pick(inv, {"Key=tag:Role,Values=db"}) == std::vector<std::string>{"db-01"});
  CHECK(pick(inv, {"Key=InstanceIds,Values=bare,web-02"}) == std::vector<std::string>{"web-02", "bare"});
  CHECK(pick(inv, {"all"}).size() == 4);
  CHECK(pick(inv, {"-"}, {}, "db-01\n\nweb-02\n") == std::vector<std::string>{"web-02", "db-01"});
}

TEST_CASE("several targets are AND'd and excludes subtract") {
  auto inv = Inventory::parse(k_fleet, "inv.yaml");
  CHECK(pick(inv, {"tag:Env=prod", "tag:Role=web"}) == std::vector<std::string>{"web-01"});
  CHECK(pick(inv, {"all"}, {"group:web"}) == std::vector<std::string>{"db-01", "bare"});
}

TEST_CASE("unknown names and empty selections are errors") {
  auto inv = Inventory::parse(k_fleet, "inv.yaml");
  try {
    pick(inv, {"web-1"});
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(e.suggestion() == "web-01");
  }
  CHECK_THROWS_AS(pick(inv, {"tag:Env=dev"}), InputError);
  CHECK_THROWS_AS(pick(inv, {"group:nope"}), InputError);
  CHECK_THROWS_AS(pick(inv, {"Key=tags:Env,Values=a"}), InputError);
  CHECK_THROWS_AS(pick(inv, {"-"}, {}, "ghost\n"), InputError);
}

TEST_CASE("host names that are paths are refused, in every inventory format") {
  auto error_of = [](const std::string& text, const std::string& file) -> std::string {
    try {
      Inventory::parse(text, file);
    } catch (const InputError& e) {
      return e.formatted();
    }
    return {};
  };
  CHECK(error_of("hosts:\n  ../../../../tmp/x/trav: {address: 127.0.0.1}\n", "inv.yaml") ==
        "inv.yaml:2:3: host name '../../../../tmp/x/trav' is not valid: it may not contain '/'");
  CHECK(error_of("hosts:\n  ..:\n", "inv.yaml") == "inv.yaml:2:3: host name '..' is not valid: it may not be '.' or '..'");
  CHECK(error_of("hosts:\n  \"a\\x01b\":\n", "inv.yaml") ==
        "inv.yaml:2:3: host name 'a\\x01b' is not valid: it may not contain control characters");
  CHECK(error_of("[web]\nweb/1 ansible_host=10.0.0.1\n", "inv.ini").find("host name 'web/1' is not valid") !=
        std::string::npos);
  CHECK(error_of("all:\n  hosts:\n    ..:\n", "inv.yml").find("host name '..' is not valid") != std::string::npos);
  CHECK(error_of("hosts:\n  web-1.example.com:\n  fe80::1:\n", "ok.yaml").empty());
}
