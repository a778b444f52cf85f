#include "documents/document.hpp"
#include "params/resolver.hpp"
#include "temp_dir.hpp"
#include "params_error.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

using namespace sshm;
using namespace sshm::params;

namespace {

void put(Backend& b, const std::string& name, const std::string& value, const std::string& type,
         bool overwrite = false) {
  PutRequest r;
  r.name = name;
  r.value = value;
  r.type = type;
  r.overwrite = overwrite;
  b.put(r);
}

} // namespace

TEST_CASE("params resolver: {{ssm:name}}, :version and :label from the store") {
  TempDir dir;
  std::shared_ptr<Backend> store =
      open_local(dir.path / "params.db", dir.path / "params.key", SystemClock::instance());
  put(*store, "/app/greeting", "hello", "String");
  put(*store, "/app/greeting", "hi", "String", true);
  store->label("/app/greeting", 1, {"first"});
  put(*store, "/app/cmds", "ls,echo a", "StringList");
  put(*store, "/app/secret", "pw", "SecureString");
  SsmLookup ssm = make_ssm_resolver(store);

  CHECK(ssm("/app/greeting", false) == "hi");
  CHECK(ssm("/app/greeting:1", false) == "hello");
  CHECK(ssm("/app/greeting:first", false) == "hello");
  CHECK(ssm("/app/cmds", true) == nlohmann::json::array({"ls", "echo a"}));
  CHECK(ssm("/app/cmds", false) == "ls,echo a");
  CHECK(params_error_code([&] { ssm("/app/missing", false); }) == "ParameterNotFound");
  CHECK(params_error_code([&] { ssm("/app/greeting:5", false); }) == "ParameterVersionNotFound");
  CHECK(params_error_code([&] { ssm("/app/secret", false); }) == "UnsupportedParameterType");

  // Through the documents' own traversal: whole strings take the list, embedded ones the text.
  nlohmann::json inputs = {{"runCommand", "{{ssm:/app/cmds}}"}, {"say", "echo {{ ssm:/app/greeting:first }}"}};
  nlohmann::json out = documents::resolve_ssm_references(inputs, ssm);
  CHECK(out["runCommand"] == nlohmann::json::array({"ls", "echo a"}));
  CHECK(out["say"] == "echo hello");
}

TEST_CASE("params resolver: the local store opens only when a reference needs it") {
  TempDir dir;
  SsmLookup ssm = make_local_ssm_resolver(dir.path / "state" / "params.db", dir.path / "params.key");
  CHECK(!std::filesystem::exists(dir.path / "state" / "params.db"));
  CHECK(params_error_code([&] { ssm("/nothing", false); }) == "ParameterNotFound");
  CHECK(std::filesystem::exists(dir.path / "state" / "params.db"));
}

TEST_CASE("params resolver: {{ssm-secure:name}} gives the decrypted SecureString, and only a SecureString") {
  TempDir dir;
  std::shared_ptr<Backend> store =
      open_local(dir.path / "params.db", dir.path / "params.key", SystemClock::instance());
  put(*store, "/app/db-password", "Hunter2!", "SecureString");
  put(*store, "/app/db-password", "Hunter3!", "SecureString", true);
  put(*store, "/app/port", "5432", "String");
  CHECK(resolve_secure_reference(*store, "/app/db-password") == "Hunter3!");
  CHECK(resolve_secure_reference(*store, "/app/db-password:1") == "Hunter2!");
  CHECK(params_error_code([&] { resolve_secure_reference(*store, "/app/port"); }) == "UnsupportedParameterType");
  CHECK(params_error_code([&] { resolve_secure_reference(*store, "/app/missing"); }) == "ParameterNotFound");
  CHECK(params_error_code([&] { resolve_secure_reference(*store, "/app/db-password:7"); }) == "ParameterVersionNotFound");
  // The local resolver opens the store on first use and decrypts with the same key file.
  SecureLookup lookup = make_local_secure_resolver(dir.path / "params.db", dir.path / "params.key");
  CHECK(lookup("/app/db-password") == "Hunter3!");
  CHECK(params_error_code([&] { lookup("db-password"); }) == "ParameterNotFound");
}
