#include "params/backend.hpp"
#include "params/crypto.hpp"
#include "temp_dir.hpp"
#include "params_error.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fstream>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace sshm;
using namespace sshm::params;

namespace {

class FakeClock final : public Clock {
public:
  SystemTime t = parse_iso8601("2030-01-01T00:00:00Z");
  SystemTime now() const override { return t; }
  SteadyTime steady_now() const override { return SteadyTime{}; }
  void sleep_until(SystemTime) const override {}
};

// A store in a temporary directory, on a clock the test moves.
struct Fixture {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<LocalBackend> store = open();
  std::unique_ptr<LocalBackend> open() { return open_local(dir.path / "params.db", dir.path / "params.key", clock); }
  std::filesystem::path db() const { return dir.path / "params.db"; }
  std::filesystem::path key_file() const { return dir.path / "params.key"; }

  Version put(const std::string& name, const std::string& value, const std::string& type = "String",
              bool overwrite = false) {
    PutRequest r;
    r.name = name;
    r.value = value;
    r.type = type;
    r.overwrite = overwrite;
    return store->put(r);
  }
};

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> names_of(const std::vector<Version>& list) {
  std::vector<std::string> out;
  for (const auto& v : list) out.push_back(v.name);
  return out;
}

} // namespace

TEST_CASE("params store: put, get, overwrite makes versions") {
  Fixture f;
  CHECK(f.put("/app/url", "https://a").version == 1);
  CHECK(f.store->get("/app/url", false).value == "https://a");
  CHECK(params_error_code([&] { f.put("/app/url", "https://b"); }) == "ParameterAlreadyExists");
  Version v2 = f.put("/app/url", "https://b", "String", true);
  CHECK(v2.version == 2);
  CHECK(v2.tier == "Standard");
  CHECK(f.store->get("/app/url", false).value == "https://b");
  CHECK(f.store->get("/app/url:1", false).value == "https://a");
  CHECK(f.store->get("/app/url:1", false).selector == ":1");
  CHECK(params_error_code([&] { f.store->get("/app/url:7", false); }) == "ParameterVersionNotFound");
  CHECK(params_error_code([&] { f.store->get("/app/nothing", false); }) == "ParameterNotFound");
  struct stat st {};
  REQUIRE(::stat(f.db().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("params store: /a and a are one parameter") {
  Fixture f;
  f.put("a", "1");
  CHECK(params_error_code([&] { f.put("/a", "2"); }) == "ParameterAlreadyExists");
  CHECK(f.store->get("/a", false).value == "1");
  CHECK(f.store->get("/a", false).name == "a");
}

TEST_CASE("params store: a put keeps what it does not change and enforces the rules") {
  Fixture f;
  PutRequest r;
  r.name = "/n";
  r.value = "42";
  r.type = "String";
  r.allowed_pattern = "^\\d+$";
  r.description = "answer";
  f.store->put(r);
  PutRequest again;
  again.name = "/n";
  again.value = "x";
  again.overwrite = true;
  CHECK(params_error_code([&] { f.store->put(again); }) == "ParameterPatternMismatchException");
  again.value = "43";
  CHECK(f.store->put(again).version == 2);
  auto h = f.store->history("/n", false);
  REQUIRE(h.size() == 2);
  CHECK(h[1].description == "answer");
  CHECK(h[1].type == "String");
  again.type = "SecureString";
  CHECK(params_error_code([&] { f.store->put(again); }) == "HierarchyTypeMismatchException");
  PutRequest fresh;
  fresh.name = "/no/type";
  fresh.value = "v";
  CHECK(params_error_code([&] { f.store->put(fresh); }) == "ValidationException");
  fresh.type = "Text";
  CHECK(params_error_code([&] { f.store->put(fresh); }) == "UnsupportedParameterType");
  CHECK(params_error_code([&] { f.put("/aws/mine", "v"); }) == "ValidationException");
}

TEST_CASE("params store: tiers decide the value size; advanced can't go back") {
  Fixture f;
  CHECK(params_error_code([&] { f.put("/big", std::string(5000, 'x')); }) == "ValidationException");
  PutRequest r;
  r.name = "/big";
  r.value = std::string(5000, 'x');
  r.type = "String";
  r.tier = "Advanced";
  CHECK(f.store->put(r).tier == "Advanced");
  r.tier = "Standard";
  r.overwrite = true;
  r.value = "small";
  CHECK(params_error_code([&] { f.store->put(r); }) == "ValidationException");
  r.tier.reset();
  CHECK(f.store->put(r).tier == "Advanced");
}

TEST_CASE("params store: at most 100 versions; the oldest goes unless it has a label") {
  Fixture f;
  for (int i = 1; i <= 100; ++i) f.put("/v", std::to_string(i), "String", i > 1);
  CHECK(f.put("/v", "101", "String", true).version == 101);
  auto h = f.store->history("/v", false);
  CHECK(h.size() == 100);
  CHECK(h.front().version == 2);
  CHECK(params_error_code([&] { f.store->get("/v:1", false); }) == "ParameterVersionNotFound");
  f.store->label("/v", 2, {"keep"});
  CHECK(params_error_code([&] { f.put("/v", "102", "String", true); }) == "ParameterMaxVersionLimitExceeded");
  f.store->label("/v", 50, {"keep"});  // moving the label frees version 2
  CHECK(f.put("/v", "102", "String", true).version == 102);
}

TEST_CASE("params store: labels move, are limited to 10 a version, and invalid ones come back") {
  Fixture f;
  f.put("/l", "one");
  f.put("/l", "two", "String", true);
  LabelResult r = f.store->label("/l", 1, {"prod", "1bad", "aws-x", "stable"});
  CHECK(r.version == 1);
  CHECK(r.invalid_labels == std::vector<std::string>{"1bad", "aws-x"});
  CHECK(f.store->get("/l:prod", false).value == "one");
  CHECK(f.store->get("/l:prod", false).selector == ":prod");
  CHECK(f.store->label("/l", std::nullopt, {"prod"}).version == 2);  // latest by default; the label moves
  CHECK(f.store->get("/l:prod", false).value == "two");
  auto h = f.store->history("/l", false);
  CHECK(h[0].labels == std::vector<std::string>{"stable"});
  CHECK(h[1].labels == std::vector<std::string>{"prod"});
  CHECK(params_error_code([&] { f.store->get("/l:nolabel", false); }) == "ParameterVersionNotFound");
  CHECK(params_error_code([&] { f.store->label("/l", 9, {"x"}); }) == "ParameterVersionNotFound");
  CHECK(params_error_code([&] { f.store->label("/none", 1, {"x"}); }) == "ParameterNotFound");
  std::vector<std::string> many;
  for (int i = 0; i < 10; ++i) many.push_back(fmt::format("l{}", i));
  CHECK(params_error_code([&] { f.store->label("/l", 1, many); }) == "ParameterVersionLabelLimitExceeded");
  UnlabelResult u = f.store->unlabel("/l", 2, {"prod", "stable"});
  CHECK(u.removed == std::vector<std::string>{"prod"});
  CHECK(u.invalid == std::vector<std::string>{"stable"});
  CHECK(params_error_code([&] { f.store->get("/l:prod", false); }) == "ParameterVersionNotFound");
}

TEST_CASE("params store: get_many reports unknown names and versions in InvalidParameters") {
  Fixture f;
  f.put("/a", "1");
  f.put("/b", "x,y", "StringList");
  GetManyResult r = f.store->get_many({"/a", "/b", "/c", "/a:9"}, false);
  CHECK(names_of(r.parameters) == std::vector<std::string>{"/a", "/b"});
  CHECK(r.invalid == std::vector<std::string>{"/c", "/a:9"});
  std::vector<std::string> eleven(11, "/a");
  CHECK(params_error_code([&] { f.store->get_many(eleven, false); }) == "ValidationException");
}

TEST_CASE("params store: by path, one level or recursive, with filters") {
  Fixture f;
  f.put("/app/db/host", "h");
  f.put("/app/db/pass", "p", "SecureString");
  f.put("/app/name", "n");
  f.put("/other/x", "o");
  f.put("top", "t");
  CHECK(names_of(f.store->by_path("/app", false, {}, false)) == std::vector<std::string>{"/app/name"});
  CHECK(names_of(f.store->by_path("/app/", true, {}, false)) ==
        std::vector<std::string>{"/app/db/host", "/app/db/pass", "/app/name"});
  CHECK(names_of(f.store->by_path("/", false, {}, false)) == std::vector<std::string>{"top"});
  CHECK(f.store->by_path("/", true, {}, false).size() == 5);
  CHECK(names_of(f.store->by_path("/app", true, {{"Type", "Equals", {"SecureString"}}}, false)) ==
        std::vector<std::string>{"/app/db/pass"});
  f.put("/app/name", "n2", "String", true);
  f.store->label("/app/name", 1, {"old"});
  auto labelled = f.store->by_path("/app", true, {{"Label", "", {"old"}}}, false);
  REQUIRE(labelled.size() == 1);
  CHECK(labelled[0].value == "n");
  CHECK(params_error_code([&] { f.store->by_path("app", true, {}, false); }) == "ValidationException");
  CHECK(params_error_code([&] { f.store->by_path("/app", true, {{"Name", "", {"x"}}}, false); }) == "InvalidFilterKey");
}

TEST_CASE("params store: describe filters by name, type, path and tier") {
  Fixture f;
  f.put("/app/db/host", "h");
  f.put("/app/db/pass", "p", "SecureString");
  f.put("/web/x", "w");
  CHECK(f.store->describe({}).size() == 3);
  CHECK(names_of(f.store->describe({{"Name", "BeginsWith", {"/app/"}}})) ==
        std::vector<std::string>{"/app/db/host", "/app/db/pass"});
  CHECK(names_of(f.store->describe({{"Type", "", {"SecureString"}}})) == std::vector<std::string>{"/app/db/pass"});
  CHECK(names_of(f.store->describe({{"Path", "OneLevel", {"/web"}}})) == std::vector<std::string>{"/web/x"});
  CHECK(f.store->describe({{"Tier", "", {"Advanced"}}}).empty());
  CHECK(f.store->describe({})[1].key_id == "alias/aws/ssm");
  CHECK(params_error_code([&] { f.store->describe({{"Label", "", {"x"}}}); }) == "InvalidFilterKey");
}

TEST_CASE("params store: delete one and many") {
  Fixture f;
  f.put("/a", "1");
  f.put("/b", "2");
  f.store->label("/a", 1, {"x"});
  f.store->remove("/a");
  CHECK(params_error_code([&] { f.store->get("/a", false); }) == "ParameterNotFound");
  CHECK(params_error_code([&] { f.store->remove("/a"); }) == "ParameterNotFound");
  f.put("/a", "again");
  CHECK(f.store->get("/a", false).version == 1);
  CHECK(params_error_code([&] { f.store->get("/a:x", false); }) == "ParameterVersionNotFound");
  DeleteManyResult r = f.store->remove_many({"/a", "/b", "/c"});
  CHECK(r.deleted == std::vector<std::string>{"/a", "/b"});
  CHECK(r.invalid == std::vector<std::string>{"/c"});
}

TEST_CASE("params store: SecureString is sealed at rest and shown only when decrypted") {
  Fixture f;
  f.put("/db/password", "hunter2-very-secret", "SecureString");
  Version hidden = f.store->get("/db/password", false);
  CHECK(hidden.value != "hunter2-very-secret");
  CHECK(hidden.value.find("hunter2") == std::string::npos);
  CHECK(f.store->get("/db/password", true).value == "hunter2-very-secret");
  f.store.reset();
  CHECK(file_bytes(f.db()).find("hunter2-very-secret") == std::string::npos);
  CHECK(file_bytes(f.db().string() + "-wal").find("hunter2-very-secret") == std::string::npos);
  struct stat st {};
  REQUIRE(::stat(f.key_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("params store: a replaced key or an altered value fails with a clear message") {
  Fixture f;
  f.put("/s", "secret", "SecureString");
  f.store.reset();
  write_key_file(f.key_file(), generate_key());
  f.store = f.open();
  try {
    f.store->get("/s", true);
    FAIL("expected an error");
  } catch (const RuntimeError& e) {
    CHECK(std::string(e.what()).find("was encrypted with key") != std::string::npos);
  }
  CHECK(f.store->get("/s", false).value.size() > 0);  // the blob is still there without decryption

  Fixture g;
  g.put("/s", "secret", "SecureString");
  g.put("/t", "other", "SecureString");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(g.db().c_str(), &db) == SQLITE_OK);
  // Copy /t's sealed value over /s's: same key, wrong associated data.
  REQUIRE(sqlite3_exec(db, "UPDATE versions SET value = (SELECT value FROM versions WHERE key = 't') WHERE key = 's'",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  try {
    g.store->get("/s", true);
    FAIL("expected an error");
  } catch (const RuntimeError& e) {
    CHECK(std::string(e.what()).find("fails its authentication check") != std::string::npos);
  }
}

TEST_CASE("params store: rotate-key re-encrypts every version under a new key") {
  Fixture f;
  f.put("/s", "v1", "SecureString");
  f.put("/s", "v2", "SecureString", true);
  f.put("/plain", "p");
  std::string old_key = file_bytes(f.key_file());
  std::string old_blob = f.store->get("/s:1", false).value;
  CHECK(f.store->rotate_key() == 2);
  CHECK(file_bytes(f.key_file()) != old_key);
  CHECK(!std::filesystem::exists(f.key_file().string() + ".new"));
  CHECK(f.store->get("/s:1", false).value != old_blob);
  f.store = f.open();  // a new process reads the new key file
  CHECK(f.store->get("/s:1", true).value == "v1");
  CHECK(f.store->get("/s", true).value == "v2");
  struct stat st {};
  REQUIRE(::stat(f.key_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("params store: Expiration deletes on the next use; notifications come due") {
  Fixture f;
  PutRequest r;
  r.name = "/temp";
  r.value = "v";
  r.type = "String";
  r.policies = R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-10T00:00:00.000Z"}},
                   {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"2","Unit":"Days"}}])";
  CHECK(params_error_code([&] { f.store->put(r); }) == "ValidationException");  // policies need the advanced tier
  r.tier = "Advanced";
  f.store->put(r);
  PutRequest stale;
  stale.name = "/stale";
  stale.value = "v";
  stale.type = "String";
  stale.tier = "Advanced";
  stale.policies = R"([{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"3","Unit":"Days"}}])";
  f.store->put(stale);

  auto due = [&] {
    std::vector<std::string> out;
    for (const auto& n : f.store->check_policies())
      if (n.due) out.push_back(n.name + " " + n.type);
    return out;
  };
  CHECK(due().empty());
  CHECK(f.store->check_policies().size() == 3);
  f.clock.t = parse_iso8601("2030-01-08T12:00:00Z");
  CHECK(due() == std::vector<std::string>{"/stale NoChangeNotification", "/temp ExpirationNotification"});
  stale.overwrite = true;
  stale.policies.reset();
  f.store->put(stale);  // a change restarts NoChangeNotification's count
  CHECK(due() == std::vector<std::string>{"/temp ExpirationNotification"});
  CHECK(f.store->get("/temp", false).value == "v");
  f.clock.t = parse_iso8601("2030-01-10T00:00:01Z");
  CHECK(params_error_code([&] { f.store->get("/temp", false); }) == "ParameterNotFound");
  CHECK(f.store->describe({}).size() == 1);
}
