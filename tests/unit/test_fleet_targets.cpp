#include "fleet/inventory.hpp"
#include "fleet/targets.hpp"

#include <doctest/doctest.h>
#include <sstream>

using namespace sshm;
using namespace sshm::fleet;

namespace {

using Names = std::vector<std::string>;

// web01..web04 in group web, db1..db2 in db, both in prod; a host and a group share the
// name "both"; tags give Env and Role.
const char* k_ini = R"([web]
web01 Env=prod Role=web
web02 Env=prod Role=web
web03 Env=stage Role=web
web04 Env=stage Role=web
[db]
db1 Env=prod Role=db
db2 Env=stage Role=db
both Env=prod
[prod:children]
web
db
[both]
web03
[misc]
mail.example.com Env=prod aws:cloudformation:stack-name=core
)";

Names pick(const Inventory& inv, std::vector<std::string> targets, std::vector<std::string> excludes = {},
           const std::string& in = "") {
  std::istringstream stream(in);
  Names out;
  for (const Host* h : select_hosts(inv, TargetSpec{std::move(targets), std::move(excludes)}, &stream))
    out.push_back(h->name);
  return out;
}

InputError pick_error(const Inventory& inv, const std::string& target) {
  try {
    pick(inv, {target});
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError for " << target);
  return InputError("unreachable");
}

Inventory sample_fleet() { return Inventory::parse(k_ini, "fleet.ini"); }

} // namespace

TEST_CASE("SSM forms keep their meaning") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"web01,db1"}) == Names{"web01", "db1"});
  CHECK(pick(inv, {"web0*"}) == Names{"web01", "web02", "web03", "web04"});
  CHECK(pick(inv, {"tag:Env=stage"}) == Names{"web03", "web04", "db2"});
  CHECK(pick(inv, {"tag:Role=db,web"}) == Names{"web01", "web02", "web03", "web04", "db1", "db2"});
  CHECK(pick(inv, {"tag-key:Role"}).size() == 6);
  CHECK(pick(inv, {"tag-key:aws:cloudformation:stack-name"}) == Names{"mail.example.com"});
  CHECK(pick(inv, {"tag:aws:cloudformation:stack-name=core"}) == Names{"mail.example.com"});
  CHECK(pick(inv, {"group:db"}) == Names{"db1", "db2", "both"});
  CHECK(pick(inv, {"Key=tag:Env,Values=stage"}) == Names{"web03", "web04", "db2"});
  CHECK(pick(inv, {"Key=tag-key,Values=Role"}).size() == 6);
  CHECK(pick(inv, {"Key=InstanceIds,Values=db1,web0*"}) == Names{"web01", "web02", "web03", "web04", "db1"});
  CHECK(pick(inv, {"Key=InstanceIds,Values=*"}).size() == 8);
  CHECK(pick(inv, {"Key=resource-groups:Name,Values=both"}) == Names{"web03"});
  CHECK(pick(inv, {"all"}).size() == 8);
  CHECK(pick(inv, {"*"}).size() == 8);
  CHECK(pick(inv, {"-"}, {}, "db2\n# comment\n\nweb01\n") == Names{"web01", "db2"});
  CHECK(pick(inv, {"tag:Env=prod", "group:web"}) == Names{"web01", "web02"});  // several -t are AND'd
  CHECK(pick(inv, {"group:prod"}, {"tag:Env=stage", "db1"}) == Names{"web01", "web02", "both"});
}

TEST_CASE("Ansible operators: unions first, then intersections, then exclusions") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"web:db"}) == pick(inv, {"web,db"}));
  CHECK(pick(inv, {"web:&both"}) == Names{"web03"});  // after &, 'both' is the group
  CHECK(pick(inv, {"prod:!web"}) == Names{"db1", "db2", "both"});
  // Written order does not matter: '!db' applies after 'web' is added.
  CHECK(pick(inv, {"!db:web:&prod"}) == Names{"web01", "web02", "web03", "web04"});
  CHECK(pick(inv, {"prod:&web:!web01,!web02"}) == Names{"web03", "web04"});
  CHECK(pick(inv, {"!prod"}) == Names{"mail.example.com"});  // only ! terms start from all
  CHECK(pick(inv, {"&db"}) == Names{"db1", "db2", "both"});
  CHECK(pick(inv, {"web:&tag:Env=prod"}) == Names{"web01", "web02"});
  CHECK(pick(inv, {"db2,tag:Env=stage,prod"}).size() == 8);  // tag values run to the end
  CHECK(pick(inv, {"web:!tag:Env=stage:&prod"}) == Names{"web01", "web02"});
  CHECK(pick(inv, {"group:web:!web01"}) == Names{"web02", "web03", "web04"});
}

TEST_CASE("a bare word that is both a host and a group: the host in a union, the group after & or !") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"both"}) == Names{"both"});
  CHECK(pick(inv, {"web:!both"}) == Names{"web01", "web02", "web04"});
  CHECK(pick(inv, {"group:both"}) == Names{"web03"});
  CHECK(pick(inv, {"@both"}) == Names{"web03"});
}

TEST_CASE("globs name groups and hosts; names with a dot also match hosts") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"d*"}) == Names{"db1", "db2", "both"});  // group db (with 'both') and hosts db1, db2
  CHECK(pick(inv, {"pro?"}).size() == 7);
  CHECK(pick(inv, {"*.example.com"}) == Names{"mail.example.com"});
  CHECK(pick(inv, {"mail.example.com"}) == Names{"mail.example.com"});
  CHECK(pick(inv, {"misc"}) == Names{"mail.example.com"});
}

TEST_CASE("~regex matches group and host names from their start") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"~db"}) == Names{"db1", "db2", "both"});
  CHECK(pick(inv, {"~web0[12]"}) == Names{"web01", "web02"});
  CHECK(pick(inv, {"~(web|db)[0-9]{1,2}$:!web01"}) == Names{"web02", "web03", "web04", "db1", "db2"});
  CHECK(pick(inv, {"~.*example"}) == Names{"mail.example.com"});
  auto e = pick_error(inv, "~web(");
  CHECK(std::string(e.what()).find("not a valid regular expression") != std::string::npos);
}

TEST_CASE("Ansible subscripts on groups and globs") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"web[0]"}) == Names{"web01"});
  CHECK(pick(inv, {"web[-1]"}) == Names{"web04"});
  CHECK(pick(inv, {"web[1:2]"}) == Names{"web02", "web03"});
  CHECK(pick(inv, {"web[02-03]"}) == Names{"web02", "web03"});  // a dash makes a node set
  CHECK(pick(inv, {"web[2:]"}) == Names{"web03", "web04"});
  CHECK(pick(inv, {"prod[4:5]"}) == Names{"db1", "db2"});  // own hosts, then children in order
  CHECK(pick(inv, {"web0*[0]"}) == Names{"web01"});
  auto e = pick_error(inv, "web[9]");
  CHECK(std::string(e.what()).find("outside the 4 hosts") != std::string::npos);
}

TEST_CASE("ClusterShell node sets and @group") {
  auto inv = sample_fleet();
  CHECK(pick(inv, {"web[01-03]"}) == Names{"web01", "web02", "web03"});
  CHECK(pick(inv, {"web[01,04]"}) == Names{"web01", "web04"});
  CHECK(pick(inv, {"db[1-2]:web[02-03]"}) == Names{"web02", "web03", "db1", "db2"});
  CHECK(pick(inv, {"@web:!web[01-02]"}) == Names{"web03", "web04"});
  CHECK(pick(inv, {"@*"}).size() == 8);
  CHECK(pick(inv, {"all"}, {"web[02-04]"}) == Names{"web01", "db1", "db2", "both", "mail.example.com"});
  auto e = pick_error(inv, "web[01-05]");
  CHECK(std::string(e.what()).find("unknown host or group 'web05' (from node set 'web[01-05]')") != std::string::npos);
  CHECK(e.suggestion() == "web01");
}

TEST_CASE("errors: unknown names with suggestions, empty selections, malformed terms") {
  auto inv = sample_fleet();
  auto e = pick_error(inv, "web:&prdo");
  CHECK(std::string(e.what()).find("unknown host or group 'prdo'") != std::string::npos);
  CHECK(e.suggestion() == "prod");
  CHECK(pick_error(inv, "wbe01").suggestion() == "web01");
  CHECK(pick_error(inv, "group:wbe").suggestion() == "web");
  CHECK(pick_error(inv, "@dbb").suggestion() == "db");
  e = pick_error(inv, "web:&db");
  CHECK(std::string(e.what()).find("no host matches web:&db") != std::string::npos);
  CHECK_THROWS_WITH_AS(pick(inv, {"zz*"}), doctest::Contains("no host matches"), InputError);
  CHECK_THROWS_WITH_AS(pick(inv, {"web:&"}), doctest::Contains("nothing after it"), InputError);
  CHECK_THROWS_WITH_AS(pick(inv, {" "}), doctest::Contains("empty target"), InputError);
  CHECK_THROWS_WITH_AS(pick(inv, {"tag:Env"}), doctest::Contains("needs a key and values"), InputError);
  CHECK_THROWS_WITH_AS(pick(inv, {"-"}, {}, "ghost\n"), doctest::Contains("(from stdin)"), InputError);
  CHECK_THROWS_WITH_AS(pick(inv, {"Key=tags:Env,Values=a"}), doctest::Contains("unknown target key"), InputError);
}

TEST_CASE("a whole expression that is a host's name is that host, colons and all") {
  Inventory inv = Inventory::parse("hosts:\n  'db:5432':\n  web:\n", "inv.yaml");
  CHECK(pick(inv, {"db:5432"}) == Names{"db:5432"});
  CHECK(pick(inv, {"web"}) == Names{"web"});
}

TEST_CASE("native groups with match queries evaluate once over the inventory") {
  Inventory inv = Inventory::parse(R"(hosts:
  a: {tags: {Env: prod}}
  b: {tags: {Env: stage}}
  c: {tags: {Env: prod}}
groups:
  prod:
    match: tag:Env=prod
)",
                                   "inv.yaml");
  CHECK(pick(inv, {"prod"}) == Names{"a", "c"});
  CHECK(pick(inv, {"prod[1]"}) == Names{"c"});
  CHECK(host_matches(inv, *inv.find("a"), "tag:Env=prod"));
  CHECK_FALSE(host_matches(inv, *inv.find("b"), "tag:Env=prod"));
  CHECK(match_hosts(inv, "tag:Env=none").empty());
}
