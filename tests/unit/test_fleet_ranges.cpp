#include "fleet/ranges.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::fleet;

using Names = std::vector<std::string>;

TEST_CASE("Ansible ranges: numeric with padding, letters, steps, several at once") {
  CHECK(expand_ansible_range("www[01:03].example.com") ==
        Names{"www01.example.com", "www02.example.com", "www03.example.com"});
  CHECK(expand_ansible_range("db-[a:c]") == Names{"db-a", "db-b", "db-c"});
  CHECK(expand_ansible_range("n[1:10:3]") == Names{"n1", "n4", "n7", "n10"});
  CHECK(expand_ansible_range("n[:2]") == Names{"n0", "n1", "n2"});
  CHECK(expand_ansible_range("r[1:2]-[a:b]") == Names{"r1-a", "r1-b", "r2-a", "r2-b"});
  CHECK(expand_ansible_range("x[y:B]") == Names{"xy", "xz", "xA", "xB"});  // a-z then A-Z
  CHECK(expand_ansible_range("plain.example.com") == Names{"plain.example.com"});
  CHECK(expand_ansible_range("n[5:1]").empty());  // as Ansible: an empty range, no error
}

TEST_CASE("Ansible ranges: malformed ones are errors") {
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[01:5]"), doctest::Contains("equal length"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[1]"), doctest::Contains("[begin:end]"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[1:]"), doctest::Contains("no end value"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[c:a]"), doctest::Contains("begin <= end"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[1:3:0]"), doctest::Contains("positive"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[1:3"), doctest::Contains("no closing"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[1:x]"), doctest::Contains("not a number"), InputError);
  CHECK_THROWS_WITH_AS(expand_ansible_range("n[0:99999999]"), doctest::Contains("more than"), InputError);
}

TEST_CASE("host:port splits as Ansible's parse_address") {
  auto hp = split_host_port("gw:2222");
  CHECK(hp.host == "gw");
  CHECK(hp.port == 2222);
  hp = split_host_port("www[01:03].example.com:22");
  CHECK(hp.host == "www[01:03].example.com");
  CHECK(hp.port == 22);
  hp = split_host_port("[2001:db8::1]:2200");
  CHECK(hp.host == "2001:db8::1");
  CHECK(hp.port == 2200);
  hp = split_host_port("10.0.0.1:2201");
  CHECK(hp.host == "10.0.0.1");
  CHECK(hp.port == 2201);
  hp = split_host_port("2001:db8::1");  // a bare IPv6 address has no port
  CHECK(hp.host == "2001:db8::1");
  CHECK(hp.port == 0);
  hp = split_host_port("web[1:3]");
  CHECK(hp.host == "web[1:3]");
  CHECK(hp.port == 0);
  hp = split_host_port("bad_:22");  // not a host name: kept whole, as Ansible does
  CHECK(hp.host == "bad_:22");
  CHECK(hp.port == 0);
}

TEST_CASE("ClusterShell node sets") {
  CHECK(is_nodeset("web[01-03]"));
  CHECK(is_nodeset("web[1,3-4]"));
  CHECK_FALSE(is_nodeset("web[a-c]"));
  CHECK_FALSE(is_nodeset("web*[1-3]"));
  CHECK_FALSE(is_nodeset("web"));
  CHECK_FALSE(is_nodeset("web[1:3]"));
  CHECK(expand_nodeset("web[01-03]") == Names{"web01", "web02", "web03"});
  CHECK(expand_nodeset("web[01-02,10]") == Names{"web01", "web02", "web10"});
  CHECK(expand_nodeset("n[8-11]") == Names{"n8", "n9", "n10", "n11"});
  CHECK(expand_nodeset("n[1-9/4]") == Names{"n1", "n5", "n9"});
  CHECK(expand_nodeset("r[1-2]-n[1-2].x") == Names{"r1-n1.x", "r1-n2.x", "r2-n1.x", "r2-n2.x"});
  CHECK_THROWS_WITH_AS(expand_nodeset("n[5-1]"), doctest::Contains("backwards"), InputError);
  CHECK_THROWS_WITH_AS(expand_nodeset("n[1-2000000]"), doctest::Contains("more than"), InputError);
}

TEST_CASE("fold_nodeset folds names as clush and dshbak -c show them") {
  CHECK(fold_nodeset({"host002", "host004", "host005", "host006"}) == "host[002,004-006]");
  CHECK(fold_nodeset({"web-001", "web-002"}) == "web-[001-002]");
  CHECK(fold_nodeset({"web-003"}) == "web-003");
  // Unpadded numbers fold together; padded ones only with the same width.
  CHECK(fold_nodeset({"n1", "n10", "n2", "n9"}) == "n[1-2,9-10]");
  CHECK(fold_nodeset({"n01", "n1"}) == "n01,n1");
  // The last number folds; the rest of the name must match.
  CHECK(fold_nodeset({"rack1-n1", "rack1-n2", "rack2-n1"}) == "rack1-n[1-2],rack2-n1");
  CHECK(fold_nodeset({"db.lan", "web1.lan", "web2.lan"}) == "db.lan,web[1-2].lan");
  CHECK(fold_nodeset({"a5", "a5"}) == "a5");
  CHECK(fold_nodeset({}).empty());
  // Folding then expanding gives the names back.
  std::vector<std::string> names = {"node007", "node008", "node009", "node011"};
  CHECK(expand_nodeset(fold_nodeset(names)) == names);
}
