// The session log as it is uploaded: terminal output made into the lines a reader saw, SSM's
// streamed CloudWatch event shape, its batching, and a stream that cannot be sent kept whole
// in the spool.
#include "session/log_text.hpp"
#include "session/transcript.hpp"
#include "session/upload.hpp"
#include "sinks/spool.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace sshm::session;

TEST_CASE("log text: the lines a reader saw, with nothing a terminal would act on") {
  CHECK(log_text("a\r\nb\n") == "a\nb\n");
  CHECK(log_text("\x1b[1;31mred\x1b[0m plain\r\n") == "red plain\n");
  CHECK(log_text("\x1b]0;user@host: ~\x07$ ls\r\n") == "$ ls\n");                // OSC title
  CHECK(log_text("\x1b]52;c;c2VjcmV0\x1b\\x\n") == "x\n");                          // clipboard, ST-ended
  CHECK(log_text("\x1bP+q544e\x1b\\\x1b[6n\x1b[?1049hok\n") == "ok\n");           // DCS, query, private mode
  CHECK(log_text("50%\r100%\n") == "100%\n");                                     // a progress line
  CHECK(log_text("$ ecoh\b\b\x1b[Kho hi\r\n") == "$ echo hi\n");                 // readline's correction
  CHECK(log_text("abcdef\r\x1b[2C\x1b[2PX\n") == "abXf\n");                      // cursor right, delete chars
  CHECK(log_text("ab\x1b[3Gc\x1b[1@\n") == "abc\n");
  CHECK(log_text("tab\there   \n") == "tab\there\n");                           // tabs kept, trailing blanks cut
  CHECK(log_text("bell\x07 nul\x01\x7f!\n") == "bell nul!\n");
  CHECK(log_text("bad \xff byte\n") == "bad \xEF\xBF\xBD byte\n");                // not UTF-8: U+FFFD
  CHECK(log_text("c1 \xC2\x9B" "31mcsi\n") == "c1 csi\n");                        // C1 CSI as UTF-8
  CHECK(log_text("unfinished prompt$ ") == "unfinished prompt$\n");
  CHECK(log_text("line1\n\nline3\n") == "line1\n\nline3\n");
  CHECK(log_text("\x1b[H\x1b[2Jtop\x1b[2;5Hrow2\n") == "top\n    row2\n");       // a new screen position
}

TEST_CASE("log text: sequences and characters split between pieces are judged whole") {
  std::string whole = "\x1b[31mgr\xC3\xBC\xC3\x9F\x1b[0m \xE2\x82\xAC\r\nnext\n";
  for (size_t cut = 0; cut <= whole.size(); ++cut) {
    LogText text;
    std::vector<std::string> lines;
    text.feed(std::string_view(whole).substr(0, cut), lines);
    text.feed(std::string_view(whole).substr(cut), lines);
    text.finish(lines);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC");
    CHECK(lines[1] == "next");
  }
}

TEST_CASE("log text: a line that never ends is cut") {
  std::vector<std::string> lines;
  LogText text;
  text.feed(std::string(LogText::k_max_line * 2 + 10, 'x'), lines);
  text.finish(lines);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].size() == LogText::k_max_line);
  CHECK(lines[2].size() == 10);
}

TEST_CASE("a streamed event has SSM's shape") {
  StreamIdentity who{"eu-west-1", "web-001", "alice", "deploy", "alice-0123456789abcdef0"};
  auto e = stream_event(who, {"$ echo hi", "hi"}, "2026-01-02T03:04:05.678Z");
  CHECK(e["eventVersion"] == "1.0");
  CHECK(e["eventTime"] == "2026-01-02T03:04:05.678Z");
  CHECK(e["awsRegion"] == "eu-west-1");
  CHECK(e["target"]["id"] == "web-001");
  CHECK(e["userIdentity"]["arn"] == "alice");
  CHECK(e["runAsUser"] == "deploy");
  CHECK(e["sessionId"] == "alice-0123456789abcdef0");
  CHECK(e["sessionData"] == nlohmann::json::array({"$ echo hi", "hi"}));
  CHECK(e.size() == 8);
}

TEST_CASE("streamed lines are batched into events that each fit the service's limit, in order") {
  StreamIdentity who{"us-east-1", "h", "u", "u", "u-0123456789abcdef0"};
  CHECK(stream_events(who, {}, 1000).empty());
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i) lines.push_back("line " + std::to_string(i) + std::string(100, '"'));
  lines.push_back(std::string(LogText::k_max_line, '\\'));  // the longest line, escaped to twice its size
  auto events = stream_events(who, lines, 1234);
  CHECK(events.size() > 1);
  std::vector<std::string> back;
  for (const auto& e : events) {
    CHECK(e.timestamp_ms == 1234);
    CHECK(e.message.size() + sshm::aws::k_event_overhead <= sshm::aws::k_max_event_bytes);
    auto json = nlohmann::json::parse(e.message);
    CHECK(json["sessionId"] == "u-0123456789abcdef0");
    for (const auto& l : json["sessionData"]) back.push_back(l.get<std::string>());
  }
  CHECK(back == lines);
}

TEST_CASE("a stream that cannot be sent is spooled whole at the end, and S3 too; the record says so") {
  char tmpl[] = "/tmp/sshm-upload-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::filesystem::path dir = tmpl;
  Preferences prefs;
  prefs.s3_bucket = "logs-bucket";
  prefs.s3_prefix = "/sessions/";
  prefs.log_group = "/ssm/sessions";
  prefs.streaming = true;
  StreamIdentity who{"", "web-001", "alice", "root", "alice-0123456789abcdef0"};
  sshm::aws::AwsOptions aws;
  aws.endpoint_url = "http://127.0.0.1:1";  // nothing listens there
  auto transcript_path = dir / "sessions" / "alice-0123456789abcdef0.transcript";
  sshm::store::SessionRecord rec;
  {
    TranscriptWriter transcript(transcript_path);
    SessionLogger logger(prefs, who, aws, dir);
    logger.check_before_start();
    logger.start();
    for (int i = 0; i < 50; ++i) {  // from this thread while the streamer runs (TSan checks the two)
      std::string piece = "out " + std::to_string(i) + "\r\n";
      transcript.output(piece);
      logger.output(piece);
    }
    transcript.output("prompt$ ");
    logger.output("prompt$ ");
    transcript.flush();
    logger.finish(transcript_path, rec);
  }
  auto uploads = rec.details["Uploads"];
  CHECK(uploads["S3"]["Status"] == "Spooled");
  CHECK(uploads["S3"]["Destination"] == "s3://logs-bucket/sessions/alice-0123456789abcdef0.log");
  CHECK(uploads["CloudWatchLogs"]["Status"] == "Spooled");
  CHECK(uploads["CloudWatchLogs"]["EventsSent"] == 0);
  auto pending = sshm::sinks::pending_for(dir, "alice-0123456789abcdef0");
  REQUIRE(pending.size() == 2);
  std::ifstream log(dir / "sessions" / "alice-0123456789abcdef0.log");
  std::string text((std::istreambuf_iterator<char>(log)), {});
  CHECK(text.find("out 49\nprompt$\n") != std::string::npos);
  // Every line streamed is in the one spooled logs entry, in order.
  std::string spooled;
  for (const auto& p : pending)
    if (p.kind == "logs") {
      std::ifstream in(dir / "spool" / p.id / "data");
      spooled.assign((std::istreambuf_iterator<char>(in)), {});
    }
  CHECK(spooled.find("out 0") < spooled.find("out 49"));
  CHECK(spooled.find("prompt$") != std::string::npos);
  std::filesystem::remove_all(dir);
}
