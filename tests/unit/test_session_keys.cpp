// The typed-key rules of a session: the `~.` escape, and which typed bytes the transcript
// keeps (only those the host echoed back).
#include "session/keys.hpp"

#include <doctest/doctest.h>

using namespace sshm::session;

TEST_CASE("~. at the start of a line leaves; elsewhere a tilde is just typed") {
  EscapeReader r;
  bool leave = false;
  CHECK(r.feed("ls ~/x\r", leave) == "ls ~/x\r");
  CHECK_FALSE(leave);
  CHECK(r.feed("~", leave).empty());  // held
  CHECK(r.feed(".", leave).empty());
  CHECK(leave);
}

TEST_CASE("~~ sends one tilde and ~x sends both") {
  EscapeReader r;
  bool leave = false;
  CHECK(r.feed("~~", leave) == "~");
  CHECK(r.feed("\r~x", leave) == "\r~x");
  CHECK_FALSE(leave);
  CHECK(r.feed("\r~.rest", leave) == "\r");
  CHECK(leave);
}

TEST_CASE("echoed keys are logged, CR echoed as CRLF included") {
  EchoGate g;
  g.typed("ls\r");
  CHECK(g.echoed("l") == "l");
  CHECK(g.echoed("s\r\nfile\r\n") == "s\r");
  CHECK(g.held() == 0);
}

TEST_CASE("keys typed where the host does not echo are never logged") {
  EchoGate g;
  g.typed("hunter2\r");
  // The host prints its answer, not the keys: everything held is dropped.
  CHECK(g.echoed("\r\nlen=7\r\n").empty());
  CHECK(g.held() == 0);
  g.typed("x");
  CHECK(g.echoed("x") == "x");
}

TEST_CASE("keys typed ahead of their echo are matched in order across pieces") {
  EchoGate g;
  g.typed("ab");
  g.typed("c\r");
  CHECK(g.echoed("a") == "a");
  CHECK(g.echoed("bc\r") == "bc\r");
  CHECK(g.echoed("\nout").empty());
  CHECK(g.held() == 0);
}
