// The SSM Agent's rules for a step's plugin (runpluginutil's getStepExecutionOperation):
// a plugin SSM knows but Linux cannot run is skipped from schema 2.2 and fails before it,
// an unknown plugin fails, preconditions only from 2.2; Session documents are told apart.
#include "documents/document.hpp"
#include "documents/plugins.hpp"
#include "engine/builtin_plugins.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::documents;

namespace {

ResolvedDocument resolve_text(const std::string& text) {
  return resolve(load_text(text, "t.yaml", "t"), {}, "Linux");
}

std::string two_two(const std::string& action, const std::string& precondition = "") {
  return "schemaVersion: '2.2'\nmainSteps:\n- action: " + action + "\n  name: s\n" + precondition +
         "  inputs: {runCommand: [echo hi]}\n- action: aws:runShellScript\n  name: after\n  inputs: {runCommand: [true]}\n";
}

} // namespace

TEST_CASE("schema 2.2: a known plugin with no Linux implementation is skipped with the agent's message") {
  for (const char* action : {"aws:applications", "aws:psModule", "aws:updateAgent", "aws:configureDaemon"}) {
    auto r = resolve_text(two_two(action));
    REQUIRE(r.steps.size() == 2);
    CHECK(r.steps[0].skip_reason ==
          std::string("Step execution skipped due to unsupported plugin: ") + action + ". Step name: s");
    CHECK(r.steps[0].failure_reason.empty());
    CHECK(r.steps[1].skip_reason.empty());
  }
}

TEST_CASE("schema 2.2: the unsupported-plugin skip comes before an unsatisfied precondition") {
  auto r = resolve_text(two_two("aws:psModule", "  precondition: {StringEquals: [platformType, Windows]}\n"));
  CHECK(r.steps[0].skip_reason == "Step execution skipped due to unsupported plugin: aws:psModule. Step name: s");
}

TEST_CASE("schema 2.2: an unsatisfied precondition says its reason once") {
  auto r = resolve_text(two_two("aws:runPowerShellScript", "  precondition: {StringEquals: [platformType, Windows]}\n"));
  CHECK(r.steps[0].skip_reason ==
        "Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [platformType, Windows]'. Step name: s");
}

TEST_CASE("an unknown plugin fails in every schema, with the agent's message") {
  auto r = resolve_text(two_two("aws:noSuchPlugin"));
  CHECK(r.steps[0].failure_reason ==
        "Plugin with name aws:noSuchPlugin is not supported by this version of ssm agent, please update to latest "
        "version. Step name: s");
  auto old = resolve_text("schemaVersion: '1.2'\nruntimeConfig:\n  aws:noSuchPlugin:\n    properties: [{id: x}]\n");
  CHECK(old.steps[0].failure_reason.find("is not supported by this version of ssm agent") != std::string::npos);
}

TEST_CASE("schema 1.2 and 2.0: a plugin with no Linux implementation fails the step") {
  auto r = resolve_text("schemaVersion: '1.2'\nruntimeConfig:\n  aws:applications:\n    properties: [{id: app}]\n");
  CHECK(r.steps[0].failure_reason == "Plugin with name aws:applications not found. Step name: app");
  CHECK(r.steps[0].skip_reason.empty());
  auto two = resolve_text("schemaVersion: '2.0'\nmainSteps:\n- {action: aws:psModule, name: m, inputs: {}}\n");
  CHECK(two.steps[0].failure_reason == "Plugin with name aws:psModule not found. Step name: m");
}

TEST_CASE("aws:cloudWatch with its configuration as a string loads in 1.2, and fails at run time") {
  const char* text = "{\"schemaVersion\": \"1.2\", \"runtimeConfig\": {\"aws:cloudWatch\": {\"properties\": "
                     "\"{\\\"EngineConfiguration\\\": {}}\"}}}";
  CHECK(validate_text(text, "cw.json").empty());
  auto r = resolve(load_text(text, "cw.json", "cw"), {}, "Linux");
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].name == "aws:cloudWatch");
  CHECK(r.steps[0].inputs["properties"].is_string());
  CHECK(plugin_support("aws:cloudWatch") == PluginSupport::agent_only);
}

TEST_CASE("every plugin the catalog says sshm runs is in the plugin table") {
  const auto& table = engine::plugin_table();
  for (const auto& name : known_plugins())
    if (plugin_support(name) == PluginSupport::runs) CHECK_MESSAGE(table.count(name) == 1, name);
}

TEST_CASE("Session documents are recognised, validated, and refused by run") {
  const char* port = "schemaVersion: '1.0'\ndescription: ports\nsessionType: Port\nparameters:\n  portNumber:\n"
                     "    type: String\n    default: '80'\nproperties:\n  portNumber: '{{ portNumber }}'\n";
  CHECK(validate_text(port, "p.yaml").empty());
  Document doc = load_text(port, "p.yaml", "p");
  CHECK(doc.document_type == "Session");
  CHECK(doc.session_type == "Port");
  try {
    resolve(doc, {}, "Linux");
    FAIL("a Session document resolved as a command");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("sshm session") != std::string::npos);
  }
  auto bad = validate_text("schemaVersion: '1.0'\nsessionType: Shell\ninputs: {}\n", "s.yaml");
  REQUIRE(bad.size() == 1);
  CHECK(std::string(bad[0].what()).find("sessionType must be") != std::string::npos);
}
