#pragma once
// Replaying a transcript on a terminal. A session's output is a terminal's own language, so
// a replay passes what draws the screen (text, colours, cursor moves, erasing, the
// alternate screen) and drops what could act beyond it: OSC (window titles, the clipboard,
// hyperlinks), DCS/APC/PM/SOS strings, C1 controls, queries that make the terminal answer
// (device status and attributes, window reports), and bytes that are not UTF-8.
#include <string>
#include <string_view>

namespace sshm::session {

class ReplayFilter {
public:
  // The drawable part of `bytes`; sequences split between calls are judged whole.
  std::string feed(std::string_view bytes);

private:
  enum class State { text, esc, csi, string, string_esc, utf8 };
  State m_state = State::text;
  std::string m_seq;    // the CSI sequence or UTF-8 character being read
  int m_utf8_left = 0;  // continuation bytes still expected
};

} // namespace sshm::session
