#include "fleet/python_literal.hpp"

#include "util/strings.hpp"

#include <cctype>
#include <cmath>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

namespace sshm::fleet {

namespace {

class PythonLiteral {
public:
  explicit PythonLiteral(std::string_view text) : m_s(text) {}

  // The value, or nullopt when the text is not exactly one literal.
  std::optional<nlohmann::json> parse() {
    skip_space();
    nlohmann::json v;
    if (!value(v)) return std::nullopt;
    skip_space();
    if (m_i != m_s.size()) return std::nullopt;
    return v;
  }

private:
  bool at_end() const { return m_i >= m_s.size(); }
  char peek(size_t ahead = 0) const { return m_i + ahead < m_s.size() ? m_s[m_i + ahead] : '\0'; }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++m_i;
  }
  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  bool value(nlohmann::json& out) {
    char c = peek();
    if (c == '[' || c == '(' || c == '{') {
      // Deeper nesting than any inventory needs is kept as text rather than recursed into.
      if (m_depth >= k_max_depth) return false;
      ++m_depth;
      bool ok = c == '[' ? sequence(out, ']') : c == '(' ? tuple(out) : dict(out);
      --m_depth;
      return ok;
    }
    if (c == '-' || c == '+') {
      ++m_i;
      skip_space();
      if (!number(out)) return false;
      if (c == '-') out = out.is_number_float() ? nlohmann::json(-out.get<double>()) : nlohmann::json(-out.get<long long>());
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))))
      return number(out);
    if (string_start()) return strings(out);
    if (name_char(c)) {
      size_t start = m_i;
      while (!at_end() && name_char(peek())) ++m_i;
      std::string_view word = m_s.substr(start, m_i - start);
      if (word == "True") out = true;
      else if (word == "False") out = false;
      else if (word == "None") out = nullptr;
      else return false;
      return true;
    }
    return false;
  }

  bool number(nlohmann::json& out) {
    size_t start = m_i;
    while (!at_end()) {
      char c = peek();
      if (name_char(c) || c == '.') {
        ++m_i;
      } else if ((c == '+' || c == '-') && m_i > start && (m_s[m_i - 1] == 'e' || m_s[m_i - 1] == 'E') &&
                 !(m_s.substr(start, 2) == "0x" || m_s.substr(start, 2) == "0X")) {
        ++m_i;
      } else {
        break;
      }
    }
    std::string token(m_s.substr(start, m_i - start));
    // Python refuses int text over 4300 digits (sys.int_info.default_max_str_digits), so the
    // value stays text; it also keeps the patterns below from running on huge tokens.
    if (token.size() > 4300) return false;
    static const std::regex k_int(R"(([1-9](_?[0-9])*)|(0(_?0)*))");
    static const std::regex k_hex(R"(0[xX](_?[0-9a-fA-F])+)");
    static const std::regex k_oct(R"(0[oO](_?[0-7])+)");
    static const std::regex k_bin(R"(0[bB](_?[01])+)");
    static const std::regex k_float(
        R"((([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.)([eE][+-]?[0-9](_?[0-9])*)?|[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*)");
    std::string digits;
    for (char c : token)
      if (c != '_') digits += c;
    try {
      if (std::regex_match(token, k_int)) {
        out = std::stoll(digits);
      } else if (std::regex_match(token, k_hex)) {
        out = std::stoll(digits.substr(2), nullptr, 16);
      } else if (std::regex_match(token, k_oct)) {
        out = std::stoll(digits.substr(2), nullptr, 8);
      } else if (std::regex_match(token, k_bin)) {
        out = std::stoll(digits.substr(2), nullptr, 2);
      } else if (std::regex_match(token, k_float)) {
        double d = std::stod(digits);
        if (!std::isfinite(d)) return false;
        out = d;
      } else {
        return false;
      }
    } catch (const std::exception&) {
      return false;  // out of range: keep the text
    }
    return true;
  }

  bool string_start() const {
    size_t i = m_i;
    while (i < m_s.size() && i - m_i < 2 && std::strchr("rRuUbB", m_s[i]) && m_s[i] != '\0') ++i;
    return i < m_s.size() && (m_s[i] == '\'' || m_s[i] == '"');
  }

  // One or more adjacent string literals, concatenated as Python does.
  bool strings(nlohmann::json& out) {
    std::string all;
    do {
      std::string one;
      if (!string_literal(one)) return false;
      all += one;
      skip_space();
    } while (!at_end() && string_start());
    out = all;
    return true;
  }

  bool string_literal(std::string& out) {
    bool raw = false;
    bool bytes = false;
    while (peek() != '\'' && peek() != '"') {
      char p = static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
      raw |= p == 'r';
      bytes |= p == 'b';
      ++m_i;
    }
    char quote = peek();
    bool triple = peek(1) == quote && peek(2) == quote;
    m_i += triple ? 3 : 1;
    while (true) {
      if (at_end()) return false;
      char c = peek();
      if (c == quote && (!triple || (peek(1) == quote && peek(2) == quote))) {
        m_i += triple ? 3 : 1;
        return true;
      }
      if (c == '\n' && !triple) return false;
      if (c != '\\') {
        out += c;
        ++m_i;
        continue;
      }
      char e = peek(1);
      if (e == '\0') return false;
      if (raw) {
        out += c;
        out += e;
        m_i += 2;
        continue;
      }
      m_i += 2;
      if (!escape(e, bytes, out)) return false;
    }
  }

  // The character(s) one backslash escape stands for (`e` follows the backslash, already
  // consumed); false when the whole value must stay text.
  bool escape(char e, bool bytes, std::string& out) {
    switch (e) {
    case '\n': break;
    case '\\': out += '\\'; break;
    case '\'': out += '\''; break;
    case '"': out += '"'; break;
    case 'a': out += '\a'; break;
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'v': out += '\v'; break;
    case 'x': {
      if (!hex_escape(2, out)) return false;
      break;
    }
    case 'u':
    case 'U':
      if (bytes) {
        out += '\\';
        out += e;
      } else if (!hex_escape(e == 'u' ? 4 : 8, out)) {
        return false;
      }
      break;
    case 'N':
      return false;  // named escapes: keep the whole value as text
    default:
      if (e >= '0' && e <= '7') {
        int v = e - '0';
        for (int k = 0; k < 2 && peek() >= '0' && peek() <= '7'; ++k) v = v * 8 + (m_s[m_i++] - '0');
        append_utf8(out, static_cast<unsigned>(v));
      } else {
        out += '\\';
        out += e;
      }
    }
    return true;
  }

  bool hex_escape(int n, std::string& out) {
    unsigned v = 0;
    for (int k = 0; k < n; ++k) {
      int d = hex_digit(peek());
      if (d < 0) return false;
      v = v * 16 + static_cast<unsigned>(d);
      ++m_i;
    }
    if (v > 0x10FFFF) return false;
    append_utf8(out, v);
    return true;
  }

  // Items up to `close`, with an optional trailing comma. Returns whether a comma was seen.
  bool items(std::vector<nlohmann::json>& out, char close, bool& comma) {
    ++m_i;
    comma = false;
    skip_space();
    while (peek() != close) {
      nlohmann::json v;
      if (!value(v)) return false;
      out.push_back(std::move(v));
      skip_space();
      if (peek() == ',') {
        comma = true;
        ++m_i;
        skip_space();
      } else if (peek() != close) {
        return false;
      }
    }
    ++m_i;
    return true;
  }

  bool sequence(nlohmann::json& out, char close) {
    std::vector<nlohmann::json> v;
    bool comma = false;
    if (!items(v, close, comma)) return false;
    out = nlohmann::json::array();
    for (auto& x : v) out.push_back(std::move(x));
    return true;
  }

  bool tuple(nlohmann::json& out) {
    std::vector<nlohmann::json> v;
    bool comma = false;
    if (!items(v, ')', comma)) return false;
    if (v.size() == 1 && !comma) {
      out = std::move(v[0]);  // (x) is x
      return true;
    }
    out = nlohmann::json::array();
    for (auto& x : v) out.push_back(std::move(x));
    return true;
  }

  bool dict(nlohmann::json& out) {
    ++m_i;
    out = nlohmann::json::object();
    skip_space();
    while (peek() != '}') {
      nlohmann::json key;
      nlohmann::json v;
      if (!value(key)) return false;
      skip_space();
      if (peek() != ':') return false;  // a set, or not a literal
      ++m_i;
      skip_space();
      if (!value(v)) return false;
      if (key.is_array() || key.is_object()) return false;
      out[key.is_string() ? key.get<std::string>() : key.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)] = std::move(v);
      skip_space();
      if (peek() == ',') {
        ++m_i;
        skip_space();
      } else if (peek() != '}') {
        return false;
      }
    }
    ++m_i;
    return true;
  }

  static constexpr int k_max_depth = 64;
  std::string_view m_s;
  size_t m_i = 0;
  int m_depth = 0;
};

} // namespace

std::optional<nlohmann::json> parse_python_literal(std::string_view text) { return PythonLiteral(text).parse(); }

} // namespace sshm::fleet
