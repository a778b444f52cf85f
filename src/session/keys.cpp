#include "session/keys.hpp"

namespace sshm::session {

namespace {

// More held than this is not being echoed: stop holding (and never log) the rest.
constexpr size_t k_max_held = 4096;

} // namespace

std::string EscapeReader::feed(std::string_view typed, bool& leave) {
  std::string out;
  leave = false;
  for (char c : typed) {
    if (m_tilde) {
      m_tilde = false;
      if (c == '.') {
        leave = true;
        return out;
      }
      if (c != '~') out += '~';
      out += c;
      m_line_start = c == '\r' || c == '\n';
      continue;
    }
    if (c == '~' && m_line_start) {
      m_tilde = true;
      continue;
    }
    out += c;
    m_line_start = c == '\r' || c == '\n';
  }
  return out;
}

void EchoGate::typed(std::string_view bytes) {
  if (m_held.size() + bytes.size() > k_max_held) return;
  m_held.append(bytes);
}

std::string EchoGate::echoed(std::string_view output) {
  std::string confirmed;
  size_t matched = 0;
  for (char b : output) {
    if (m_skip_lf) {
      m_skip_lf = false;
      if (b == '\n') continue;
    }
    if (matched == m_held.size()) break;
    if (b != m_held[matched]) {
      // Not the echo: whatever is still held was typed where the host does not echo.
      m_held.clear();
      return confirmed;
    }
    confirmed += b;
    ++matched;
    if (b == '\r') m_skip_lf = true;
  }
  m_held.erase(0, matched);
  return confirmed;
}

} // namespace sshm::session
