#include "ssh/config.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace sshm;
using namespace sshm::ssh;

namespace {

const LocalIdentity k_local{"alice", "/home/alice"};

Endpoint resolve(const std::string& text, const std::string& name, const Overrides& o = {},
                 const ResolveOptions& r = {}) {
  return SshConfig::parse(text, "config", k_local).resolve(name, o, r);
}

// A scratch home directory with a .ssh folder, removed at the end of the test.
struct TempHome {
  std::filesystem::path dir;
  TempHome() {
    char tmpl[] = "/tmp/sshm-unit-home.XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir / ".ssh" / "conf.d");
  }
  ~TempHome() { std::filesystem::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) const { std::ofstream(dir / rel) << text; }
};

} // namespace

TEST_CASE("defaults are those of ssh -G") {
  Endpoint e = resolve("", "web1");
  CHECK(e.name == "web1");
  CHECK(e.hostname == "web1");
  CHECK(e.port == 22);
  CHECK(e.user == "alice");
  CHECK(e.identity_files == std::vector<std::string>{"/home/alice/.ssh/id_rsa", "/home/alice/.ssh/id_ecdsa",
                                                     "/home/alice/.ssh/id_ecdsa_sk", "/home/alice/.ssh/id_ed25519",
                                                     "/home/alice/.ssh/id_ed25519_sk", "/home/alice/.ssh/id_xmss",
                                                     "/home/alice/.ssh/id_dsa"});
  CHECK(e.known_hosts_files ==
        std::vector<std::string>{"/home/alice/.ssh/known_hosts", "/home/alice/.ssh/known_hosts2"});
  CHECK(e.proxy_jump.empty());
  CHECK(e.host_key_policy == HostKeyPolicy::strict);
  CHECK(e.connect_timeout_s == 10);
  CHECK_FALSE(e.identities_only);
}

TEST_CASE("first obtained value wins, identity files accumulate") {
  const char* text = R"(
Host web*
  User deploy
  Port 2222
  IdentityFile ~/.ssh/web_key
Host *
  User nobody
  Port 22
  IdentityFile ~/.ssh/other
  HostName %h.example.com
)";
  Endpoint e = resolve(text, "web1");
  CHECK(e.user == "deploy");
  CHECK(e.port == 2222);
  CHECK(e.hostname == "web1.example.com");
  CHECK(e.identity_files == std::vector<std::string>{"/home/alice/.ssh/web_key", "/home/alice/.ssh/other"});
  Endpoint d = resolve(text, "db1");
  CHECK(d.user == "nobody");
  CHECK(d.port == 22);
}

TEST_CASE("Host patterns: several per line, ? and *, negation") {
  const char* text = R"(
Host db?  cache-*  !cache-old
  User data
Host *
  User rest
)";
  CHECK(resolve(text, "db1").user == "data");
  CHECK(resolve(text, "db12").user == "rest");
  CHECK(resolve(text, "cache-new").user == "data");
  CHECK(resolve(text, "cache-old").user == "rest");
  CHECK(resolve("Host !x\n User neg\n", "y").user == "alice");  // only a negation never matches
}

TEST_CASE("keyword=value, quotes, comments, case-insensitive keywords") {
  const char* text = "HOST a\n  port=2200\n  IdentityFile \"/keys/my key\" # trailing comment\n  user = \"bob\"\n";
  Endpoint e = resolve(text, "a");
  CHECK(e.port == 2200);
  CHECK(e.user == "bob");
  CHECK(e.identity_files == std::vector<std::string>{"/keys/my key"});
}

TEST_CASE("tokens in IdentityFile and UserKnownHostsFile") {
  const char* text = "Host h\n HostName real.example\n User deploy\n Port 2022\n"
                     " IdentityFile %d/keys/%u-%r@%h:%p-%n\n UserKnownHostsFile ~/kh1 /etc/kh2\n";
  Endpoint e = resolve(text, "h");
  CHECK(e.identity_files ==
        std::vector<std::string>{"/home/alice/keys/alice-deploy@real.example:2022-h"});
  CHECK(e.known_hosts_files == std::vector<std::string>{"/home/alice/kh1", "/etc/kh2"});
}

TEST_CASE("Match host, originalhost, user, localuser and exec apply as ssh -G applies them") {
  const char* text = "Match host foo exec true\n  User matched\nMatch all\n  Port 2300\nHost *\n  User fallback\n";
  Endpoint e = resolve(text, "foo");
  CHECK(e.user == "matched");
  CHECK(e.port == 2300);
  CHECK(resolve(text, "bar").user == "fallback");
  CHECK(resolve("Match host foo exec false\n  User matched\n", "foo").user == "alice");
  // `host` sees the HostName taken so far; `originalhost` the name as given.
  const char* renamed = "Host alias1\n  HostName real.example\nMatch host real.example\n  User byhost\n"
                        "Match originalhost alias1\n  Port 2201\n";
  CHECK(resolve(renamed, "alias1").user == "byhost");
  CHECK(resolve(renamed, "alias1").port == 2201);
  CHECK(resolve(renamed, "real.example").port == 22);
  // Pattern lists, negation of a pattern and of a criterion; host names fold case.
  CHECK(resolve("Match host WEB*,!web9\n  Port 1\n", "web1").port == 1);
  CHECK(resolve("Match host web*,!web9\n  Port 1\n", "web9").port == 22);
  CHECK(resolve("Match !host web*\n  Port 1\n", "db1").port == 1);
  // `user` is the remote user set so far (or given), `localuser` the local one.
  CHECK(resolve("Host h\n  User deploy\nMatch user deploy\n  Port 7\n", "h").port == 7);
  Overrides ops;
  ops.user = "ops";
  CHECK(resolve("Match user ops\n  Port 8\n", "h", ops).port == 8);
  CHECK(resolve("Match localuser alice\n  Port 9\n", "h").port == 9);
  CHECK(resolve("Match localuser bob\n  Port 9\n", "h").port == 22);
  // exec expands %h and %n before the shell runs it.
  CHECK(resolve("Match exec \"test %n = box\"\n  Port 10\n", "box").port == 10);
  CHECK(resolve("Match exec \"test %n = box\"\n  Port 10\n", "other").port == 22);
}

TEST_CASE("Match final and canonical apply in the final pass a Match final asks for") {
  const char* text = "Match canonical\n  User canon\nMatch final\n  Port 2022\nHost *\n  User early\n";
  Endpoint e = resolve(text, "h");
  CHECK(e.port == 2022);
  CHECK(e.user == "early");  // the first pass set User before canonical could
  CHECK(resolve("Match canonical\n  Port 5\n", "h").port == 22);  // no final pass asked for
  CHECK(resolve("Match !final\n  Port 6\n", "h").port == 6);
  CHECK_THROWS_AS(resolve("Match host\n  Port 1\n", "h"), InputError);
  CHECK_THROWS_AS(resolve("Match bogus x\n  Port 1\n", "h"), InputError);
}

TEST_CASE("defines_host names literal Host patterns only") {
  SshConfig c = SshConfig::parse("Host alias1 web-* !bad\n  User u\nMatch host x\n", "config", k_local);
  CHECK(c.defines_host("alias1"));
  CHECK_FALSE(c.defines_host("web-*"));
  CHECK_FALSE(c.defines_host("web-1"));
  CHECK_FALSE(c.defines_host("x"));
}

TEST_CASE("ProxyJump, none, and inventory overrides") {
  const char* text = "Host in*\n  ProxyJump bastion\nHost *\n  ProxyJump none\n";
  CHECK(resolve(text, "inner").proxy_jump == "bastion");
  CHECK(resolve(text, "outer").proxy_jump.empty());
  Overrides o;
  o.hostname = "10.0.0.5";
  o.port = 2200;
  o.user = "ops";
  o.identity_file = "/keys/inv";
  o.proxy_jump = "none";
  Endpoint e = resolve("Host inner\n HostName cfg\n User cfg\n IdentityFile /keys/cfg\n ProxyJump b\n", "inner", o);
  CHECK(e.hostname == "10.0.0.5");
  CHECK(e.port == 2200);
  CHECK(e.user == "ops");
  CHECK(e.identity_files == std::vector<std::string>{"/keys/inv"});
  CHECK(e.proxy_jump.empty());
}

TEST_CASE("host key policy: flag wins, accept-new from config, no/off never weaken") {
  CHECK(resolve("StrictHostKeyChecking no\n", "h").host_key_policy == HostKeyPolicy::strict);
  CHECK(resolve("StrictHostKeyChecking off\n", "h").host_key_policy == HostKeyPolicy::strict);
  CHECK(resolve("StrictHostKeyChecking accept-new\n", "h").host_key_policy == HostKeyPolicy::accept_new);
  ResolveOptions r;
  r.host_key_policy = HostKeyPolicy::off;
  CHECK(resolve("StrictHostKeyChecking accept-new\n", "h", {}, r).host_key_policy == HostKeyPolicy::off);
}

TEST_CASE("connect timeout: inventory > flag > config > 10") {
  const char* text = "ConnectTimeout 7\n";
  CHECK(resolve(text, "h").connect_timeout_s == 7);
  ResolveOptions r;
  r.connect_timeout = 3;
  CHECK(resolve(text, "h", {}, r).connect_timeout_s == 3);
  Overrides o;
  o.connect_timeout = 20;
  CHECK(resolve(text, "h", o, r).connect_timeout_s == 20);
}

TEST_CASE("bad values name the file, line and column") {
  try {
    SshConfig::parse("Host a\n  Port nope\n", "my_config", k_local);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.formatted() == "my_config:2:3: Port wants a number from 1 to 65535, not 'nope'");
  }
  CHECK_THROWS_AS(SshConfig::parse("StrictHostKeyChecking maybe\n", "c", k_local), InputError);
  CHECK_THROWS_AS(SshConfig::parse("IdentitiesOnly perhaps\n", "c", k_local), InputError);
  CHECK_THROWS_AS(SshConfig::load("/nonexistent/sshm/config"), InputError);
}

TEST_CASE("Include: relative to ~/.ssh, globbed, gated by the enclosing Host") {
  TempHome home;
  LocalIdentity local{"alice", home.dir.string()};
  home.write(".ssh/conf.d/10-web", "Host web1\n  User from-include\n  Port 2201\n");
  home.write(".ssh/conf.d/20-db", "Host db1\n  User db-include\n");
  home.write(".ssh/only-x", "User inside-x\n");
  const char* text = "Include conf.d/*\nHost x\n  Include only-x\nHost *\n  User last\n";
  SshConfig c = SshConfig::parse(text, "config", local);
  CHECK(c.resolve("web1", {}, {}).user == "from-include");
  CHECK(c.resolve("web1", {}, {}).port == 2201);
  CHECK(c.resolve("db1", {}, {}).user == "db-include");
  CHECK(c.resolve("x", {}, {}).user == "inside-x");
  CHECK(c.resolve("y", {}, {}).user == "last");
  CHECK(c.files().size() == 4);
}

TEST_CASE("KexAlgorithms and HostKeyAlgorithms: first value wins, unset means libssh's defaults") {
  auto ep = resolve("Host web\n  KexAlgorithms curve25519-sha256\nHost *\n  KexAlgorithms ecdh-sha2-nistp256\n"
                    "  HostKeyAlgorithms ssh-ed25519,rsa-sha2-512\n",
                    "web");
  CHECK(ep.kex_algorithms == "curve25519-sha256");
  CHECK(ep.host_key_algorithms == "ssh-ed25519,rsa-sha2-512");
  auto plain = resolve("Host other\n  KexAlgorithms curve25519-sha256\n", "web");
  CHECK(plain.kex_algorithms.empty());
  CHECK(plain.host_key_algorithms.empty());
  CHECK_THROWS_AS(resolve("KexAlgorithms\n", "web"), InputError);
}
