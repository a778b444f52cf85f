#include "session/log_text.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cstdlib>

namespace sshm::session {

namespace {

constexpr char32_t k_replacement = 0xFFFD;
constexpr char32_t k_esc = 0x1b;

// The CSI sequence's numeric parameters ("" or missing ones as 0).
std::vector<size_t> numbers(const std::string& params) {
  std::vector<size_t> out{0};
  for (char c : params) {
    if (c == ';') {
      out.push_back(0);
    } else if (c >= '0' && c <= '9') {
      out.back() = std::min<size_t>(out.back() * 10 + static_cast<size_t>(c - '0'), LogText::k_max_line);
    }
  }
  return out;
}

} // namespace

void LogText::feed(std::string_view bytes, std::vector<std::string>& lines) {
  for (char b : bytes) utf8_byte(static_cast<unsigned char>(b), lines);
}

void LogText::utf8_byte(unsigned char b, std::vector<std::string>& lines) {
  if (m_utf8_left > 0) {
    if ((b & 0xC0) == 0x80) {
      m_utf8 = (m_utf8 << 6) | (b & 0x3F);
      if (--m_utf8_left == 0) {
        bool valid = m_utf8 >= m_utf8_min && m_utf8 <= 0x10FFFF && (m_utf8 < 0xD800 || m_utf8 > 0xDFFF);
        on_char(valid ? m_utf8 : k_replacement, lines);
      }
      return;
    }
    m_utf8_left = 0;
    on_char(k_replacement, lines);  // a sequence cut short; `b` starts afresh
  }
  if (b < 0x80) return on_char(b, lines);
  if (b >= 0xC2 && b <= 0xDF) {
    m_utf8 = b & 0x1F, m_utf8_left = 1, m_utf8_min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    m_utf8 = b & 0x0F, m_utf8_left = 2, m_utf8_min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    m_utf8 = b & 0x07, m_utf8_left = 3, m_utf8_min = 0x10000;
  } else {
    on_char(k_replacement, lines);
  }
}

void LogText::on_char(char32_t c, std::vector<std::string>& lines) {
  switch (m_state) {
  case State::esc:
    if (c == '[') {
      m_state = State::csi;
      m_params.clear();
    } else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') {
      m_state = State::string;
    } else {
      m_state = c >= 0x20 && c <= 0x2F ? State::esc_intermediate : State::text;
    }
    return;
  case State::esc_intermediate:
    if (c < 0x20 || c > 0x2F) m_state = State::text;
    return;
  case State::csi:
    if (c >= 0x30 && c <= 0x3F) {
      if (m_params.size() < 64) m_params += static_cast<char>(c);
    } else if (c >= 0x40 && c <= 0x7E) {
      m_state = State::text;
      if (c == 'H' || c == 'f') {  // the cursor goes elsewhere on the screen: a new line
        if (!m_line.empty()) end_line(lines);
        auto n = numbers(m_params);
        m_cursor = n.size() > 1 && n[1] > 0 ? n[1] - 1 : 0;
      } else {
        on_csi(static_cast<char>(c));
      }
    } else if (c < 0x20 || c > 0x2F) {
      m_state = State::text;
    }
    return;
  case State::string:
    if (c == 0x07) m_state = State::text;
    else if (c == k_esc) m_state = State::string_esc;
    return;
  case State::string_esc:
    m_state = c == '\\' ? State::text : State::string;
    return;
  case State::text:
    break;
  }
  if (c == '\n') return end_line(lines);
  if (c == '\r') {
    m_cursor = 0;
  } else if (c == '\b') {
    if (m_cursor > 0) --m_cursor;
  } else if (c == k_esc) {
    m_state = State::esc;
  } else if (c == 0x9B) {
    m_state = State::csi;
    m_params.clear();
  } else if (c == 0x90 || c == 0x9D || c == 0x9E || c == 0x9F || c == 0x98) {
    m_state = State::string;
  } else if (c == '\t' || (c >= 0x20 && c != 0x7F && (c < 0x80 || c > 0x9F))) {
    put(c);
    if (m_line.size() >= k_max_line) end_line(lines);
  }
}

void LogText::on_csi(char final_byte) {
  // Private sequences (modes such as ?1049h, the alternate screen) change nothing in the text.
  if (!m_params.empty() && (m_params[0] < '0' || m_params[0] > ';')) return;
  size_t n = numbers(m_params)[0];
  size_t count = std::max<size_t>(1, n);
  size_t at = std::min(m_cursor, m_line.size());
  switch (final_byte) {
  case 'K':  // erase in line: to the end, to the start, all
    if (n == 0) m_line.resize(at);
    else if (n == 1) std::fill(m_line.begin(), m_line.begin() + static_cast<long>(std::min(m_cursor + 1, m_line.size())), U' ');
    else m_line.clear();
    break;
  case 'C': m_cursor = std::min(m_cursor + count, k_max_line - 1); break;
  case 'D': m_cursor -= std::min(m_cursor, count); break;
  case 'G': m_cursor = std::min(count, k_max_line) - 1; break;
  case 'P': m_line.erase(at, std::min(count, m_line.size() - at)); break;
  case '@':
    if (m_cursor < m_line.size()) m_line.insert(at, std::min(count, k_max_line - m_line.size()), U' ');
    break;
  case 'X': std::fill_n(m_line.begin() + static_cast<long>(at), std::min(count, m_line.size() - at), U' '); break;
  default: break;  // colours and everything else: nothing to the text
  }
}

void LogText::put(char32_t c) {
  if (m_cursor < m_line.size()) {
    m_line[m_cursor] = c;
  } else {
    m_line.resize(m_cursor, U' ');
    m_line.push_back(c);
  }
  ++m_cursor;
}

void LogText::end_line(std::vector<std::string>& lines) {
  size_t end = m_line.size();
  while (end > 0 && (m_line[end - 1] == U' ' || m_line[end - 1] == U'\t')) --end;
  std::string line;
  line.reserve(end);
  for (size_t i = 0; i < end; ++i) append_utf8(line, static_cast<unsigned>(m_line[i]));
  lines.push_back(std::move(line));
  m_line.clear();
  m_cursor = 0;
}

void LogText::finish(std::vector<std::string>& lines) {
  if (m_utf8_left > 0) {
    m_utf8_left = 0;
    on_char(k_replacement, lines);
  }
  if (!m_line.empty()) end_line(lines);
  m_state = State::text;
}

std::string log_text(std::string_view output) {
  LogText text;
  std::vector<std::string> lines;
  text.feed(output, lines);
  text.finish(lines);
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

} // namespace sshm::session
