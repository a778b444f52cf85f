#include "sinks/cloudwatch_sink.hpp"
#include "sinks/layout.hpp"
#include "sinks/notify_sink.hpp"
#include "sinks/sinks.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace sshm;
using namespace sshm::sinks;

TEST_CASE("S3 keys follow SSM's layout") {
  CHECK(s3_key("out", "cmd-1", "web-01", "aws:runShellScript", "runShellScript", "stdout") ==
        "out/cmd-1/web-01/awsrunShellScript/runShellScript/stdout");
  // Schema 1.2 step ids carry the plugin name; ':' removed everywhere.
  CHECK(s3_key("", "cmd-1", "web-01", "aws:runShellScript", "0.aws:runShellScript", "stderr") ==
        "cmd-1/web-01/awsrunShellScript/0.awsrunShellScript/stderr");
  CHECK(s3_key("a//b/", "c", "h", "p", "s", "stdout") == "a/b/c/h/p/s/stdout");
}

TEST_CASE("CloudWatch names follow SSM's layout") {
  CHECK(default_log_group("AWS-RunShellScript") == "/aws/ssm/AWS-RunShellScript");
  CHECK(default_log_group("My Doc:v2+x#1") == "/aws/ssm/My.Doc.v2.x#1");
  CHECK(log_stream_name("cmd", "web-01", "aws:runShellScript", "stdout") == "cmd/web-01/aws-runShellScript/stdout");
  CHECK(log_stream_name("cmd", "h", "a*b:c", "stderr") == "cmd/h/a-b-c/stderr");
  // Schema 1.2: the property id's plugin, as SSM's .../aws-runShellScript/stdout.
  CHECK(log_stream_name("cmd", "web-01", "0.aws:runShellScript", "stdout") == "cmd/web-01/aws-runShellScript/stdout");
  CHECK(log_stream_name("cmd", "web-01", "v1.2", "stdout") == "cmd/web-01/v1.2/stdout");
}

TEST_CASE("output is cut into line events; the unfinished line waits for more") {
  LineSplitter splitter;
  std::vector<aws::LogEvent> out;
  splitter.feed("one\ntw", 1, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].message == "one");
  splitter.feed("o\r\n\nthree", 2, out);
  REQUIRE(out.size() == 2);
  CHECK(out[1].message == "two");  // empty line skipped, CR dropped
  CHECK(out[1].timestamp_ms == 2);
  splitter.finish(3, out);
  REQUIRE(out.size() == 3);
  CHECK(out[2].message == "three");
}

TEST_CASE("notification events as SSM's NotificationEvents") {
  CHECK(notification_event("Success") == "Success");
  CHECK(notification_event("DeliveryTimedOut") == "TimedOut");
  CHECK(notification_event("Undeliverable") == "Failed");
  CHECK(notification_event("Terminated") == "Failed");
  CHECK(notification_event("Pending").empty());
  CHECK(notification_event("Cancelling").empty());

  store::CommandRecord c;
  c.command_id = "cmd";
  c.document_name = "AWS-RunShellScript";
  c.requested_date_time = "2026-11-28T06:00:00.000Z";
  c.timeout_seconds = 600;
  c.status = "Success";
  auto m = command_message(c, "2026-11-28T06:01:00.000Z");
  // SSM: delivery timeout plus execution timeout (the agent's 3600 s when the document has none).
  CHECK(m["expiresAfter"] == "2026-11-28T07:10:00.000Z");
  c.parameters = {{"executionTimeout", {"60"}}};
  CHECK(command_message(c, "2026-11-28T06:01:00.000Z")["expiresAfter"] == "2026-11-28T06:11:00.000Z");
  CHECK(m["status"] == "Success");
  CHECK(m.contains("outputS3BucketName"));
  store::InvocationRecord i;
  i.instance_id = "web-01";
  i.status = "Failed";
  auto mi = invocation_message(i, "t");
  CHECK(mi["instanceId"] == "web-01");
  CHECK_FALSE(mi.contains("instanceIds"));
}

TEST_CASE("sink options are checked with did-you-mean") {
  SinkOptions o;
  o.state_dir = "/tmp";
  o.notify = {"https://hooks.example/x"};
  o.notify_events = {"Sucess"};
  try {
    validate(o);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.suggestion() == "Success");
  }
  o.notify_events = {"All"};
  o.notify = {"ftp://x"};
  CHECK_THROWS_AS(validate(o), InputError);
  o.notify = {"exec:logger -t sshm"};
  CHECK_NOTHROW(validate(o));
  o.s3_bucket = "Bad_Bucket";
  CHECK_THROWS_AS(validate(o), InputError);
  o.s3_bucket = "good.bucket-1";
  CHECK_NOTHROW(validate(o));
}
