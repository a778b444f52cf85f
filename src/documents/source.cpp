#include "documents/source.hpp"

#include "util/bounded_parse.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

namespace sshm::documents {

void SourceMap::add(const std::string& pointer, int line, int column) {
  m_positions.emplace(pointer, std::make_pair(line, column));
}

Location SourceMap::at(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    if (auto it = m_positions.find(p); it != m_positions.end())
      return Location{m_file, it->second.first, it->second.second};
    if (p.empty()) return Location{m_file, 1, 1};
    p.erase(p.rfind('/'));
  }
}

std::string pointer_child(const std::string& parent, const std::string& key) {
  std::string out = parent + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_child(const std::string& parent, size_t index) {
  return parent + "/" + std::to_string(index);
}

namespace {

// Line and column (1-based, columns in bytes) of byte offsets in a text.
class LineIndex {
public:
  explicit LineIndex(const std::string& text) {
    m_starts.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') m_starts.push_back(i + 1);
  }
  std::pair<int, int> at(size_t offset) const {
    auto it = std::upper_bound(m_starts.begin(), m_starts.end(), offset);
    size_t line = static_cast<size_t>(it - m_starts.begin());
    return {static_cast<int>(line), static_cast<int>(offset - m_starts[line - 1] + 1)};
  }

private:
  std::vector<size_t> m_starts;
};

// Walks JSON text that nlohmann already accepted and records where each key and list
// item starts. It trusts the text to be valid, so it only tracks structure.
class JsonLocator {
public:
  JsonLocator(const std::string& text, const LineIndex& lines, SourceMap& map)
      : m_text(text), m_lines(lines), m_map(map) {}

  void run() {
    if (m_text.compare(0, 3, "\xEF\xBB\xBF") == 0) m_pos = 3;
    skip_space();
    record("");
    value("");
  }

private:
  void record(const std::string& pointer) {
    auto [line, column] = m_lines.at(m_pos);
    m_map.add(pointer, line, column);
  }
  char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
  void skip_space() {
    while (m_pos < m_text.size() && std::string_view(" \t\r\n").find(m_text[m_pos]) != std::string_view::npos) ++m_pos;
  }
  unsigned hex4() {
    unsigned v = 0;
    for (int k = 0; k < 4 && m_pos < m_text.size(); ++k, ++m_pos) {
      char c = m_text[m_pos];
      // nlohmann accepted the text, so these are hex digits.
      v = v * 16 + static_cast<unsigned>(hex_digit(c));
    }
    return v;
  }
  std::string string() {
    std::string out;
    ++m_pos;  // opening quote
    while (m_pos < m_text.size() && m_text[m_pos] != '"') {
      char c = m_text[m_pos++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = m_text[m_pos++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        unsigned cp = hex4();
        if (cp >= 0xD800 && cp < 0xDC00 && m_text.compare(m_pos, 2, "\\u") == 0) {
          m_pos += 2;
          unsigned low = hex4();
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;
      }
    }
    ++m_pos;  // closing quote
    return out;
  }
  void value(const std::string& pointer) {
    skip_space();
    char c = peek();
    if (c == '{') {
      ++m_pos;
      skip_space();
      while (peek() == '"') {
        size_t key_at = m_pos;
        std::string child = pointer_child(pointer, string());
        size_t saved = m_pos;
        m_pos = key_at;
        record(child);
        m_pos = saved;
        skip_space();
        ++m_pos;  // ':'
        value(child);
        skip_space();
        if (peek() == ',') ++m_pos;
        skip_space();
      }
      ++m_pos;  // '}'
    } else if (c == '[') {
      ++m_pos;
      skip_space();
      for (size_t index = 0; peek() != ']' && m_pos < m_text.size(); ++index) {
        std::string child = pointer_child(pointer, index);
        record(child);
        value(child);
        skip_space();
        if (peek() == ',') ++m_pos;
        skip_space();
      }
      ++m_pos;  // ']'
    } else if (c == '"') {
      string();
    } else {
      while (m_pos < m_text.size() && std::string_view(",]} \t\r\n").find(m_text[m_pos]) == std::string_view::npos) ++m_pos;
    }
  }

  const std::string& m_text;
  const LineIndex& m_lines;
  SourceMap& m_map;
  size_t m_pos = 0;
};

ParsedSource parse_json(const std::string& text, const std::string& file) {
  ParsedSource out{nlohmann::json(), SourceMap(file), "JSON"};
  bounded::check_json(text, file);
  LineIndex lines(text);
  try {
    out.value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's byte is 1-based and points at the last character it read.
    auto [line, column] = lines.at(e.byte > 0 ? std::min(e.byte - 1, text.size()) : 0);
    std::string message = e.what();
    if (auto colon = message.find(": ", message.find("column")); colon != std::string::npos)
      message = message.substr(colon + 2);
    throw InputError(Location{file, line, column}, "invalid JSON: " + message);
  } catch (const nlohmann::json::exception& e) {
    // A number out of range (1e999999) has no position.
    throw InputError(Location{file}, std::string("invalid JSON: ") + e.what());
  }
  JsonLocator(text, lines, out.map).run();
  return out;
}

// A plain (unquoted) YAML scalar as JSON: null, true/false, integers written without
// leading zeros, decimals; anything else, and every quoted scalar, stays a string.
nlohmann::json yaml_scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;
  static const RE2 k_integer("[-+]?(0|[1-9][0-9]*)");
  static const RE2 k_decimal("[-+]?(\\.[0-9]+|[0-9]+\\.[0-9]*)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (RE2::FullMatch(s, k_integer)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (RE2::FullMatch(s, k_decimal)) {
    try {
      return std::stod(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  return s;
}

nlohmann::json yaml_to_json(const YAML::Node& node, const std::string& pointer, SourceMap& map) {
  switch (node.Type()) {
  case YAML::NodeType::Map: {
    nlohmann::json obj = nlohmann::json::object();
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string child = pointer_child(pointer, key);
      map.add(child, item.first.Mark().line + 1, item.first.Mark().column + 1);
      obj[key] = yaml_to_json(item.second, child, map);
    }
    return obj;
  }
  case YAML::NodeType::Sequence: {
    nlohmann::json arr = nlohmann::json::array();
    size_t index = 0;
    for (const auto& item : node) {
      std::string child = pointer_child(pointer, index++);
      map.add(child, item.Mark().line + 1, item.Mark().column + 1);
      arr.push_back(yaml_to_json(item, child, map));
    }
    return arr;
  }
  case YAML::NodeType::Scalar:
    return yaml_scalar(node);
  default:
    return nullptr;
  }
}

} // namespace

ParsedSource parse_yaml(const std::string& text, const std::string& file) {
  ParsedSource out{nlohmann::json(), SourceMap(file), "YAML"};
  try {
    YAML::Node root = bounded::load_yaml(text, file);
    if (root.Mark().line >= 0) out.map.add("", root.Mark().line + 1, root.Mark().column + 1);
    out.value = yaml_to_json(root, "", out.map);
  } catch (const YAML::Exception& e) {
    throw InputError(Location{file, e.mark.line + 1, e.mark.column + 1}, "invalid YAML: " + e.msg);
  }
  return out;
}

ParsedSource parse_source(const std::string& text, const std::string& file) {
  size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && (text[i] == '{' || text[i] == '[')) return parse_json(text, file);
  return parse_yaml(text, file);
}

} // namespace sshm::documents
