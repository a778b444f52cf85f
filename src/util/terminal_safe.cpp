#include "util/terminal_safe.hpp"

namespace sshm {

namespace {

void append_hex(std::string& out, unsigned char c) {
  static const char* k_digits = "0123456789abcdef";
  out += "\\x";
  out += k_digits[c >> 4];
  out += k_digits[c & 0xf];
}

// Length of the UTF-8 sequence led by `c` (0: not a lead byte).
size_t sequence_length(unsigned char c) {
  if (c >= 0xc2 && c <= 0xdf) return 2;
  if (c >= 0xe0 && c <= 0xef) return 3;
  if (c >= 0xf0 && c <= 0xf4) return 4;
  return 0;
}

// Whether the `n` bytes at `s` are one valid UTF-8 sequence (no overlong forms, no
// surrogates, nothing above U+10FFFF) that is not a C1 control.
bool valid_sequence(const unsigned char* s, size_t n) {
  for (size_t i = 1; i < n; ++i)
    if ((s[i] & 0xc0) != 0x80) return false;
  if (n == 2) return !(s[0] == 0xc2 && s[1] <= 0x9f);  // U+0080..U+009F are C1 controls
  if (n == 3 && s[0] == 0xe0) return s[1] >= 0xa0;
  if (n == 3 && s[0] == 0xed) return s[1] <= 0x9f;
  if (n == 4 && s[0] == 0xf0) return s[1] >= 0x90;
  if (n == 4 && s[0] == 0xf4) return s[1] <= 0x8f;
  return true;
}

// Escapes `text` into `out`; when `hold_tail`, an incomplete sequence at the very end is
// not judged but returned, to be completed by the next piece.
std::string escape_into(std::string& out, std::string_view text, bool keep_newlines, bool hold_tail) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      bool safe = (c >= 0x20 && c != 0x7f) || c == '\t' || (c == '\n' && keep_newlines);
      if (safe) out += static_cast<char>(c);
      else append_hex(out, c);
      ++i;
      continue;
    }
    size_t len = sequence_length(c);
    if (len > 0 && i + len > n && hold_tail) {
      // Cut at the end: keep it if what is there could still become valid.
      bool could_be = true;
      for (size_t k = i + 1; k < n; ++k)
        if ((s[k] & 0xc0) != 0x80) could_be = false;
      if (could_be) return std::string(text.substr(i));
    }
    if (len > 0 && i + len <= n && valid_sequence(s + i, len)) {
      out.append(text.substr(i, len));
      i += len;
      continue;
    }
    append_hex(out, c);
    ++i;
  }
  return {};
}

} // namespace

std::string terminal_safe(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  escape_into(out, text, keep_newlines, false);
  return out;
}

std::string TerminalSafeStream::feed(std::string_view piece) {
  std::string out;
  if (!m_pending.empty()) {
    std::string joined = std::move(m_pending);
    joined.append(piece);
    m_pending = escape_into(out, joined, m_keep_newlines, true);
    return out;
  }
  m_pending = escape_into(out, piece, m_keep_newlines, true);
  return out;
}

std::string TerminalSafeStream::finish() {
  std::string out;
  escape_into(out, m_pending, m_keep_newlines, false);
  m_pending.clear();
  return out;
}

} // namespace sshm
