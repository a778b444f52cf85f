#include "aws/config.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

using namespace sshm::aws;

namespace {

struct Fixture {
  std::filesystem::path dir;
  std::map<std::string, std::string> vars;
  int imds_calls = 0;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("sshm-aws-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "credentials") << "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n"
                                          "[ops]\naws_access_key_id=AKIDOPS\naws_secret_access_key=ops-secret\n"
                                          "aws_session_token=ops-token\n";
    std::ofstream(dir / "config") << "[default]\nregion = eu-west-1\n"
                                     "[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = cfg-secret\n"
                                     "region = ap-south-1\nendpoint_url = http://minio:9000\n"
                                     "s3 =\n  addressing_style = path\n";
    vars["AWS_SHARED_CREDENTIALS_FILE"] = (dir / "credentials").string();
    vars["AWS_CONFIG_FILE"] = (dir / "config").string();
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  Env env() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
  ImdsFetch imds() {
    return [this](const Env&) -> std::optional<Credentials> {
      ++imds_calls;
      return Credentials{"AKIDIMDS", "imds-secret", "imds-token", "instance-metadata"};
    };
  }
  std::optional<Credentials> resolve(const AwsOptions& options = {}) {
    std::string why;
    return resolve_credentials(options, env(), imds(), why);
  }
};

} // namespace

TEST_CASE("environment beats profile beats instance metadata") {
  Fixture f;
  f.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  f.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  f.vars["AWS_SESSION_TOKEN"] = "env-token";
  auto c = f.resolve();
  REQUIRE(c);
  CHECK(c->access_key_id == "AKIDENV");
  CHECK(c->session_token == "env-token");
  CHECK(c->source == "environment");

  f.vars.erase("AWS_ACCESS_KEY_ID");
  c = f.resolve();
  REQUIRE(c);
  CHECK(c->access_key_id == "AKIDDEFAULT");
  CHECK(c->source == "shared-credentials-file");
  CHECK(f.imds_calls == 0);

  f.vars["AWS_SHARED_CREDENTIALS_FILE"] = (f.dir / "none").string();
  f.vars["AWS_CONFIG_FILE"] = (f.dir / "none").string();
  c = f.resolve();
  REQUIRE(c);
  CHECK(c->access_key_id == "AKIDIMDS");
  CHECK(c->session_token == "imds-token");
  CHECK(f.imds_calls == 1);
}

TEST_CASE("AWS_PROFILE picks the profile, with its session token; env keys still win over it") {
  Fixture f;
  f.vars["AWS_PROFILE"] = "ops";
  auto c = f.resolve();
  REQUIRE(c);
  CHECK(c->access_key_id == "AKIDOPS");
  CHECK(c->session_token == "ops-token");
  f.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  f.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  CHECK(f.resolve()->access_key_id == "AKIDENV");
}

TEST_CASE("--profile beats the environment, and reads the config file's [profile x]") {
  Fixture f;
  f.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  f.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  AwsOptions options;
  options.profile = "cfgonly";
  auto c = f.resolve(options);
  REQUIRE(c);
  CHECK(c->access_key_id == "AKIDCFG");
  CHECK(c->source == "config-file");

  options.profile = "missing";
  std::string why;
  CHECK_FALSE(resolve_credentials(options, f.env(), f.imds(), why));
  CHECK(why.find("profile 'missing'") != std::string::npos);
  CHECK(f.imds_calls == 0);
}

TEST_CASE("a key without its secret is not used") {
  Fixture f;
  f.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  CHECK(f.resolve()->access_key_id == "AKIDDEFAULT");
}

TEST_CASE("no credentials anywhere gives a reason without secrets") {
  Fixture f;
  f.vars["AWS_SHARED_CREDENTIALS_FILE"] = (f.dir / "none").string();
  f.vars["AWS_CONFIG_FILE"] = (f.dir / "none").string();
  std::string why;
  CHECK_FALSE(resolve_credentials({}, f.env(), nullptr, why));
  CHECK(why.find("no AWS credentials found") == 0);
}

TEST_CASE("region: flag, AWS_REGION, AWS_DEFAULT_REGION, profile, us-east-1") {
  Fixture f;
  CHECK(resolve_region({}, f.env()) == "eu-west-1");
  f.vars["AWS_PROFILE"] = "ops";
  CHECK(resolve_region({}, f.env()) == "us-east-1");
  f.vars["AWS_PROFILE"] = "cfgonly";
  CHECK(resolve_region({}, f.env()) == "ap-south-1");
  f.vars["AWS_DEFAULT_REGION"] = "us-west-2";
  CHECK(resolve_region({}, f.env()) == "us-west-2");
  f.vars["AWS_REGION"] = "eu-central-1";
  CHECK(resolve_region({}, f.env()) == "eu-central-1");
  CHECK(resolve_region({"", "sa-east-1", ""}, f.env()) == "sa-east-1");
}

TEST_CASE("endpoint: flag, service variable, AWS_ENDPOINT_URL, profile") {
  Fixture f;
  CHECK(resolve_endpoint({}, f.env(), "S3").empty());
  f.vars["AWS_PROFILE"] = "cfgonly";
  CHECK(resolve_endpoint({}, f.env(), "S3") == "http://minio:9000");
  f.vars["AWS_ENDPOINT_URL"] = "http://all:1/";
  CHECK(resolve_endpoint({}, f.env(), "S3") == "http://all:1");
  f.vars["AWS_ENDPOINT_URL_S3"] = "http://s3only:2";
  CHECK(resolve_endpoint({}, f.env(), "S3") == "http://s3only:2");
  CHECK(resolve_endpoint({}, f.env(), "LOGS") == "http://all:1");
  CHECK(resolve_endpoint({"", "", "http://flag:3"}, f.env(), "S3") == "http://flag:3");
}

TEST_CASE("the context looks credentials up once, on first use") {
  Fixture f;
  AwsContext context({}, f.env(), f.imds());
  CHECK(context.region() == "eu-west-1");
  f.vars["AWS_SHARED_CREDENTIALS_FILE"] = (f.dir / "none").string();
  f.vars["AWS_CONFIG_FILE"] = (f.dir / "none").string();
  std::string why;
  CHECK(context.credentials(why)->access_key_id == "AKIDIMDS");
  CHECK(context.credentials(why)->access_key_id == "AKIDIMDS");
  CHECK(f.imds_calls == 1);
}
