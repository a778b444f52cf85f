#pragma once
// Reading a document's text: JSON or YAML (told apart by content) into JSON values, with
// the file:line:col of every key and list item so later errors can point at them.
#include "util/error.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace sshm::documents {

// Where each value sits in the source, keyed by JSON pointer ("/parameters/commands/type");
// an object member is located at its key, a list item at the item.
class SourceMap {
public:
  SourceMap() = default;
  explicit SourceMap(std::string file) : m_file(std::move(file)) {}

  void add(const std::string& pointer, int line, int column);
  // The location of `pointer`, or of its nearest located ancestor (the file at worst).
  Location at(const std::string& pointer) const;
  // Whether the text at `pointer` was located exactly.
  bool has(const std::string& pointer) const { return m_positions.count(pointer) > 0; }
  const std::string& file() const { return m_file; }

private:
  std::string m_file;
  std::map<std::string, std::pair<int, int>> m_positions;
};

struct ParsedSource {
  nlohmann::json value;
  SourceMap map;
  std::string format;  // "JSON" or "YAML"
};

// Parses `text` (named `file` in errors): JSON when it starts with '{' or '[' after
// whitespace, YAML otherwise. Throws InputError with file:line:col on a syntax error.
ParsedSource parse_source(const std::string& text, const std::string& file);
// `text` as YAML whatever it starts with (YAML's flow maps look like JSON).
ParsedSource parse_yaml(const std::string& text, const std::string& file);

// "/a/b" + "c/d" -> "/a/b/c~1d" (RFC 6901 escaping).
std::string pointer_child(const std::string& parent, const std::string& key);
std::string pointer_child(const std::string& parent, size_t index);

} // namespace sshm::documents
