#pragma once
// Text from hosts made safe to print for a person: a host's bytes can never move the
// cursor, clear the screen, set the window title or split one host's line into two.
//
// The one form used everywhere: each byte that is not safe is shown as \xNN (two lower-case
// hex digits), as the C escape. Unsafe bytes are the C0 controls except \t and newline
// (so ESC shows as \x1b, CR as \x0d), DEL (\x7f), the C1 controls U+0080..U+009F (their
// UTF-8 bytes, e.g. \xc2\x9b), and every byte that is not part of valid UTF-8. Valid
// UTF-8 text, tabs and (where kept) newlines pass unchanged. A backslash is not escaped.
#include <string>
#include <string_view>

namespace sshm {

// `text` with every unsafe byte shown as \xNN. With keep_newlines false a newline is
// shown as \x0a too (for host names and one-line fields).
std::string terminal_safe(std::string_view text, bool keep_newlines = true);

// The same over text that arrives in pieces: a UTF-8 sequence split between two pieces
// is judged whole. Feed the pieces in order, then call finish() once.
class TerminalSafeStream {
public:
  explicit TerminalSafeStream(bool keep_newlines = true) : m_keep_newlines(keep_newlines) {}
  std::string feed(std::string_view piece);
  std::string finish();

private:
  bool m_keep_newlines;
  std::string m_pending;  // the start of a UTF-8 sequence cut at the end of the last piece
};

} // namespace sshm
