#pragma once
// What happens to the keys a person types in a session, before and after the host sees them:
// the `~.` escape that leaves (as ssh's), and the rule that decides which typed bytes the
// transcript may keep.
#include <string>
#include <string_view>

namespace sshm::session {

// ssh's escape: `~` typed first on a line is held; `~.` then leaves the session and `~~`
// sends one `~`; `~` followed by anything else sends both.
class EscapeReader {
public:
  // The bytes to send for `typed`; sets `leave` when `~.` was typed (bytes after it dropped).
  std::string feed(std::string_view typed, bool& leave);

private:
  bool m_line_start = true;
  bool m_tilde = false;
};

// Input is logged only while the remote terminal echoes it. sshm cannot read the remote
// tty's ECHO flag, so it asks the terminal itself: each typed byte is held back and logged
// only once the host has sent that same byte back as the very next thing it printed (a
// typed CR counts as echoed by "\r" or "\r\n"). The first output byte that is not the
// expected echo drops everything still held. A prompt with echo off (`read -s`, sudo,
// passwd) sends nothing back, so what is typed there is never logged; keys a full-screen
// program handles itself (arrows, vi commands) are not logged either, the output shows
// their effect.
class EchoGate {
public:
  // Keys sent to the host.
  void typed(std::string_view bytes);
  // Output from the host; returns the held bytes it echoed, to log as input.
  std::string echoed(std::string_view output);
  // Bytes held, waiting for their echo.
  size_t held() const { return m_held.size(); }

private:
  std::string m_held;
  bool m_skip_lf = false;  // a CR was echoed as "\r"; a "\n" right after belongs to it
};

} // namespace sshm::session
