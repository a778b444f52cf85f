// SSM's parameter interpolation (SSM user guide: "Parameters" in "Data elements and parameters"): every rule with the examples from SSM's docs.
#include "documents/document.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::documents;
using nlohmann::json;

TEST_CASE("a string that is exactly one token takes the typed value") {
  ParameterValues v{{"commands", json::array({"a", "b"})}, {"count", 3}, {"on", true}, {"map", {{"k", "v"}}}};
  CHECK(interpolate("{{ commands }}", v) == json::array({"a", "b"}));
  CHECK(interpolate("{{commands}}", v) == json::array({"a", "b"}));
  CHECK(interpolate("{{   count\t}}", v) == 3);
  CHECK(interpolate("{{ on }}", v) == true);
  CHECK(interpolate("{{ map }}", v) == json{{"k", "v"}});
}

TEST_CASE("AWS-GatherSoftwareInventory's \"{{ windowsRegistry}}\" resolves") {
  ParameterValues v{{"windowsRegistry", ""}, {"files", "x"}};
  CHECK(interpolate("{{ windowsRegistry}}", v) == "");
  CHECK(interpolate(json{{"windowsRegistry", "{{ windowsRegistry}}"}, {"files", "{{files }}"}}, v) ==
        json{{"windowsRegistry", ""}, {"files", "x"}});
}

TEST_CASE("inside a longer string non-strings are JSON-encoded, strings kept as they are") {
  ParameterValues v{{"commands", json::array({"a", "b"})}, {"n", 7}, {"b", false}, {"s", "hi \"x\""},
                    {"m", {{"k", "v"}}}};
  CHECK(interpolate("echo {{ commands }}", v) == "echo [\"a\",\"b\"]");
  CHECK(interpolate("n={{n}} b={{ b }}", v) == "n=7 b=false");
  CHECK(interpolate("say {{ s }}", v) == "say hi \"x\"");
  CHECK(interpolate("m={{m}}", v) == "m={\"k\":\"v\"}");
}

TEST_CASE("a token with whitespace around it is embedded, so the value becomes text") {
  ParameterValues v{{"n", 7}};
  CHECK(interpolate(" {{ n }}", v) == " 7");
  CHECK(interpolate("{{ n }} ", v) == "7 ");
}

TEST_CASE("one pass: a value holding a token is not expanded again") {
  ParameterValues v{{"a", "{{ b }}"}, {"b", "B"}};
  CHECK(interpolate("x {{ a }} {{ b }}", v) == "x {{ b }} B");
  CHECK(interpolate("{{ a }}", v) == "{{ b }}");
}

TEST_CASE("$$ in a value collapses to $ when embedded, as the agent's regexp replacement does") {
  ParameterValues v{{"p", "cost $$5 and $HOME"}};
  CHECK(interpolate("echo {{ p }}", v) == "echo cost $5 and $HOME");
  // The whole-value form returns the value untouched.
  CHECK(interpolate("{{ p }}", v) == "cost $$5 and $HOME");
}

TEST_CASE("unknown tokens and {{ssm:...}} references stay verbatim") {
  ParameterValues v{{"a", "A"}};
  CHECK(interpolate("{{ foo }} {{a}} {{ssm:/my/param}} {{ a b }}", v) == "{{ foo }} A {{ssm:/my/param}} {{ a b }}");
  CHECK(interpolate("{{ foo }}", v) == "{{ foo }}");
  CHECK(interpolate("{{{{a}}}}", v) == "{{A}}");
}

TEST_CASE("arrays and objects are traversed; other scalars untouched") {
  ParameterValues v{{"a", "A"}, {"l", json::array({"x"})}};
  json in = {{"list", {"{{ a }}", "-{{a}}-", 5, nullptr, "{{ l }}"}}, {"nested", {{"k", "{{ a }}"}}}, {"t", true}};
  json out = interpolate(in, v);
  CHECK(out == json{{"list", {"A", "-A-", 5, nullptr, json::array({"x"})}}, {"nested", {{"k", "A"}}}, {"t", true}});
}

TEST_CASE("{{ssm:...}} references go through the resolver hook") {
  SsmResolver ssm = [](const std::string& name, bool whole) -> json {
    if (name == "/app/list") return whole ? json::array({"ls", "echo a"}) : json("ls,echo a");
    if (name == "/app/host:3") return "db3";
    throw InputError("unknown parameter " + name);
  };
  CHECK(resolve_ssm_references("{{ssm:/app/host:3}}", ssm) == "db3");
  CHECK(resolve_ssm_references("{{ ssm:/app/list }}", ssm) == json::array({"ls", "echo a"}));
  CHECK(resolve_ssm_references(json::array({"ping {{ssm:/app/host:3}} -c1"}), ssm) == json::array({"ping db3 -c1"}));
  CHECK_THROWS_AS(resolve_ssm_references("{{ssm:/nope}}", ssm), InputError);
  CHECK(resolve_ssm_references("{{ssm:/nope}}", SsmResolver{}) == "{{ssm:/nope}}");
}
