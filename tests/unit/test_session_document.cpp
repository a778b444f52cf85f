// Session documents and preferences: the built-ins parse, parameters are checked and
// interpolated, preferences and flags give the session's limits and user.
#include "session/document.hpp"
#include "session/session_id.hpp"
#include "session/shell.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <regex>

using namespace sshm::session;
using std::chrono::seconds;

TEST_CASE("every built-in session document parses") {
  for (const auto& name : builtin_session_documents()) {
    CAPTURE(name);
    CHECK_NOTHROW(load_session_document(name));
  }
  CHECK(load_session_document("AWS-StartPortForwardingSession").type == SessionType::port);
  CHECK(load_session_document("AWS-StartNonInteractiveCommand").type == SessionType::non_interactive);
}

TEST_CASE("the default plan is a login shell with SSM's 20 minute idle timeout") {
  PlanRequest req;
  SessionPlan p = make_plan(req);
  CHECK(p.document_name == "SSM-SessionManagerRunShell");
  CHECK(p.type == SessionType::standard_stream);
  CHECK(p.command.empty());
  CHECK(p.limits.idle == seconds(1200));
  CHECK(p.limits.max_duration == seconds(0));
}

TEST_CASE("--run-as wraps the shell or the command in sudo -n") {
  PlanRequest req;
  req.run_as = "deploy";
  CHECK(make_plan(req).command == "sudo -n -u 'deploy' -i");
  req.document = "AWS-StartInteractiveCommand";
  req.parameters = {"command=top -b"};
  CHECK(make_plan(req).command == "sudo -n -u 'deploy' -- sh -c 'top -b'");
}

TEST_CASE("port forwarding parameters: defaults, the remote host, bad values refused") {
  PlanRequest req;
  req.document = "AWS-StartPortForwardingSessionToRemoteHost";
  req.parameters = {"host=db.internal", "portNumber=5432", "localPortNumber=15432"};
  SessionPlan p = make_plan(req);
  CHECK(p.forward.host == "db.internal");
  CHECK(p.forward.port == 5432);
  CHECK(p.forward.local_port == 15432);
  req.parameters = {"portNumber=5432"};
  CHECK_THROWS_AS(make_plan(req), sshm::InputError);  // host is required
  req.document = "AWS-StartPortForwardingSession";
  req.parameters = {"portNumber=99999"};
  CHECK_THROWS_AS(make_plan(req), sshm::InputError);
  req.parameters = {"portnumber=80"};
  CHECK_THROWS_AS(make_plan(req), sshm::InputError);
  req.parameters = {};
  CHECK(make_plan(req).forward.port == 80);
}

TEST_CASE("preferences: durations, run-as default, shell profile, unknown keys refused") {
  auto doc = parse_session_document(R"({"schemaVersion": "1.0", "sessionType": "Standard_Stream",
    "inputs": {"idleSessionTimeout": "5", "maxSessionDuration": "90", "runAsEnabled": true,
               "runAsDefaultUser": "ops", "shellProfile": {"linux": "cd /srv", "windows": ""},
               "s3BucketName": "logs", "cloudWatchStreamingEnabled": "true"}})",
                                    "p.json", "p");
  Preferences p = preferences_of(doc);
  CHECK(p.idle == seconds(300));
  CHECK(p.max_duration == seconds(5400));
  CHECK(p.run_as_default_user == "ops");
  CHECK(p.shell_profile == "cd /srv");
  CHECK(p.streaming);
  CHECK_THROWS_AS(parse_session_document(R"({"schemaVersion": "1.0", "sessionType": "Standard_Stream",
    "inputs": {"idleSessionTimout": "5"}})", "p.json", "p"), sshm::InputError);
  CHECK_THROWS_AS(parse_session_document(R"({"schemaVersion": "1.0", "sessionType": "Shell"})", "p.json", "p"),
                  sshm::InputError);
}

TEST_CASE("durations and warning lead times") {
  CHECK(parse_duration("20", "x") == seconds(1200));
  CHECK(parse_duration("30s", "x") == seconds(30));
  CHECK(parse_duration("2h", "x") == seconds(7200));
  CHECK_THROWS_AS(parse_duration("0", "x"), sshm::InputError);
  CHECK_THROWS_AS(parse_duration("-5", "x"), sshm::InputError);
  CHECK_THROWS_AS(parse_duration("5d", "x"), sshm::InputError);
  CHECK(warning_lead(seconds(1200)) == seconds(60));
  CHECK(warning_lead(seconds(10)) == seconds(5));
}

TEST_CASE("session IDs have SSM's form") {
  CHECK(std::regex_match(new_session_id("alice"), std::regex("alice-[0-9a-f]{17}")));
  CHECK(std::regex_match(new_session_id("a/b c"), std::regex("abc-[0-9a-f]{17}")));
  CHECK(std::regex_match(new_session_id("\x1b"), std::regex("sshm-[0-9a-f]{17}")));
}
