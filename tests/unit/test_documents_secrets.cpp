#include "documents/secrets.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::documents;
using json = nlohmann::json;

TEST_CASE("secret-looking parameter names") {
  CHECK(looks_secret("dbPassword"));
  CHECK(looks_secret("API_TOKEN"));
  CHECK(looks_secret("clientSecret"));
  CHECK(looks_secret("sshKey"));
  CHECK(looks_secret("credentials"));
  CHECK_FALSE(looks_secret("release"));
  CHECK_FALSE(looks_secret("commands"));
}

TEST_CASE("without a parameter store every reference is an error, never sent verbatim") {
  ParameterResolver none = no_parameter_store();
  SsmResolver ssm = ssm_resolver(none);
  CHECK_THROWS_WITH_AS(resolve_ssm_references("echo {{ssm:/app/db}}", ssm),
                       doctest::Contains("parameter store: parameter /app/db not found"), InputError);
  CHECK_THROWS_WITH_AS(resolve_secure_references(json::array({"x {{ssm-secure:db-password}} y"}), none),
                       doctest::Contains("parameter store: parameter db-password not found"), InputError);
  CHECK(resolve_secure_references(json::array({"no reference"}), none) == json::array({"no reference"}));
}

TEST_CASE("a parameter store plugs in through ParameterResolver") {
  ParameterResolver store = [](const std::string& name, bool secure) -> std::optional<json> {
    if (name == "db-password" && secure) return json("hunter2");
    if (name == "/app/host" && !secure) return json("db1");
    return std::nullopt;
  };
  CHECK(resolve_secure_references(json::object({{"cmd", "login {{ ssm-secure:db-password }}"}}), store) ==
        json::object({{"cmd", "login hunter2"}}));
  CHECK(resolve_ssm_references("ping {{ssm:/app/host}}", ssm_resolver(store)) == "ping db1");
  CHECK_THROWS_AS(resolve_ssm_references("{{ssm:db-password}}", ssm_resolver(store)), InputError);
}
