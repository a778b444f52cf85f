#include "util/terminal_safe.hpp"

#include <doctest/doctest.h>

using sshm::terminal_safe;
using sshm::TerminalSafeStream;

TEST_CASE("terminal_safe shows escape sequences as \\xNN and keeps text") {
  CHECK(terminal_safe("\033]0;pwned\007\033[2J") == "\\x1b]0;pwned\\x07\\x1b[2J");
  CHECK(terminal_safe("\033[1A\033[2Kfake: host002: Success") == "\\x1b[1A\\x1b[2Kfake: host002: Success");
  CHECK(terminal_safe("plain text\twith tab\n") == "plain text\twith tab\n");
  CHECK(terminal_safe("back\\slash") == "back\\slash");
  CHECK(terminal_safe("cr\r") == "cr\\x0d");
  CHECK(terminal_safe("del\x7f") == "del\\x7f");
  CHECK(terminal_safe(std::string_view("nul\0end", 7)) == "nul\\x00end");
}

TEST_CASE("terminal_safe keeps valid UTF-8 and shows C1 controls and invalid bytes") {
  CHECK(terminal_safe("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80") == "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(terminal_safe("csi\xc2\x9b" "2J") == "csi\\xc2\\x9b2J");  // U+009B, the 8-bit CSI
  CHECK(terminal_safe("raw\x9b" "2J") == "raw\\x9b2J");
  CHECK(terminal_safe("bad\xff\xfe") == "bad\\xff\\xfe");
  CHECK(terminal_safe("cut\xe2\x82") == "cut\\xe2\\x82");
  CHECK(terminal_safe("overlong\xc0\xaf") == "overlong\\xc0\\xaf");
  CHECK(terminal_safe("surrogate\xed\xa0\x80") == "surrogate\\xed\\xa0\\x80");
}

TEST_CASE("terminal_safe without newlines keeps a name on one line") {
  CHECK(terminal_safe("host\nfake: line", false) == "host\\x0afake: line");
  CHECK(terminal_safe("a\tb", false) == "a\tb");
}

TEST_CASE("terminal_safe output is already safe") {
  std::string once = terminal_safe("x\033y\xff\n");
  CHECK(terminal_safe(once) == once);
}

TEST_CASE("TerminalSafeStream judges a UTF-8 sequence split between pieces whole") {
  TerminalSafeStream s;
  std::string out = s.feed("a\xe2");
  out += s.feed("\x82");
  out += s.feed("\xac\033");
  out += s.finish();
  CHECK(out == "a\xe2\x82\xac\\x1b");

  TerminalSafeStream cut;
  std::string partial = cut.feed("end\xe2\x82");
  partial += cut.finish();
  CHECK(partial == "end\\xe2\\x82");

  TerminalSafeStream broken;
  std::string b = broken.feed("\xe2");
  b += broken.feed("x");
  b += broken.finish();
  CHECK(b == "\\xe2x");
}
