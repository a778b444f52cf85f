#include "fleet/ansible.hpp"
#include "fleet/inventory.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::fleet;
using nlohmann::json;

namespace {

const char* k_ini = R"(# A comment
lonely ansible_host=10.9.9.9
; another comment
[web]
www[01:02].example.com http_port=80
gw:2222 ansible_user=admin note="x y"   # trailing comment

[db]
db[1:7:3] ansible_ssh_host=192.168.0.1 ansible_host=10.0.0.1

[prod:children]
web
db

[prod:vars]
env=prod
shared=from_prod

[web:vars]
shared=from_web
ansible_user=webuser

[all:vars]
shared=from_all
base=1
)";

const char* k_yaml = R"(all:
  vars:
    level: all
  hosts:
    solo:
      ansible_host: 10.1.1.1
  children:
    web:
      hosts:
        www[01:02].example.com:
          enabled: yes
          octal: 017
      vars:
        level: web
    prod:
      children:
        web:
        db:
          hosts:
            db-[a:b]:
              ansible_port: "2202"
      vars:
        level: prod
        ansible_group_priority: 5
    zeta:
      hosts:
        db-a:
      vars:
        level: zeta
)";

InputError error_of(const std::string& text, const std::string& file = "inv") {
  try {
    Inventory::parse(text, file);
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError");
  return InputError("unreachable");
}

std::vector<std::string> groups_of(const Inventory& inv, const std::string& host) {
  const Host* h = inv.find(host);
  REQUIRE(h);
  return h->groups;
}

} // namespace

TEST_CASE("the format is detected from the content") {
  CHECK(Inventory::detect_format("[web]\nw1\n") == InventoryFormat::ansible_ini);
  CHECK(Inventory::detect_format("# hosts\n\n[web:children]\nw\n") == InventoryFormat::ansible_ini);
  CHECK(Inventory::detect_format("w1 ansible_host=10.0.0.1\nw2\n") == InventoryFormat::ansible_ini);
  CHECK(Inventory::detect_format("w1 note=\"a: b\"\n") == InventoryFormat::ansible_ini);
  CHECK(Inventory::detect_format("hosts:\n  a:\n") == InventoryFormat::native);
  CHECK(Inventory::detect_format("defaults:\n  user: x\ngroups:\n") == InventoryFormat::native);
  CHECK(Inventory::detect_format(k_yaml) == InventoryFormat::ansible_yaml);
  CHECK(Inventory::detect_format("web:\n  hosts:\n    w1:\n") == InventoryFormat::ansible_yaml);
  CHECK(Inventory::detect_format("host:\n  a:\n") == InventoryFormat::native);  // a typo of native 'hosts'
  CHECK(Inventory::detect_format("hosts:\n  - a\n  b: [\n") == InventoryFormat::native);  // bad YAML stays YAML
  CHECK(Inventory::detect_format("") == InventoryFormat::native);
}

TEST_CASE("INI: hosts, ranges, groups, children, all and ungrouped") {
  auto inv = Inventory::parse(k_ini, "hosts.ini");
  CHECK(inv.host_names() == std::vector<std::string>{"lonely", "www01.example.com", "www02.example.com", "gw", "db1",
                                                     "db4", "db7"});
  CHECK(groups_of(inv, "lonely") == std::vector<std::string>{"all", "ungrouped"});
  CHECK(groups_of(inv, "gw") == std::vector<std::string>{"all", "prod", "web"});
  CHECK(inv.groups().at("prod").children == std::vector<std::string>{"web", "db"});
  CHECK(inv.groups().count("ungrouped") == 1);
  CHECK(inv.source() == "hosts.ini");
}

TEST_CASE("INI: var precedence and connection settings") {
  auto inv = Inventory::parse(k_ini, "hosts.ini");
  const Host* gw = inv.find("gw");
  REQUIRE(gw);
  CHECK(*gw->connection.port == 2222);          // host:port
  CHECK(*gw->connection.user == "admin");       // host var over group var
  CHECK(gw->tags.at("shared") == "from_web");   // child group over parent over all
  CHECK(gw->tags.at("note") == "x y");
  CHECK(gw->tags.at("base") == "1");            // non-strings JSON-encoded
  CHECK(gw->vars.at("base") == json(1));
  CHECK(gw->tags.count("ansible_user") == 0);   // connection vars are not tags
  CHECK(gw->vars.at("ansible_port") == json(2222));
  const Host* www = inv.find("www01.example.com");
  CHECK(*www->connection.user == "webuser");
  CHECK_FALSE(www->connection.address.has_value());
  const Host* db = inv.find("db4");
  CHECK(*db->connection.address == "192.168.0.1");  // ansible_ssh_host wins over ansible_host
  CHECK(db->tags.at("shared") == "from_prod");
  CHECK(inv.find("lonely")->tags.at("shared") == "from_all");
}

TEST_CASE("INI values are Python literals, as Ansible reads them") {
  using ansible::python_value;
  CHECK(python_value("5") == json(5));
  CHECK(python_value("-5") == json(-5));
  CHECK(python_value("0x1F") == json(31));
  CHECK(python_value("0o17") == json(15));
  CHECK(python_value("1_000") == json(1000));
  CHECK(python_value("010") == json("010"));  // not a Python 3 literal
  CHECK(python_value("1.5") == json(1.5));
  CHECK(python_value("1e3") == json(1000.0));
  CHECK(python_value("True") == json(true));
  CHECK(python_value("true") == json("true"));
  CHECK(python_value("yes") == json("yes"));
  CHECK(python_value("None") == json(nullptr));
  CHECK(python_value("'1'") == json("1"));
  CHECK(python_value(R"("a\tb")") == json("a\tb"));
  CHECK(python_value("'a' 'b'") == json("ab"));
  CHECK(python_value("[1, 'a', [True]]") == json::parse(R"([1, "a", [true]])"));
  CHECK(python_value("(1,)") == json::parse("[1]"));
  CHECK(python_value("(1)") == json(1));
  CHECK(python_value("{'k': 1, 2: 'x'}") == json::parse(R"({"k": 1, "2": "x"})"));
  CHECK(python_value("{1, 2}") == json("{1, 2}"));
  CHECK(python_value("x y") == json("x y"));
  CHECK(python_value("") == json(""));
  CHECK(python_value("prod   # trailing") == json("prod   # trailing"));
  std::string deep(10000, '[');
  CHECK(python_value(deep) == json(deep));  // no stack overflow on hostile input
}

TEST_CASE("INI inline vars: quoting, literals, comments") {
  auto inv = Inventory::parse("h1 a=1 b=\"x y\" c='1' d=\"'1'\" e=True f=[1,2] g=a#comment\n", "i");
  const Host* h = inv.find("h1");
  REQUIRE(h);
  CHECK(h->vars.at("a") == json(1));
  CHECK(h->vars.at("b") == json("x y"));
  CHECK(h->vars.at("c") == json(1));  // shlex drops the quotes, then it is a literal
  CHECK(h->vars.at("d") == json("1"));
  CHECK(h->vars.at("e") == json(true));
  CHECK(h->vars.at("f") == json::parse("[1,2]"));
  CHECK(h->vars.at("g") == json("a"));
  CHECK(h->tags.at("f") == "[1,2]");
}

TEST_CASE("ansible_become maps to run_as; key files, timeouts and jump hosts to their settings") {
  auto inv = Inventory::parse(R"([a]
h1 ansible_become=yes ansible_become_user=app
h2 ansible_become=true
h3 ansible_become=false ansible_become_user=app
h4 ansible_become=True ansible_become_method=su
h5 ansible_ssh_private_key_file=/k ansible_ssh_timeout=7 ansible_ssh_common_args="-o ProxyJump=bastion"
h6 ansible_ssh_extra_args="-J jump@b:22"
)",
                              "i");
  CHECK(*inv.find("h1")->connection.run_as == "app");
  CHECK(*inv.find("h2")->connection.run_as == "root");
  CHECK_FALSE(inv.find("h3")->connection.run_as.has_value());
  CHECK_FALSE(inv.find("h4")->connection.run_as.has_value());
  const Host* h5 = inv.find("h5");
  CHECK(*h5->connection.identity_file == "/k");
  CHECK(*h5->connection.connect_timeout == 7);
  CHECK(*h5->connection.proxy_jump == "bastion");
  CHECK(h5->tags.count("ansible_ssh_common_args") == 1);  // not wholly understood: kept as a tag
  CHECK(*inv.find("h6")->connection.proxy_jump == "jump@b:22");
}

TEST_CASE("INI: a host in several groups keeps every group and the last value of each var") {
  auto inv = Inventory::parse("[a]\nh x=1 y=1\n[b]\nh x=2\n[ungrouped]\nh\n", "i");
  const Host* h = inv.find("h");
  CHECK(h->vars.at("x") == json(2));
  CHECK(h->vars.at("y") == json(1));
  CHECK(h->groups == std::vector<std::string>{"a", "all", "b"});  // no longer ungrouped
}

TEST_CASE("INI errors carry file:line:col and a suggestion") {
  auto e = error_of("[web]\nw1\n[prod:childern]\nweb\n", "h.ini");
  CHECK(e.where().line == 3);
  CHECK(e.suggestion() == "children");
  e = error_of("[web]\nw1\n[prod:children]\nwebb\n", "h.ini");
  CHECK(e.formatted() == "h.ini:4:1: [prod:children] names group 'webb', which no [webb] or [webb:children] section "
                         "declares (did you mean 'web'?)");
  e = error_of("[web]\nw1\n[wbe:vars]\nx=1\n", "h.ini");
  CHECK(e.where().line == 3);
  CHECK(e.suggestion() == "web");
  e = error_of("[web]\nw1   novalue\n", "h.ini");
  CHECK(e.where().line == 2);
  CHECK(e.where().column == 6);
  CHECK(std::string(e.what()).find("expected key=value") != std::string::npos);
  e = error_of("[web]\nw1 a=\"open\n", "h.ini");
  CHECK(std::string(e.what()).find("no closing") != std::string::npos);
  e = error_of("[web]\n  w[01:5]\n", "h.ini");
  CHECK(e.where().line == 2);
  CHECK(e.where().column == 3);
  e = error_of("[web]\nw1\n[web servers]\n", "h.ini");
  CHECK(e.where().line == 3);
  e = error_of("[web]\nw1\n[web:vars]\njust words\n", "h.ini");
  CHECK(e.where().line == 4);
  e = error_of("[a]\nh\n[a:children]\nb\n[b:children]\na\n", "h.ini");
  CHECK(std::string(e.what()).find("loop") != std::string::npos);
  e = error_of("[a]\nh ansible_port=http\n", "h.ini");
  CHECK(std::string(e.what()).find("ansible_port of host 'h'") != std::string::npos);
  e = error_of("[a]\nh:\n", "h.ini");
  CHECK(std::string(e.what()).find("ends in ':'") != std::string::npos);
}

TEST_CASE("YAML: groups, children, ranges, precedence with depth and priority") {
  auto inv = Inventory::parse(k_yaml, "inv.yml");
  CHECK(inv.host_names() == std::vector<std::string>{"solo", "www01.example.com", "www02.example.com", "db-a", "db-b"});
  CHECK(groups_of(inv, "solo") == std::vector<std::string>{"all", "ungrouped"});
  CHECK(groups_of(inv, "db-a") == std::vector<std::string>{"all", "db", "prod", "zeta"});
  const Host* www = inv.find("www01.example.com");
  CHECK(www->tags.at("level") == "web");  // web is deeper than prod (a child of it)
  CHECK(www->vars.at("enabled") == json(true));
  CHECK(www->vars.at("octal") == json(15));
  CHECK(inv.find("db-a")->tags.at("level") == "prod");  // priority 5 beats zeta's 1 at the same depth
  CHECK(*inv.find("db-a")->connection.port == 2202);
  CHECK(inv.find("db-a")->vars.at("ansible_port") == json("2202"));
  CHECK(inv.find("db-a")->vars.count("ansible_group_priority") == 0);
  CHECK(*inv.find("solo")->connection.address == "10.1.1.1");
}

TEST_CASE("YAML 1.1 scalars are typed as PyYAML types them") {
  auto value = [](const std::string& text) { return ansible::yaml_value(YAML::Load("v: " + text)["v"]); };
  CHECK(value("yes") == json(true));
  CHECK(value("Off") == json(false));
  CHECK(value("'yes'") == json("yes"));
  CHECK(value("017") == json(15));
  CHECK(value("0o17") == json("0o17"));
  CHECK(value("0x1F") == json(31));
  CHECK(value("1e3") == json("1e3"));
  CHECK(value("1.0e+3") == json(1000.0));
  CHECK(value("1:20") == json(80));
  CHECK(value("~") == json(nullptr));
  CHECK(value("09") == json("09"));
  CHECK(value("-12") == json(-12));
  CHECK(value("[1, two, {a: no}]") == json::parse(R"([1, "two", {"a": false}])"));
}

TEST_CASE("YAML: sections given as one name, hosts with ports") {
  auto inv = Inventory::parse("web:\n  hosts: w1\nall:\n  hosts:\n    'gw:2200':\n  children: web\n", "i.yml");
  CHECK(inv.host_names() == std::vector<std::string>{"w1", "gw"});
  CHECK(*inv.find("gw")->connection.port == 2200);
  CHECK(groups_of(inv, "w1") == std::vector<std::string>{"all", "web"});
}

TEST_CASE("YAML errors carry file:line:col and a suggestion") {
  auto e = error_of("all:\n  children:\n    web:\n      host:\n        w1:\n", "i.yml");
  CHECK(e.formatted() ==
        "i.yml:4:7: unknown key 'host' in group 'web' (allowed: hosts, children, vars) (did you mean 'hosts'?)");
  e = error_of("all:\n  children:\n    web: [a, b]\n", "i.yml");
  CHECK(e.where().line == 3);
  CHECK(std::string(e.what()).find("must be a mapping") != std::string::npos);
  e = error_of("plugin: aws_ec2\nregions: [x]\n", "i.yml");
  CHECK(std::string(e.what()).find("plugin configuration") != std::string::npos);
  e = error_of("all:\n  hosts:\n    w[1:x]:\n", "i.yml");
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 5);
  e = error_of("all:\n  children:\n    a:\n      children:\n        a:\n", "i.yml");
  CHECK(std::string(e.what()).find("its own child") != std::string::npos);
}

TEST_CASE("an explicit format overrides detection") {
  auto inv = Inventory::parse("hosts:\n  hosts:\n    h1:\n", "i.yml", InventoryFormat::ansible_yaml);
  CHECK(inv.host_names() == std::vector<std::string>{"h1"});
  CHECK(groups_of(inv, "h1") == std::vector<std::string>{"all", "hosts"});
}
