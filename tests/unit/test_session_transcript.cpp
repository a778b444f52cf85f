// Transcripts: every byte both ways with its time, read back exactly, and a file that is not
// one refused with where it went wrong.
#include "session/transcript.hpp"
#include "session/replay.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace sshm::session;

TEST_CASE("a transcript round-trips binary bytes, kinds and order, in a 0600 file") {
  char tmpl[] = "/tmp/sshm-transcript-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::filesystem::path dir = tmpl;
  std::string binary("a\0b\n\xff", 5);
  {
    TranscriptWriter w(dir / "sessions" / "x.transcript");
    w.output("hello\r\n");
    w.input("ls\r");
    w.output(binary);
    w.note("Terminated: left with ~.");
    w.output("");
  }
  struct stat st{};
  REQUIRE(::stat((dir / "sessions" / "x.transcript").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto records = read_transcript(dir / "sessions" / "x.transcript");
  REQUIRE(records.size() == 4);
  CHECK(records[0].kind == 'o');
  CHECK(records[1].kind == 'i');
  CHECK(records[1].data == "ls\r");
  CHECK(records[2].data == binary);
  CHECK(records[3].kind == 'm');
  CHECK(output_text(records) == "hello\r\n" + binary);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a file that is not a transcript is an input error") {
  CHECK_THROWS_AS(parse_transcript("hello", "f"), sshm::InputError);
  CHECK_THROWS_AS(parse_transcript("sshm-transcript 1\n5 o 100\nshort\n", "f"), sshm::InputError);
  CHECK_THROWS_AS(parse_transcript("sshm-transcript 1\n5 z 1\nx\n", "f"), sshm::InputError);
  CHECK(parse_transcript("sshm-transcript 1\n", "f").empty());
}

TEST_CASE("replay keeps what draws and drops titles, queries and C1 controls") {
  ReplayFilter f;
  CHECK(f.feed("\x1b[1;31mred\x1b[0m\r\n") == "\x1b[1;31mred\x1b[0m\r\n");
  CHECK(f.feed("\x1b]0;evil title\x07ok") == "ok");
  CHECK(f.feed("\x1b[6n\x1b[cq") == "q");  // device status / attributes would answer
  CHECK(f.feed("\xc2\x9b" "2J") == "2J");
  CHECK(f.feed("caf\xc3") == "caf");  // split UTF-8 waits for its end
  CHECK(f.feed("\xa9") == "\xc3\xa9");
  CHECK(f.feed("\x1b[?1049h") == "\x1b[?1049h");
}
