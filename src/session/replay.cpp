#include "session/replay.hpp"

namespace sshm::session {

namespace {

// CSI finals that only draw: cursor moves, erase, insert/delete, scroll, colours and modes.
bool drawing_final(char c) {
  static constexpr std::string_view k_finals = "ABCDEFGHJKLMPSTX@`adefmrhl";
  return k_finals.find(c) != std::string_view::npos;
}

// ESC followed by one of these is a whole, harmless sequence (save/restore cursor, keypad
// modes, index, reverse index, next line).
bool simple_escape(char c) { return c == '7' || c == '8' || c == '=' || c == '>' || c == 'D' || c == 'M' || c == 'E'; }

} // namespace

std::string ReplayFilter::feed(std::string_view bytes) {
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    switch (m_state) {
    case State::text:
      if (c == 0x1b) {
        m_state = State::esc;
      } else if (c >= 0xc2 && c <= 0xf4) {
        m_seq.assign(1, ch);
        m_utf8_left = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        m_state = State::utf8;
      } else if (c >= 0x20 && c < 0x7f) {
        out += ch;
      } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b') {
        out += ch;
      }
      break;
    case State::utf8:
      if ((c & 0xc0) != 0x80) {  // broken sequence: dropped, this byte read afresh
        m_state = State::text;
        out += feed(std::string_view(&ch, 1));
        break;
      }
      m_seq += ch;
      if (--m_utf8_left == 0) {
        m_state = State::text;
        bool c1 = static_cast<unsigned char>(m_seq[0]) == 0xc2 && static_cast<unsigned char>(m_seq[1]) < 0xa0;
        if (!c1) out += m_seq;
      }
      break;
    case State::esc:
      if (c == '[') {
        m_seq.assign("\x1b[");
        m_state = State::csi;
      } else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') {
        m_state = State::string;
      } else {
        if (simple_escape(ch)) out += std::string("\x1b") + ch;
        m_state = State::text;
      }
      break;
    case State::csi:
      m_seq += ch;
      if (c >= 0x40 && c <= 0x7e) {
        bool query = m_seq.find('>') != std::string::npos || m_seq.find('=') != std::string::npos;
        if (drawing_final(ch) && !query && m_seq.size() < 64) out += m_seq;
        m_state = State::text;
      } else if (c < 0x20 || c > 0x3f || m_seq.size() > 64) {
        m_state = State::text;  // not a CSI sequence: dropped
      }
      break;
    case State::string:  // until BEL or ST (ESC \)
      if (c == 0x07) m_state = State::text;
      else if (c == 0x1b) m_state = State::string_esc;
      break;
    case State::string_esc:
      m_state = c == '\\' ? State::text : State::string;
      break;
    }
  }
  return out;
}

} // namespace sshm::session
