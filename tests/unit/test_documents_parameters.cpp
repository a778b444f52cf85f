// Parameter checks as SSM applies them (SSM user guide: "Data elements and parameters"; SendCommand in the API reference), and -p / --parameters-file.
#include "documents/document.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>

using namespace sshm;
using namespace sshm::documents;
using nlohmann::json;

namespace {

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

const char* k_typed = R"({
  "schemaVersion": "2.2",
  "description": "every type",
  "parameters": {
    "s": {"type": "String", "default": "x", "minChars": 2, "maxChars": 4},
    "l": {"type": "StringList", "default": ["a"], "minItems": 1, "maxItems": 2, "allowedValues": ["a", "b", "c"]},
    "i": {"type": "Integer", "default": 1},
    "b": {"type": "Boolean", "default": false},
    "m": {"type": "StringMap", "default": {}},
    "ml": {"type": "MapList", "default": []},
    "op": {"type": "String", "allowedValues": ["Scan", "Install"], "default": "Scan"},
    "guid": {"type": "String", "default": "", "allowedPattern": "(^$)|^[0-9a-f]{4}$"}
  },
  "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["echo {{ s }}"]}}]
}
)";

} // namespace

TEST_CASE("AWS-RunShellScript executionTimeout: 172800 ok, 172801 / 0 / 01 / '3600 ' rejected (full match)") {
  Document doc = load("AWS-RunShellScript");
  auto run = [&](const std::string& timeout) {
    return resolve(doc, {{"commands", json::array({"true"})}, {"executionTimeout", timeout}}, "Linux");
  };
  CHECK(run("172800").steps.at(0).timeout_seconds == 172800);
  CHECK(run("1").steps.at(0).timeout_seconds == 3600);  // passes the pattern, outside 5..172800
  CHECK(run("5").steps.at(0).timeout_seconds == 5);
  for (const char* bad : {"172801", "0", "01", "3600 ", "999999", "-1", ""}) {
    CAPTURE(bad);
    auto errors = input_errors_of([&] { run(bad); });
    REQUIRE(errors.size() == 1);
    CHECK(any_contains(errors, "does not match allowedPattern"));
    CHECK(any_contains(errors, "AWS-RunShellScript:17:9: parameter 'executionTimeout'"));
  }
}

TEST_CASE("AWS-RunShellScript: commands is required and needs at least one item") {
  Document doc = load("AWS-RunShellScript");
  auto missing = input_errors_of([&] { resolve(doc, {}, "Linux"); });
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] == "AWS-RunShellScript:5:9: missing required parameter 'commands' (it has no default): give it "
                      "with -p commands=...");
  auto empty = input_errors_of([&] { resolve(doc, {{"commands", json::array()}}, "Linux"); });
  REQUIRE(empty.size() == 1);
  CHECK(any_contains(empty, "parameter 'commands' needs at least 1 item(s) (minItems), got 0"));
}

TEST_CASE("AWS-RunShellScript resolves as SSM: list commands, defaults recorded, 1.2 step name") {
  Document doc = load("AWS-RunShellScript");
  ResolvedDocument r = resolve(doc, {{"commands", json::array({"echo a", "echo b"})}}, "Linux");
  REQUIRE(r.steps.size() == 1);
  const Step& s = r.steps[0];
  CHECK(s.name == "0.aws:runShellScript");
  CHECK(s.action == "aws:runShellScript");
  CHECK(s.inputs["runCommand"] == json::array({"echo a", "echo b"}));
  CHECK(s.inputs["workingDirectory"] == "");
  CHECK(s.inputs["timeoutSeconds"] == "3600");
  CHECK_FALSE(s.inputs.contains("id"));
  CHECK(s.timeout_seconds == 3600);
  CHECK(r.parameters == json{{"commands", {"echo a", "echo b"}}, {"executionTimeout", {"3600"}}, {"workingDirectory", {""}}});
}

TEST_CASE("unknown parameters are refused with a suggestion") {
  Document doc = load("AWS-RunShellScript");
  auto errors = input_errors_of([&] { resolve(doc, {{"comands", json::array({"x"})}, {"commands", json::array({"x"})}}, "Linux"); });
  REQUIRE(errors.size() == 1);
  CHECK(any_contains(errors, "unknown parameter 'comands' for document AWS-RunShellScript"));
  CHECK(any_contains(errors, "(did you mean 'commands'?)"));
}

TEST_CASE("types are strict: Boolean only true/false, Integer only integral") {
  Document doc = load_text(k_typed, "typed.json", "typed");
  CHECK(input_errors_of([&] { resolve(doc, {{"b", "true"}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"b", 0}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"i", 3.14}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"i", "3"}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"l", "a"}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"m", json::array()}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"ml", json::array({"x"})}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"b", true}, {"i", -4}, {"m", {{"k", "v"}}}, {"ml", {{{"k", "v"}}}}}, "Linux"); })
            .empty());
}

TEST_CASE("allowedValues, allowedPattern, min/max items and chars") {
  Document doc = load_text(k_typed, "typed.json", "typed");
  auto bad_value = input_errors_of([&] { resolve(doc, {{"op", "scan"}}, "Linux"); });
  REQUIRE(bad_value.size() == 1);
  CHECK(any_contains(bad_value, "value 'scan' is not one of the allowed values: Scan, Install (did you mean 'Scan'?)"));
  CHECK(input_errors_of([&] { resolve(doc, {{"l", json::array({"a", "z"})}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"l", json::array({"a", "b", "c"})}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"s", "y"}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"s", "abcde"}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"s", "äöüß"}}, "Linux"); }).empty());  // characters, not bytes
  CHECK(input_errors_of([&] { resolve(doc, {{"guid", "beef"}}, "Linux"); }).empty());
  CHECK(input_errors_of([&] { resolve(doc, {{"guid", "beefy"}}, "Linux"); }).size() == 1);
  // Every problem is reported, not just the first.
  CHECK(input_errors_of([&] { resolve(doc, {{"s", "y"}, {"op", "x"}, {"b", 1}}, "Linux"); }).size() == 3);
}

TEST_CASE("-p: repeated values and JSON arrays make a StringList; text typed per declaration") {
  Document doc = load_text(k_typed, "typed.json", "typed");
  ParameterValues v = parse_cli_parameters(doc, {"l=a", "l=b", "i=42", "b=true", "m={\"k\":\"v\"}", "s=x=y"}, "");
  CHECK(v["l"] == json::array({"a", "b"}));
  CHECK(v["i"] == 42);
  CHECK(v["b"] == true);
  CHECK(v["m"] == json{{"k", "v"}});
  CHECK(v["s"] == "x=y");
  CHECK(parse_cli_parameters(doc, {"l=[\"a\",\"b\"]"}, "")["l"] == json::array({"a", "b"}));
  CHECK(parse_cli_parameters(doc, {"l=[not json"}, "")["l"] == json::array({"[not json"}));

  CHECK(any_contains(input_errors_of([&] { parse_cli_parameters(doc, {"i=3.5"}, ""); }), "'3.5' is not an integer"));
  CHECK(any_contains(input_errors_of([&] { parse_cli_parameters(doc, {"b=yes"}, ""); }), "'yes' is not true or false"));
  CHECK(any_contains(input_errors_of([&] { parse_cli_parameters(doc, {"s=a", "s=b"}, ""); }), "given more than once"));
  CHECK(any_contains(input_errors_of([&] { parse_cli_parameters(doc, {"nope"}, ""); }), "expected name=value"));
  auto unknown = input_errors_of([&] { parse_cli_parameters(doc, {"opp=Scan"}, ""); });
  CHECK(any_contains(unknown, "unknown parameter 'opp'"));
  CHECK(any_contains(unknown, "did you mean 'op'?"));
}

TEST_CASE("exec-style: -p commands for AWS-RunShellScript") {
  Document doc = load("AWS-RunShellScript");
  ParameterValues v = parse_cli_parameters(doc, {"commands=uptime", "commands=df -h", "executionTimeout=60"}, "");
  ResolvedDocument r = resolve(doc, v, "Linux");
  CHECK(r.steps[0].inputs["runCommand"] == json::array({"uptime", "df -h"}));
  CHECK(r.steps[0].timeout_seconds == 60);
}

TEST_CASE("--parameters-file: JSON or YAML; scalars, lists and SSM's list-of-strings form") {
  Document doc = load_text(k_typed, "typed.json", "typed");
  auto dir = std::filesystem::temp_directory_path() / "sshm_test_params";
  std::filesystem::create_directories(dir);
  std::string yaml = (dir / "p.yaml").string(), json_file = (dir / "p.json").string(), bad = (dir / "bad.yaml").string();
  std::ofstream(yaml) << "s: abc\nl: [a, b]\ni: 5\nb: true\nop: [\"Install\"]\n";
  std::ofstream(json_file) << R"({"l": "c", "i": ["7"], "m": {"k": "v"}})";
  std::ofstream(bad) << "s: abc\n\nopp: Scan\ni: x\n";
  ParameterValues v = parse_cli_parameters(doc, {}, yaml);
  CHECK(v["s"] == "abc");
  CHECK(v["l"] == json::array({"a", "b"}));
  CHECK(v["i"] == 5);
  CHECK(v["b"] == true);
  CHECK(v["op"] == "Install");
  ParameterValues w = parse_cli_parameters(doc, {"s=zz"}, json_file);
  CHECK(w["l"] == json::array({"c"}));
  CHECK(w["i"] == 7);
  CHECK(w["m"] == json{{"k", "v"}});
  CHECK(w["s"] == "zz");  // -p wins over the file
  auto errors = input_errors_of([&] { parse_cli_parameters(doc, {}, bad); });
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find(bad + ":3:1: unknown parameter 'opp'") == 0);
  CHECK(errors[1].find(bad + ":4:1: parameter 'i' is Integer: 'x' is not an integer") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("typed_parameters turns aws:runDocument's documentParameters into values") {
  Document doc = load("AWS-RunShellScript");
  ParameterValues v = typed_parameters(doc, json{{"commands", "echo hi"}, {"executionTimeout", 30}}, "documentParameters");
  CHECK(v["commands"] == json::array({"echo hi"}));
  CHECK(v["executionTimeout"] == "30");
  ParameterValues t = typed_parameters(doc, "{\"commands\": [\"a\", \"b\"]}", "documentParameters");
  CHECK(t["commands"] == json::array({"a", "b"}));
  CHECK(any_contains(input_errors_of([&] { typed_parameters(doc, json{{"bogus", "x"}}, "documentParameters"); }),
                     "documentParameters: unknown parameter 'bogus'"));
}

TEST_CASE("{{ssm:...}} in a value is resolved before the checks when a resolver is given") {
  Document doc = load("AWS-RunShellScript");
  SsmResolver ssm = [](const std::string& name, bool) -> json { return name == "/timeout" ? "99" : "x"; };
  ResolvedDocument r = resolve(doc, {{"commands", json::array({"echo {{ssm:/greeting}}"})}, {"executionTimeout", "{{ssm:/timeout}}"}},
                               "Linux", ssm);
  CHECK(r.steps[0].timeout_seconds == 99);
  CHECK(r.steps[0].inputs["runCommand"] == json::array({"echo x"}));
  // Without a resolver the reference fails the executionTimeout pattern, as text.
  CHECK(input_errors_of([&] { resolve(doc, {{"commands", json::array({"x"})}, {"executionTimeout", "{{ssm:/timeout}}"}}, "Linux"); })
            .size() == 1);
}

TEST_CASE("allowedPattern: RE2, whole-value match, linear time, value never shown") {
  const char* doc_text = R"({
  "schemaVersion": "2.2",
  "parameters": {
    "secret": {"type": "String", "default": "aaaa", "allowedPattern": "^(a+)+$"},
    "digits": {"type": "StringList", "default": ["1"], "allowedPattern": "[0-9]+"}
  },
  "mainSteps": [{"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["true"]}}]
})";
  Document doc = load_text(doc_text, "p.json", "p");
  // A backtracking engine needs minutes for this; RE2 does not.
  std::string evil = std::string(30, 'a') + "!";
  auto errors = input_errors_of([&] { resolve(doc, {{"secret", evil}}, "Linux"); });
  REQUIRE(errors.size() == 1);
  CHECK(any_contains(errors, "parameter 'secret': value does not match allowedPattern '^(a+)+$'"));
  CHECK_FALSE(any_contains(errors, "aaaaaaaaaa"));
  // A pattern without anchors must still match the whole value (SSM's rule).
  CHECK(input_errors_of([&] { resolve(doc, {{"digits", json::array({"12", "1x"})}}, "Linux"); }).size() == 1);
  CHECK(input_errors_of([&] { resolve(doc, {{"digits", json::array({std::string(30000, '7')})}}, "Linux"); }).empty());
  CHECK(input_errors_of([&] { resolve(doc, {{"secret", std::string(30000, 'a')}}, "Linux"); }).empty());
  CHECK(input_errors_of([&] { resolve(doc, {{"secret", std::string(30000, 'a') + "b"}}, "Linux"); }).size() == 1);

  auto bad = input_errors_of([] {
    load_text(R"({"schemaVersion": "2.2", "parameters": {"p": {"type": "String", "allowedPattern": "(a"}},
      "mainSteps": [{"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["true"]}}]})",
              "bad.json", "bad");
  });
  REQUIRE(bad.size() == 1);
  CHECK(any_contains(bad, "bad.json:1:65: parameter 'p': allowedPattern '(a' is not a valid regular expression"));
}

TEST_CASE("-p values: a 30,000-digit integer and JSON nested too deep are refused, not crashed on") {
  Document doc = load_text(k_typed, "typed.json", "typed");
  CHECK(any_contains(input_errors_of([&] { parse_cli_parameters(doc, {"i=" + std::string(30000, '9')}, ""); }),
                     "is not an integer in range"));
  std::string deep = std::string(100000, '[');
  CHECK(parse_cli_parameters(doc, {"l=" + deep}, "")["l"] == json::array({deep}));
  CHECK(any_contains(input_errors_of([&] { parse_cli_parameters(doc, {"m=" + std::string(100000, '{')}, ""); }),
                     "is not a JSON map"));
}

TEST_CASE("typed_parameters reads documentParameters as YAML when they are not JSON, as the agent does") {
  Document doc = load("AWS-RunShellScript");
  ParameterValues y = typed_parameters(doc, "{commands: [a, b], workingDirectory: }", "documentParameters");
  CHECK(y["commands"] == json::array({"a", "b"}));
  CHECK(y["workingDirectory"] == "");
  ParameterValues block = typed_parameters(doc, "commands: echo hi\nexecutionTimeout: 30\n", "documentParameters");
  CHECK(block["commands"] == json::array({"echo hi"}));
  CHECK(block["executionTimeout"] == "30");
  CHECK(typed_parameters(doc, "{}", "documentParameters").empty());
}
