// The AWS backend's mapping: requests as the SSM API takes them, responses as Versions,
// NextToken paging, the service's errors as the local store's, all through a fake SsmCall.
#include "aws/client.hpp"
#include "params/aws_backend.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <deque>

using namespace sshm;
using namespace sshm::params;
using nlohmann::json;

namespace {

// Records every call and answers from a queue of canned responses (or errors).
struct FakeSsm {
  struct Answer {
    std::string body;
    std::optional<aws::AwsError> error;
  };
  std::vector<std::pair<std::string, json>> calls;
  std::deque<Answer> answers;

  void reply(json body) { answers.push_back({body.dump(), std::nullopt}); }
  void fail(long status, std::string code, std::string message, bool retryable = false) {
    answers.push_back({"", aws::AwsError{status, std::move(code), std::move(message), retryable}});
  }
  SsmCall call() {
    return [this](const std::string& action, const std::string& body, std::string& out) -> std::optional<aws::AwsError> {
      calls.emplace_back(action, json::parse(body));
      REQUIRE(!answers.empty());
      Answer a = answers.front();
      answers.pop_front();
      if (a.error) return a.error;
      out = a.body;
      return std::nullopt;
    };
  }
};

json parameter(const std::string& name, long long version, const std::string& value = "v") {
  return {{"Name", name}, {"Type", "String"}, {"Value", value}, {"Version", version},
          {"LastModifiedDate", 1700000000.5}, {"ARN", "arn:aws:ssm:eu-west-1:111122223333:parameter" + name},
          {"DataType", "text"}};
}

} // namespace

TEST_CASE("a ParameterHistory object becomes a Version with every field") {
  json j = parameter("/app/db", 3, "secret-blob");
  j["Type"] = "SecureString";
  j["KeyId"] = "alias/aws/ssm";
  j["Description"] = "the db";
  j["AllowedPattern"] = "^.+$";
  j["Labels"] = {"prod", "blue"};
  j["Tier"] = "Advanced";
  j["LastModifiedUser"] = "arn:aws:iam::111122223333:user/ops";
  j["Policies"] = {{{"PolicyText", R"({"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}})"},
                    {"PolicyType", "Expiration"},
                    {"PolicyStatus", "Pending"}}};
  Version v = version_from_json(j);
  CHECK(v.name == "/app/db");
  CHECK(v.type == "SecureString");
  CHECK(v.value == "secret-blob");
  CHECK(v.version == 3);
  CHECK(v.key_id == "alias/aws/ssm");
  CHECK(v.description == "the db");
  CHECK(v.allowed_pattern == "^.+$");
  CHECK(v.tier == "Advanced");
  CHECK(v.labels == std::vector<std::string>{"prod", "blue"});
  CHECK(v.last_modified_user == "arn:aws:iam::111122223333:user/ops");
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(v.last_modified.time_since_epoch()).count() ==
        1700000000500LL);
  CHECK(json::parse(v.policies)[0]["Type"] == "Expiration");
  CHECK(v.arn == "arn:aws:ssm:eu-west-1:111122223333:parameter/app/db");
  CHECK(parameter_json(v, v.value)["ARN"] == v.arn);
}

TEST_CASE("fields of the wrong JSON type are left empty rather than trusted") {
  Version v = version_from_json({{"Name", 5}, {"Version", "x"}, {"Labels", "prod"}, {"Value", nullptr}});
  CHECK(v.name.empty());
  CHECK(v.version == 0);
  CHECK(v.labels.empty());
  CHECK(v.tier == "Standard");
  CHECK(v.data_type == "text");
}

TEST_CASE("PutParameter sends only what the request sets") {
  PutRequest r;
  r.name = "/a/b";
  r.value = "42";
  CHECK(put_request_json(r) == json{{"Name", "/a/b"}, {"Value", "42"}});
  r.type = "SecureString";
  r.description = "d";
  r.allowed_pattern = "^[0-9]+$";
  r.overwrite = true;
  json j = put_request_json(r);
  CHECK(j["Type"] == "SecureString");
  CHECK(j["Description"] == "d");
  CHECK(j["AllowedPattern"] == "^[0-9]+$");
  CHECK(j["Overwrite"] == true);
  CHECK_FALSE(j.contains("KeyId"));
  CHECK_FALSE(j.contains("Tier"));
}

TEST_CASE("put and get go to PutParameter and GetParameter") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.reply({{"Version", 4}, {"Tier", "Standard"}});
  PutRequest r;
  r.name = "/app/port";
  r.value = "8080";
  r.type = "String";
  Version put = backend->put(r);
  CHECK(put.version == 4);
  CHECK(ssm.calls[0].first == "PutParameter");
  CHECK(ssm.calls[0].second["Value"] == "8080");

  json p = parameter("/app/port", 4, "8080");
  p["Selector"] = ":prod";
  ssm.reply({{"Parameter", p}});
  Version got = backend->get("/app/port:prod", true);
  CHECK(ssm.calls[1] == std::pair<std::string, json>{"GetParameter", {{"Name", "/app/port:prod"}, {"WithDecryption", true}}});
  CHECK(got.value == "8080");
  CHECK(got.selector == ":prod");

  ssm.reply(json::object());
  CHECK_THROWS_AS(backend->get("/app/port", false), RuntimeError);
}

TEST_CASE("GetParametersByPath follows NextToken with MaxResults 10 and sorts by name") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.reply({{"Parameters", {parameter("/p/c", 1), parameter("/p/a", 1)}}, {"NextToken", "t1"}});
  ssm.reply({{"Parameters", json::array()}, {"NextToken", "t2"}});
  ssm.reply({{"Parameters", {parameter("/p/b", 2)}}});
  auto list = backend->by_path("/p", true, {{"Type", "", {"String"}}}, false);
  REQUIRE(list.size() == 3);
  CHECK(list[0].name == "/p/a");
  CHECK(list[1].name == "/p/b");
  CHECK(list[2].name == "/p/c");
  REQUIRE(ssm.calls.size() == 3);
  const json& first = ssm.calls[0].second;
  CHECK(first["Path"] == "/p");
  CHECK(first["Recursive"] == true);
  CHECK(first["MaxResults"] == 10);
  CHECK_FALSE(first.contains("NextToken"));
  CHECK(first["ParameterFilters"] == json::parse(R"([{"Key":"Type","Values":["String"]}])"));
  CHECK(ssm.calls[1].second["NextToken"] == "t1");
  CHECK(ssm.calls[2].second["NextToken"] == "t2");
}

TEST_CASE("a NextToken that comes back twice stops the paging with an error") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.reply({{"Parameters", json::array()}, {"NextToken", "same"}});
  ssm.reply({{"Parameters", json::array()}, {"NextToken", "same"}});
  CHECK_THROWS_AS(backend->describe({}), RuntimeError);
}

TEST_CASE("history pages through every version, oldest first, with labels") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  json v2 = parameter("/h", 2);
  v2["Labels"] = {"prod"};
  ssm.reply({{"Parameters", {v2}}, {"NextToken", "n"}});
  ssm.reply({{"Parameters", {parameter("/h", 1)}}});
  auto list = backend->history("/h", true);
  REQUIRE(list.size() == 2);
  CHECK(list[0].version == 1);
  CHECK(list[1].labels == std::vector<std::string>{"prod"});
  CHECK(ssm.calls[0].first == "GetParameterHistory");
  CHECK(ssm.calls[0].second["MaxResults"] == 50);
  CHECK(ssm.calls[0].second["WithDecryption"] == true);
}

TEST_CASE("labels, unlabels and deletes map their results") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.reply({{"InvalidLabels", {"aws-x"}}, {"ParameterVersion", 3}});
  LabelResult l = backend->label("/a", std::nullopt, {"prod", "aws-x"});
  CHECK(l.version == 3);
  CHECK(l.invalid_labels == std::vector<std::string>{"aws-x"});
  CHECK_FALSE(ssm.calls[0].second.contains("ParameterVersion"));
  ssm.reply({{"InvalidLabels", json::array()}, {"ParameterVersion", 1}});
  backend->label("/a", 1, {"old"});
  CHECK(ssm.calls[1].second["ParameterVersion"] == 1);

  ssm.reply({{"RemovedLabels", {"prod"}}, {"InvalidLabels", {"nope"}}});
  UnlabelResult u = backend->unlabel("/a", 3, {"prod", "nope"});
  CHECK(u.removed == std::vector<std::string>{"prod"});
  CHECK(u.invalid == std::vector<std::string>{"nope"});
  CHECK(ssm.calls[2].first == "UnlabelParameterVersion");

  ssm.reply(json::object());
  backend->remove("/a");
  CHECK(ssm.calls[3] == std::pair<std::string, json>{"DeleteParameter", {{"Name", "/a"}}});
  ssm.reply({{"DeletedParameters", {"/b"}}, {"InvalidParameters", {"/c"}}});
  DeleteManyResult d = backend->remove_many({"/b", "/c"});
  CHECK(d.deleted == std::vector<std::string>{"/b"});
  CHECK(d.invalid == std::vector<std::string>{"/c"});
}

TEST_CASE("the service's refusals are the local store's errors; the rest are runtime failures") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.fail(400, "ParameterNotFound", "Parameter /x not found.");
  try {
    backend->get("/x", false);
    FAIL("no error");
  } catch (const params::Error& e) {
    CHECK(e.code() == "ParameterNotFound");
    CHECK(std::string(e.what()) == "ParameterNotFound: Parameter /x not found.");
  }
  ssm.fail(400, "ParameterVersionNotFound", "");
  CHECK_THROWS_AS(backend->get("/x:9", false), InputError);
  ssm.fail(400, "AccessDeniedException", "User is not authorized to perform: ssm:GetParameter");
  CHECK_THROWS_AS(backend->get("/x", false), RuntimeError);
  ssm.fail(400, "ThrottlingException", "Rate exceeded", true);
  CHECK_THROWS_WITH_AS(backend->describe({}), doctest::Contains("ThrottlingException"), RuntimeError);
  ssm.fail(0, "ConnectionFailed", "Couldn't connect to server", true);
  CHECK_THROWS_AS(backend->history("/x", false), RuntimeError);
}

TEST_CASE("ParameterAlreadyExists from PutParameter is the local store's error") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.fail(400, "ParameterAlreadyExists", "The parameter already exists.");
  PutRequest r;
  r.name = "/a";
  r.value = "1";
  CHECK_THROWS_WITH_AS(backend->put(r), "ParameterAlreadyExists: The parameter already exists.", params::Error);
}

TEST_CASE("a value the service quotes in a refusal never reaches the message") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.fail(400, "ValidationException", "Value 'hunter2-pw' at 'value' failed to satisfy constraint");
  PutRequest r;
  r.name = "/db/pw";
  r.value = "hunter2-pw";
  r.type = "SecureString";
  try {
    backend->put(r);
    FAIL("no error");
  } catch (const params::Error& e) {
    std::string text = e.what();
    CHECK(text.find("hunter2-pw") == std::string::npos);
    CHECK(text.find("****") != std::string::npos);
  }
  ssm.fail(500, "InternalFailure", "hunter2-pw");
  CHECK_THROWS_WITH_AS(backend->put(r), "AWS Systems Manager PutParameter failed: InternalFailure: **** (HTTP 500)",
                       RuntimeError);
}

TEST_CASE("SSM's throttling answer is retryable under the client's retry policy") {
  aws::HttpResponse r;
  r.status = 400;
  r.body = R"({"__type":"com.amazonaws.ssm#ThrottlingException","message":"Rate exceeded"})";
  aws::AwsError e = aws::classify(r);
  CHECK(e.code == "ThrottlingException");
  CHECK(e.retryable);
  r.body = R"({"__type":"ParameterNotFound","message":""})";
  CHECK_FALSE(aws::classify(r).retryable);
}

TEST_CASE("policies are the service's job: check_policies reports nothing and calls nothing") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  CHECK(backend->check_policies().empty());
  CHECK(ssm.calls.empty());
}

TEST_CASE("an answer that is not a JSON object is a runtime failure") {
  FakeSsm ssm;
  auto backend = make_aws_backend(ssm.call());
  ssm.answers.push_back({"<html>", std::nullopt});
  CHECK_THROWS_AS(backend->remove("/a"), RuntimeError);
}
