// The fake transport reads what the executor really sends: these cases hold it to the
// wrapper's protocol, so a fake that drifts from plugins/executor.cpp fails here first.
#include "fake_transport.hpp"
#include "plugins/executor.hpp"

#include <doctest/doctest.h>

using namespace sshm;

namespace {

const std::map<std::string, std::string> k_env = {{"SSHM_STEP", "it's a step"}, {"SSHM_HOST", "web-1"}};

test::Request decoded_wrapper(const std::string& script) {
  std::string wrapper = plugins::build_wrapper("\"/tmp/sshm-abc\"", "abc-123", script, "/srv", k_env, 30);
  auto r = test::decode("sudo -n -u 'deploy' sh -s", wrapper);
  REQUIRE(r.has_value());
  return *r;
}

} // namespace

TEST_CASE("the fake decodes an inline wrapper: its script, environment, run marker and user") {
  test::Request r = decoded_wrapper("echo 'one'\nprintf \"%s\\n\" \"$SSHM_STEP\"");
  CHECK(r.wrapped);
  CHECK_FALSE(r.kill);
  CHECK(r.run_as == "deploy");
  CHECK(r.run_id == "abc-123");
  CHECK(r.script == "echo 'one'\nprintf \"%s\\n\" \"$SSHM_STEP\"\n");
  CHECK(r.step() == "it's a step");
  CHECK(r.env.at("SSHM_HOST") == "web-1");
  CHECK(r.env.at("SSHM_RUN_ID") == "abc-123");
}

TEST_CASE("the fake decodes a wrapper that writes its script to a file") {
  REQUIRE(plugins::wrapper_uses_file("#!/bin/bash\necho hi\n"));
  test::Request r = decoded_wrapper("#!/bin/bash\necho hi\n");
  CHECK(r.wrapped);
  CHECK(r.script == "#!/bin/bash\necho hi\n");
  CHECK(r.step() == "it's a step");
}

TEST_CASE("the fake knows a kill by the run it names, and fails a kill of a run never started") {
  auto k = test::decode("sh -s", plugins::build_kill_command("\"/tmp/sshm-abc\"", "abc-123"));
  REQUIRE(k.has_value());
  CHECK(k->kill);
  CHECK_FALSE(k->wrapped);
  CHECK(k->run_id == "abc-123");

  test::FakeTransport t;
  auto s = t.session("h");
  ssh::ExecRequest kill{"sh -s", plugins::build_kill_command("\"/tmp/sshm-x\"", "never"), {}, {}, {}, nullptr};
  CHECK(s->exec(kill).has_value());
  CHECK(t.kills == 1);
  REQUIRE(t.protocol_errors.size() == 1);
  t.protocol_errors.clear();  // seen; the fake's destructor would fail the case otherwise
}

TEST_CASE("the fake refuses a script sent to a command that does not read stdin") {
  CHECK_FALSE(test::decode("bash -c true", "echo hi\n").has_value());
  auto plain = test::decode("sh -s", "echo hi\n");
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->wrapped);
  CHECK(plain->script == "echo hi\n");
}

TEST_CASE("the fake answers by the first responder that wants the request, else by the host's fields") {
  test::FakeTransport t;
  t.hosts["h"].exit_status = 3;
  t.hosts["h"].step_exit = {{"it's a step", 7}};
  t.hosts["h"].on(test::script_starts_with("uptime"), test::reply({0, "up\n", ""}));
  auto s = t.session("h");
  std::string out;
  auto run = [&](const std::string& script) {
    ssh::ExecRequest req;
    req.command = "sh -s";
    req.stdin_data = plugins::build_wrapper("\"/tmp/d\"", "r1", script, "", k_env, 30);
    req.on_stdout = [&](std::string_view d) { out.append(d); };
    return s->exec(req)->exit_status;
  };
  CHECK(run("uptime") == 0);
  CHECK(out == "up\n");
  CHECK(run("true") == 7);  // the step's own exit status
  ssh::ExecRequest plain;
  plain.command = "sh -s";
  plain.stdin_data = "true\n";
  CHECK(s->exec(plain)->exit_status == 3);  // not a step: the host's
  CHECK(t.requests_to("h").size() == 3);
}
