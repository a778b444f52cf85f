#include "util/bounded_parse.hpp"

#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

namespace sshm::bounded {

namespace {

std::string size_message() {
  return fmt::format("the file is larger than the limit of {} MiB for input files", k_max_file_bytes / (1024 * 1024));
}

std::string depth_message() {
  return fmt::format("nested deeper than the limit of {} levels", k_max_depth);
}

// Follows a YAML event stream and stops it (by throwing) as soon as a limit is broken.
// Nodes are counted as they would be after expanding every alias into a copy of its
// anchor: a running total, with each anchored node's expanded size kept for its aliases.
class LimitScan : public YAML::EventHandler {
public:
  explicit LimitScan(const std::string& file) : m_file(file) {}

  void OnDocumentStart(const YAML::Mark&) override {
    m_anchor_nodes.clear();
    m_open.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor < m_anchor_nodes.size() && m_anchor_nodes[anchor] == k_open)
      fail(mark, "an alias refers to a node that contains it (a recursive alias)");
    std::uint64_t size = anchor < m_anchor_nodes.size() ? m_anchor_nodes[anchor] : 1;
    count(mark, size);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

private:
  static constexpr std::uint64_t k_open = UINT64_MAX;
  struct Frame {
    YAML::anchor_t anchor;
    std::uint64_t first;  // the running total when the collection started
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw InputError(Location{m_file, mark.line + 1, mark.column + 1}, message);
  }
  void count(const YAML::Mark& mark, std::uint64_t nodes) {
    m_total += nodes;
    if (m_total > k_max_yaml_nodes)
      fail(mark, fmt::format("the YAML expands (aliases counted as copies) to more than the limit of {} nodes",
                             k_max_yaml_nodes));
  }
  void remember(YAML::anchor_t anchor, std::uint64_t nodes) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= m_anchor_nodes.size()) m_anchor_nodes.resize(anchor + 1, 1);
    m_anchor_nodes[anchor] = nodes;
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    count(mark, 1);
    remember(anchor, 1);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (m_open.size() >= static_cast<std::size_t>(k_max_depth)) fail(mark, depth_message());
    count(mark, 1);
    m_open.push_back(Frame{anchor, m_total - 1});
    remember(anchor, k_open);
  }
  void close() {
    if (m_open.empty()) return;
    Frame f = m_open.back();
    m_open.pop_back();
    remember(f.anchor, m_total - f.first);
  }

  const std::string& m_file;
  std::uint64_t m_total = 0;
  std::vector<std::uint64_t> m_anchor_nodes;  // by anchor id, per document
  std::vector<Frame> m_open;
};

// yaml-cpp's scanner reads a whole run of nested flow collections ("[[[[...") before it
// emits the first event, holding a token for each, so flow nesting is bounded by a byte scan
// first. '[' and '{' count where a flow collection can start: at the start of a value (after
// the line's indentation, ':', '-', '?', ',') or anywhere inside a flow collection; quoted
// scalars and comments are skipped. It can over-count only in odd block scalars, and only a
// nesting beyond the limit is refused.
void check_yaml_flow_depth(std::string_view text, const std::string& file) {
  int depth = 0, line = 1, column = 0;
  char quote = 0;
  char last = '\n';  // the last non-blank character of the line; '\n' at its start
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      last = '\n';
      if (depth == 0) quote = 0;
      continue;
    }
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size() && text[i + 1] != '\n') {
        ++i;
        ++column;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    if (c == '#' && (last == '\n' || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    bool value_start = depth > 0 || std::string_view("\n:-?,[{").find(last) != std::string_view::npos;
    if ((c == '"' || c == '\'') && value_start) {
      quote = c;
    } else if ((c == '[' || c == '{') && value_start) {
      if (++depth > k_max_depth) throw InputError(Location{file, line, column}, depth_message());
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    last = c;
  }
}

} // namespace

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream file;
  if (path != "-") file.open(path, std::ios::binary);
  std::istream& in = path == "-" ? std::cin : file;
  if (!in) throw InputError(Location{path}, fmt::format("cannot read the {}", what));
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > k_max_file_bytes) throw InputError(Location{path}, size_message());
  }
  return text;
}

void check_size(std::string_view text, const std::string& file) {
  if (text.size() > k_max_file_bytes) throw InputError(Location{file}, size_message());
}

void check_json(std::string_view text, const std::string& file) {
  check_size(text, file);
  int depth = 0, line = 1, column = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    }
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > k_max_depth) throw InputError(Location{file, line, column}, depth_message());
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
}

void check_yaml(const std::string& text, const std::string& file) {
  check_size(text, file);
  check_yaml_flow_depth(text, file);
  std::istringstream in(text);
  YAML::Parser parser(in);
  LimitScan scan(file);
  while (parser.HandleNextDocument(scan)) {
  }
}

YAML::Node load_yaml(const std::string& text, const std::string& file) {
  check_yaml(text, file);
  return YAML::Load(text);
}

} // namespace sshm::bounded
