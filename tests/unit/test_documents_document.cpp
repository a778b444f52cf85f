// Loading documents (schemas 1.2 / 2.0 / 2.2, JSON and YAML), errors with file:line:col,
// preconditions and step controls, built-ins.
#include "documents/document.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace sshm;
using namespace sshm::documents;
using nlohmann::json;

namespace {

std::vector<std::string> validate(const std::string& text, const std::string& file) {
  std::vector<std::string> out;
  for (const auto& e : validate_text(text, file)) out.push_back(e.formatted());
  return out;
}

// AWS's AWS-RunShellScript exactly as `aws ssm get-document --name AWS-RunShellScript`
// prints its Content (aws-cli awscli/examples/ssm/get-document.rst).
const char* k_aws_run_shell_script =
    "{\n    \"schemaVersion\":\"1.2\",\n    \"description\":\"Run a shell script or specify the commands to run.\",\n"
    "    \"parameters\":{\n        \"commands\":{\n            \"type\":\"StringList\",\n            \"description\":\"(Required) "
    "Specify a shell script or a command to run.\",\n            \"minItems\":1,\n            \"displayType\":\"textarea\"\n"
    "        },\n        \"workingDirectory\":{\n            \"type\":\"String\",\n            \"default\":\"\",\n"
    "            \"description\":\"(Optional) The path to the working directory on your instance.\",\n"
    "            \"maxChars\":4096\n        },\n        \"executionTimeout\":{\n            \"type\":\"String\",\n"
    "            \"default\":\"3600\",\n            \"description\":\"(Optional) The time in seconds for a command to "
    "complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).\",\n"
    "            \"allowedPattern\":\"([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)\"\n"
    "        }\n    },\n    \"runtimeConfig\":{\n        \"aws:runShellScript\":{\n            \"properties\":[\n"
    "                {\n                    \"id\":\"0.aws:runShellScript\",\n                    \"runCommand\":\"{{ "
    "commands }}\",\n                    \"workingDirectory\":\"{{ workingDirectory }}\",\n                    "
    "\"timeoutSeconds\":\"{{ executionTimeout }}\"\n                }\n            ]\n        }\n    }\n}\n";

// The shape of AWS-RunPatchBaselineWithHooks: onFailure exit, platform preconditions, a
// precondition on a parameter, finallyStep on the last step.
const char* k_with_hooks = R"(schemaVersion: "2.2"
description: Patch with hooks
parameters:
  Operation:
    type: String
    allowedValues: [Scan, Install]
  RebootOption:
    type: String
    default: RebootIfNeeded
    allowedValues: [RebootIfNeeded, NoReboot]
  OnExitHookDocName:
    type: String
    default: AWS-Noop
mainSteps:
- action: aws:runDocument
  name: PreInstallScan
  inputs:
    documentType: SSMDocument
    documentPath: AWS-RunPatchBaseline
    documentParameters: '{"Operation":"Scan","RebootOption":"NoReboot"}'
    onFailure: exit
- precondition:
    StringEquals: [platformType, Linux]
  action: aws:runShellScript
  name: VerifyLocalPatchStatesLinux
  inputs:
    runCommand:
    - if [ {{Operation}} = "Scan" ]; then exit 168; fi
    - echo {{ RebootOption }}
- precondition:
    StringEquals: [Windows, platformType]
  action: aws:runPowerShellScript
  name: VerifyLocalPatchStatesWindows
  inputs:
    runCommand: ['$op = "{{ Operation }}"']
- action: aws:runDocument
  name: CustomerProvidedOnExitHook
  precondition:
    StringEquals: ["{{ Operation }}", Install]
  inputs:
    documentType: SSMDocument
    documentPath: "{{OnExitHookDocName}}"
    finallyStep: true
)";

// AWS-RunPatchBaseline's three platform steps.
const char* k_patch_baseline = R"({
  "schemaVersion": "2.2",
  "description": "Scan for or install patches.",
  "parameters": {"Operation": {"type": "String", "allowedValues": ["Scan", "Install"]}},
  "mainSteps": [
    {"precondition": {"StringEquals": ["platformType", "Windows"]}, "action": "aws:runPowerShellScript",
     "name": "PatchWindows", "inputs": {"timeoutSeconds": 7200, "runCommand": ["x"]}},
    {"precondition": {"StringEquals": ["platformType", "Linux"]}, "action": "aws:runShellScript",
     "name": "PatchLinux", "inputs": {"timeoutSeconds": 7200, "runCommand": ["echo {{Operation}}"]}},
    {"precondition": {"StringEquals": ["platformType", "MacOS"]}, "action": "aws:runShellScript",
     "name": "PatchMacOS", "inputs": {"timeoutSeconds": 7200, "runCommand": ["x"]}}
  ]
}
)";

} // namespace

TEST_CASE("built-in AWS-RunShellScript is byte-identical to AWS's published JSON and to documents/") {
  Document doc = load("AWS-RunShellScript");
  CHECK(doc.source_text == k_aws_run_shell_script);
  auto top = std::filesystem::path(SSHM_TEST_DATA).parent_path().parent_path().parent_path();
  std::ifstream in(top / "documents" / "AWS-RunShellScript.json", std::ios::binary);
  REQUIRE(in.good());
  std::stringstream file;
  file << in.rdbuf();
  CHECK(doc.source_text == file.str());
  CHECK(doc.name == "AWS-RunShellScript");
  CHECK(doc.path.empty());
  CHECK(doc.schema_version == "1.2");
  CHECK(doc.format == "JSON");
  CHECK(doc.description == "Run a shell script or specify the commands to run.");
}

TEST_CASE("AWS's published AWS-RunShellScript JSON given as a file runs unchanged") {
  Document doc = load_text(k_aws_run_shell_script, "my/AWS-RunShellScript.json", "AWS-RunShellScript");
  ResolvedDocument r = resolve(doc, {{"commands", json::array({"uname -a"})}, {"workingDirectory", "/tmp"}}, "Linux");
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].inputs == json{{"runCommand", {"uname -a"}}, {"workingDirectory", "/tmp"}, {"timeoutSeconds", "3600"}});
}

TEST_CASE("built-ins: names, AWS-RunDocument takes AWS's parameters and downloads then runs") {
  auto names = builtin_names();
  CHECK(std::find(names.begin(), names.end(), "AWS-RunShellScript") != names.end());
  CHECK(std::find(names.begin(), names.end(), "AWS-RunDocument") != names.end());
  Document doc = load("AWS-RunDocument");
  CHECK(doc.schema_version == "2.2");
  CHECK(doc.format == "YAML");
  ResolvedDocument r = resolve(doc, {{"sourceType", "SSMDocument"}, {"sourceInfo", {{"name", "AWS-RunShellScript"}}},
                                     {"documentParameters", {{"commands", "id"}}}}, "Linux");
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[0].action == "aws:downloadContent");
  CHECK(r.steps[0].inputs["sourceInfo"] == json{{"name", "AWS-RunShellScript"}});
  CHECK(r.steps[1].action == "aws:runDocument");
  CHECK(r.steps[1].inputs == json{{"documentType", "LocalPath"}, {"documentPath", "runDocument"},
                                  {"documentParameters", {{"commands", "id"}}}});
  CHECK(r.parameters["documentParameters"] == json::array({"{\"commands\":\"id\"}"}));
  auto missing = input_errors_of([] { load("AWS-RunShelScript"); });
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].find("(did you mean 'AWS-RunShellScript'?)") != std::string::npos);
  CHECK(input_errors_of([] { load("no/such/doc.json"); }) == std::vector<std::string>{"no/such/doc.json: no such document file"});
}

TEST_CASE("schema 1.2: plugins in written order, properties become steps, controls ignored") {
  const char* text = R"({
  "schemaVersion": "1.2",
  "description": "two plugins",
  "runtimeConfig": {
    "aws:runShellScript": {"properties": [
      {"id": "0.aws:runShellScript", "runCommand": ["one"], "timeoutSeconds": 100, "onFailure": "exit"},
      {"id": "1.aws:runShellScript", "runCommand": ["two"], "timeoutSeconds": "4"}]},
    "aws:applications": {"properties": {"id": "0.aws:applications", "action": "Install"}}
  }
})";
  ResolvedDocument r = resolve(load_text(text, "v12.json", "v12"), {}, "Linux");
  REQUIRE(r.steps.size() == 3);
  CHECK(r.steps[0].name == "0.aws:runShellScript");
  CHECK(r.steps[0].timeout_seconds == 100);
  CHECK(r.steps[0].on_failure.empty());
  CHECK(r.steps[1].timeout_seconds == 3600);  // 4 is below 5
  CHECK(r.steps[2].action == "aws:applications");  // unknown plugins load; the executor fails them
  CHECK(r.steps[2].name == "0.aws:applications");
}

TEST_CASE("schema 2.0: steps run; a precondition makes the step fail") {
  const char* text = R"(schemaVersion: "2.0"
mainSteps:
- action: aws:runShellScript
  name: plain
  inputs: {runCommand: [date], timeoutSeconds: "7200.5"}
- action: aws:runShellScript
  name: guarded
  precondition: {StringEquals: [platformType, Linux]}
  inputs: {runCommand: [date]}
)";
  ResolvedDocument r = resolve(load_text(text, "v20.yaml", "v20"), {}, "Linux");
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[0].timeout_seconds == 7200);
  CHECK(r.steps[0].failure_reason.empty());
  CHECK(r.steps[1].failure_reason ==
        "Precondition is not supported for document schema version prior to 2.2. Step name: guarded");
}

TEST_CASE("AWS-RunPatchBaseline on Linux: PatchWindows and PatchMacOS skipped, PatchLinux runs") {
  Document doc = load_text(k_patch_baseline, "rpb.json", "AWS-RunPatchBaseline");
  ResolvedDocument r = resolve(doc, {{"Operation", "Scan"}}, "Linux");
  REQUIRE(r.steps.size() == 3);
  CHECK(r.steps[0].skip_reason ==
        "Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [platformType, Windows]'. Step "
        "name: PatchWindows");
  CHECK(r.steps[1].skip_reason.empty());
  CHECK(r.steps[1].failure_reason.empty());
  CHECK(r.steps[1].inputs["runCommand"] == json::array({"echo Scan"}));
  CHECK(r.steps[1].timeout_seconds == 7200);
  CHECK_FALSE(r.steps[2].skip_reason.empty());
  // Platform names compare case-insensitively.
  CHECK(resolve(doc, {{"Operation", "Scan"}}, "macos").steps[2].skip_reason.empty());
}

TEST_CASE("AWS-RunPatchBaselineWithHooks shape: controls, both precondition forms, finallyStep") {
  Document doc = load_text(k_with_hooks, "hooks.yaml", "hooks");
  ResolvedDocument scan = resolve(doc, {{"Operation", "Scan"}}, "Linux");
  REQUIRE(scan.steps.size() == 4);
  CHECK(scan.steps[0].on_failure == "exit");
  CHECK(scan.steps[0].inputs["documentParameters"] == "{\"Operation\":\"Scan\",\"RebootOption\":\"NoReboot\"}");
  CHECK(scan.steps[1].skip_reason.empty());
  CHECK(scan.steps[1].inputs["runCommand"] ==
        json::array({"if [ Scan = \"Scan\" ]; then exit 168; fi", "echo RebootIfNeeded"}));
  CHECK(scan.steps[2].skip_reason.find("[Windows, platformType]") != std::string::npos);
  CHECK(scan.steps[3].skip_reason ==
        "Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [{{ Operation }}, Install]'. Step "
        "name: CustomerProvidedOnExitHook");
  CHECK(scan.steps[3].finally_step);
  CHECK(scan.steps[3].inputs["documentPath"] == "AWS-Noop");

  ResolvedDocument install = resolve(doc, {{"Operation", "Install"}}, "Linux");
  CHECK(install.steps[3].skip_reason.empty());
  CHECK(install.steps[3].failure_reason.empty());
  CHECK(install.parameters == json{{"Operation", {"Install"}}, {"RebootOption", {"RebootIfNeeded"}},
                                   {"OnExitHookDocName", {"AWS-Noop"}}});
}

TEST_CASE("preconditions that fail: other operators, wrong argument counts, parameters in the platform value") {
  const char* text = R"({"schemaVersion": "2.2",
  "parameters": {"os": {"type": "String", "default": "Linux"}},
  "mainSteps": [
    {"action": "aws:runShellScript", "name": "a", "precondition": {"StringLike": ["platformType", "Linux"]}},
    {"action": "aws:runShellScript", "name": "b", "precondition": {"StringEquals": ["platformType"]}},
    {"action": "aws:runShellScript", "name": "c", "precondition": {"StringEquals": ["platformType", "{{ os }}"]}},
    {"action": "aws:runShellScript", "name": "d", "precondition": {"StringEquals": ["Linux", "Linux"]}},
    {"action": "aws:runShellScript", "name": "e", "precondition": {"StringEquals": ["abc", "abd"]}},
    {"action": "aws:runShellScript", "name": "f", "precondition": {"StringEquals": ["{{ssm:/x}}", "y"]}},
    {"action": "aws:runShellScript", "name": "g", "precondition": {"StringEquals": ["{{ os }} x", "Linux x"]}}
  ]})";
  ResolvedDocument r = resolve(load_text(text, "pre.json", "pre"), {}, "Linux");
  CHECK(r.steps[0].failure_reason == "Unrecognized precondition(s): 'unrecognized operator: \"StringLike\"', please update agent to latest version. Step name: a");
  CHECK(r.steps[1].failure_reason.find("operator accepts exactly 2 arguments") != std::string::npos);
  CHECK(r.steps[2].failure_reason.find("can't contain document parameters") != std::string::npos);
  CHECK(r.steps[3].failure_reason.find("arguments can't be identical") != std::string::npos);
  CHECK(r.steps[4].failure_reason.find("must contain a valid document parameter") != std::string::npos);
  CHECK(r.steps[5].failure_reason.find("can't contain SSM parameters") != std::string::npos);
  CHECK(r.steps[6].failure_reason.empty());
  CHECK(r.steps[6].skip_reason.empty());
  for (const auto& s : r.steps) CHECK(s.environment.empty());
}

TEST_CASE("step controls: timeoutSeconds range, onSuccess, finallyStep only on the last step, step-level timeout ignored") {
  const char* text = R"({"schemaVersion": "2.2",
  "parameters": {"t": {"type": "Integer", "default": 30}},
  "mainSteps": [
    {"action": "aws:runShellScript", "name": "a", "timeoutSeconds": 10, "inputs": {"timeoutSeconds": "{{ t }}", "onSuccess": "exit", "finallyStep": true}},
    {"action": "aws:runShellScript", "name": "b", "inputs": {"timeoutSeconds": 172801, "onFailure": "successAndExit"}},
    {"action": "aws:runShellScript", "name": "c", "timeoutSeconds": 10, "inputs": {"finallyStep": "true"}}
  ]})";
  ResolvedDocument r = resolve(load_text(text, "ctl.json", "ctl"), {}, "Linux");
  CHECK(r.steps[0].timeout_seconds == 30);
  CHECK(r.steps[0].on_success == "exit");
  CHECK_FALSE(r.steps[0].finally_step);
  CHECK(r.steps[1].timeout_seconds == 3600);
  CHECK(r.steps[1].on_failure == "successAndExit");
  CHECK(r.steps[2].timeout_seconds == 3600);
  CHECK(r.steps[2].finally_step);
}

TEST_CASE("interpolationType ENV_VAR: the value also travels as SSM_<name> (schema 2.2)") {
  const char* text = R"({"schemaVersion": "2.2",
  "parameters": {"Message": {"type": "String", "default": "Hello", "interpolationType": "ENV_VAR", "allowedPattern": "^[^\"]*$"},
                 "n": {"type": "Integer", "default": 2, "interpolationType": "ENV_VAR"}},
  "mainSteps": [{"action": "aws:runShellScript", "name": "printMessage",
    "inputs": {"runCommand": ["if [ -z \"${SSM_Message+x}\" ]; then", "  export SSM_Message=\"{{Message}}\"", "fi", "echo $SSM_Message"]}}]})";
  ResolvedDocument r = resolve(load_text(text, "env.json", "env"), {{"Message", "a $(rm -rf /) b"}}, "Linux");
  const Step& s = r.steps.at(0);
  CHECK(s.environment == std::map<std::string, std::string>{{"SSM_Message", "a $(rm -rf /) b"}, {"SSM_n", "2"}});
  CHECK(s.inputs["runCommand"][3] == "echo $SSM_Message");
  auto bad = validate(R"({"schemaVersion": "2.2", "parameters": {"m": {"type": "String", "interpolationType": "ENV_VA"}},
    "mainSteps": [{"action": "x", "name": "y"}]})", "e.json");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0] == "e.json:1:65: parameter 'm': unknown interpolationType 'ENV_VA' (the only one is ENV_VAR) (did you mean 'ENV_VAR'?)");
}

TEST_CASE("other schema versions are refused; empty steps are refused") {
  CHECK(validate("{\"schemaVersion\": \"3.0\", \"mainSteps\": []}", "v3.json") ==
        std::vector<std::string>{"v3.json:1:2: unsupported schemaVersion '3.0': command documents use 1.2 "
                                 "(runtimeConfig) or 2.0 and 2.2 (mainSteps)"});
  CHECK(validate("schemaVersion: '0.3'\nmainSteps: []\n", "auto.yaml").size() == 1);
  CHECK(validate("schemaVersion: '2.2'\nmainSteps: []\n", "e.yaml") ==
        std::vector<std::string>{"e.yaml:2:1: mainSteps is empty: it needs at least one step"});
  CHECK(validate("{\"schemaVersion\": \"1.2\", \"runtimeConfig\": {}}", "e.json") ==
        std::vector<std::string>{"e.json:1:26: runtimeConfig is empty: it needs at least one plugin"});
  CHECK(validate("schemaVersion: 2.2\nmainSteps: [{action: a, name: b}]\n", "n.yaml") ==
        std::vector<std::string>{"n.yaml:1:1: schemaVersion must be a string: write \"2.2\" in quotes"});
  CHECK(validate("", "empty.yaml") == std::vector<std::string>{"empty.yaml:1:1: the document is empty"});
  CHECK(validate("schemaVersion: '2.0.3'\nmainSteps: [{action: a, name: b}]\n", "ok.yaml").empty());
}

TEST_CASE("YAML errors carry yaml-cpp's line:col") {
  auto errors = validate("schemaVersion: \"2.2\"\nmainSteps:\n  - action: x\n   name: y\n", "bad.yaml");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("bad.yaml:4:4: invalid YAML: ") == 0);
}

TEST_CASE("JSON syntax errors carry line:col from nlohmann's byte offset") {
  auto errors = validate("{\n  \"schemaVersion\": \"2.2\",\n  \"mainSteps\": [\n    {\"action\": \"x\",, }\n  ]\n}\n", "bad.json");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("bad.json:4:20: invalid JSON: syntax error") == 0);
  auto eof = validate("{\n  \"schemaVersion\": \"2.2\"\n", "eof.json");
  REQUIRE(eof.size() == 1);
  CHECK(eof[0].find("eof.json:3:1: invalid JSON:") == 0);
}

TEST_CASE("validate reports every problem, each at its key, in JSON and YAML alike") {
  const char* json_text = R"({
  "schemaVersion": "2.2",
  "parameters": {
    "Operation": {"type": "Strng"},
    "bad-name": {"type": "String"},
    "count": {"type": "Integer", "default": "3", "minItem": 2}
  },
  "mainStep": [],
  "mainSteps": [
    {"action": "aws:runShellScript", "name": "one", "inputs": {"runCommand": ["echo"], "onFailure": "exti"}},
    {"action": "aws:runShellScript", "name": "one", "precondition": {"StringEquals": "platformType"}},
    {"name": "two", "inptus": {}}
  ]
}
)";
  std::vector<std::string> expected = {
      "doc.json:4:19: parameter 'Operation': unknown type 'Strng' (use String, StringList, Integer, Boolean, StringMap, MapList) (did you mean 'String'?)",
      "doc.json:5:5: parameter 'bad-name': a parameter name may hold only letters and digits ([a-zA-Z0-9]+)",
      "doc.json:6:34: parameter 'count': the default must be an Integer, got '3' (a string)",
      "doc.json:6:50: parameter 'count': unknown field 'minItem' (did you mean 'minItems'?)",
      "doc.json:8:3: unknown top-level field 'mainStep' (did you mean 'mainSteps'?)",
      "doc.json:10:88: onFailure must be exit or successAndExit, got 'exti' (did you mean 'exit'?)",
      "doc.json:11:38: two steps are named 'one'; step names must be unique",
      "doc.json:11:70: precondition StringEquals must be a list of strings, got a string",
      "doc.json:12:5: step 3 has no action",
      "doc.json:12:21: unknown field 'inptus' in a step (did you mean 'inputs'?)",
  };
  CHECK(validate(json_text, "doc.json") == expected);
  auto thrown = input_errors_of([&] { load_text(json_text, "doc.json", "doc"); });
  CHECK(thrown == expected);

  const char* yaml_text = "schemaVersion: \"2.2\"\nparameters:\n  Operation:\n    type: Strng\nmainSteps:\n- action: x\n  name: y\n  inputs: {onSuccess: exitt}\n";
  CHECK(validate(yaml_text, "doc.yaml") ==
        std::vector<std::string>{
            "doc.yaml:4:5: parameter 'Operation': unknown type 'Strng' (use String, StringList, Integer, Boolean, StringMap, MapList) (did you mean 'String'?)",
            "doc.yaml:8:12: onSuccess must be exit, got 'exitt' (did you mean 'exit'?)"});
}

TEST_CASE("resolve-time value errors point at the parameter's declaration in a YAML file") {
  Document doc = load_text("schemaVersion: '2.2'\nparameters:\n  Operation:\n    type: String\n    allowedValues: [Scan, "
                           "Install]\nmainSteps:\n- {action: a, name: b}\n",
                           "op.yaml", "op");
  auto errors = input_errors_of([&] { resolve(doc, {{"Operation", "Instal"}}, "Linux"); });
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "op.yaml:3:3: parameter 'Operation': value 'Instal' is not one of the allowed values: Scan, "
                     "Install (did you mean 'Install'?)");
}

TEST_CASE("a huge YAML number does not crash the loader") {
  CHECK(validate("schemaVersion: '2.2'\nmainSteps: [{action: a, name: b, inputs: {x: 1e999, y: 99999999999999999999}}]\n",
                 "big.yaml")
            .empty());
}

TEST_CASE("YAML scalars: quoted stay strings, plain ones are typed") {
  Document doc = load_text("schemaVersion: '2.2'\nparameters:\n  a: {type: Integer, default: 12}\n  b: {type: String, "
                           "default: '12'}\n  c: {type: Boolean, default: false}\n  d: {type: String, default: 012}\n"
                           "mainSteps:\n- {action: x, name: y, inputs: {v: [\"{{a}}\", \"{{b}}\", \"{{c}}\", \"{{d}}\"]}}\n",
                           "t.yaml", "t");
  ResolvedDocument r = resolve(doc, {}, "Linux");
  CHECK(r.steps[0].inputs["v"] == json::array({12, "12", false, "012"}));
}

TEST_CASE("a Document built by hand resolves too") {
  Document doc;
  doc.name = "handmade";
  doc.schema_version = "2.2";
  doc.content = json::parse(R"({"schemaVersion": "2.2", "parameters": {"p": {"type": "String"}},
    "mainSteps": [{"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["echo {{ p }}"]}}]})");
  CHECK(resolve(doc, {{"p", "x"}}, "Linux").steps.at(0).inputs["runCommand"] == json::array({"echo x"}));
  auto errors = input_errors_of([&] { resolve(doc, {}, "Linux"); });
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("handmade") == 0);
}

TEST_CASE("step names that could leave the output directory are refused") {
  auto doc = [](const std::string& name) {
    return "schemaVersion: '2.2'\nmainSteps:\n  - action: aws:runShellScript\n    name: '" + name +
           "'\n    inputs: {runCommand: [\"true\"]}\n";
  };
  CHECK(validate(doc("Patch_Linux-1.v2"), "ok.yaml").empty());
  auto errors = validate(doc("../../../../tmp/x/stepdir"), "trav.yaml");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "trav.yaml:4:5: step name '../../../../tmp/x/stepdir' is not valid: use 1 to 128 letters, digits, "
                     "'_', '-' or '.'");
  CHECK(validate(doc(".."), "dots.yaml") ==
        std::vector<std::string>{"dots.yaml:4:5: step name '..' is not valid: it may not be '.' or '..'"});
  CHECK(validate(doc(std::string(129, 'a')), "long.yaml").size() == 1);
  CHECK(validate(doc("a:b"), "colon.yaml").size() == 1);
  // A 1.2 plugin id may hold ':' (0.aws:runShellScript) but not '/'.
  auto v12 = [](const std::string& id) {
    return R"({"schemaVersion": "1.2", "runtimeConfig": {"aws:runShellScript": {"properties": [{"id": ")" + id +
           R"(", "runCommand": ["true"]}]}}})";
  };
  CHECK(validate(v12("0.aws:runShellScript"), "v12.json").empty());
  CHECK(validate(v12("../x"), "v12.json").size() == 1);
}

TEST_CASE("documents nested too deep or with alias bombs are refused with the limit") {
  std::string deep = "{\"schemaVersion\": \"2.2\", \"mainSteps\": " + std::string(100000, '[');
  auto errors = validate(deep, "deep.json");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "deep.json:1:166: nested deeper than the limit of 128 levels");
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string p = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + "," + p + "," + p + "," + p + "," + p +
            "," + p + "," + p + "," + p + "," + p + "," + p + "]\n";
  }
  errors = validate(bomb, "bomb.yaml");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("bomb.yaml:6:") == 0);
  CHECK(errors[0].find("more than the limit of 1000000 nodes") != std::string::npos);
}
