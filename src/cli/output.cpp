#include "cli/output.hpp"

#include "util/terminal_safe.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <cstdio>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

namespace sshm::cli {

bool isatty_stdout() { return ::isatty(STDOUT_FILENO) == 1; }
bool isatty_stderr() { return ::isatty(STDERR_FILENO) == 1; }

bool use_color(const GlobalOptions& g, bool is_stderr) {
  if (g.color == "always") return true;
  if (g.color == "never" || g.output != "text") return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return is_stderr ? isatty_stderr() : isatty_stdout();
}

std::string paint(bool on, Colour colour, const std::string& text) {
  if (!on) return text;
  const char* sgr = colour == Colour::red ? "31" : colour == Colour::green ? "32" : "33";
  return fmt::format("\033[{}m{}\033[0m", sgr, text);
}

Colour status_colour(const std::string& status) {
  if (status == "Success") return Colour::green;
  if (status == "Pending" || status == "InProgress" || status == "Delayed" || status == "Cancelling") return Colour::yellow;
  return Colour::red;
}

namespace {

// JSON -> block YAML, keeping key order when the JSON is ordered.
template <class Json>
void emit_yaml(YAML::Emitter& out, const Json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit_yaml(out, it.value());
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : v) emit_yaml(out, item);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << YAML::DoubleQuoted << v.template get<std::string>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

template <class Json>
std::string yaml_text(const Json& value) {
  YAML::Emitter out;
  emit_yaml(out, value);
  return std::string(out.c_str()) + "\n";
}

} // namespace

std::string to_yaml(const nlohmann::json& value) { return yaml_text(value); }
std::string to_yaml(const nlohmann::ordered_json& value) { return yaml_text(value); }

bool structured_output(const GlobalOptions& global) {
  return global.output == "json" || global.output == "jsonl" || global.output == "yaml";
}

namespace {

template <class Json>
std::string json_line(const Json& value, int indent) {
  // Bytes from hosts may not be UTF-8: replaced, never a throw half way through a list.
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// -o jsonl prints one JSON object per line, always: an array, or a list response such as
// {"Commands": [...]} (an object whose one member is an array), one line per element.
template <class Json>
std::string jsonl_text(const Json& value) {
  const Json* items = nullptr;
  if (value.is_array()) items = &value;
  else if (value.is_object() && value.size() == 1 && value.begin()->is_array()) items = &*value.begin();
  if (!items) return json_line(value, -1);
  std::string text;
  for (const auto& item : *items) text += json_line(item, -1);
  return text;
}

template <class Json>
void print_any(const GlobalOptions& global, const Json& value) {
  // Through JSON text first: a byte that is not UTF-8 becomes U+FFFD, as in -o json.
  if (global.output == "yaml") SyncOut::instance().out(to_yaml(Json::parse(json_line(value, -1))));
  else if (global.output == "jsonl") SyncOut::instance().out(jsonl_text(value));
  else SyncOut::instance().out(json_line(value, 2));
}

} // namespace

void print_structured(const GlobalOptions& global, const nlohmann::json& value) { print_any(global, value); }

void print_ordered(const GlobalOptions& global, const nlohmann::ordered_json& value) { print_any(global, value); }

void print_list(const GlobalOptions& global, const std::string& key, const nlohmann::json& items) {
  print_structured(global, nlohmann::json{{key, items}});
}

namespace {

// Columns a cell takes: one per UTF-8 character (continuation bytes take none).
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

} // namespace

TextTable::TextTable(std::vector<std::string> headers) { m_rows.push_back(std::move(headers)); }

void TextTable::add(std::vector<std::string> cells) {
  for (auto& cell : cells) cell = terminal_safe(cell, false);
  cells.resize(m_rows.front().size());
  m_rows.push_back(std::move(cells));
}

std::string TextTable::render(bool header) const {
  std::vector<size_t> widths(m_rows.front().size(), 0);
  for (const auto& row : m_rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  std::string text;
  for (size_t r = header ? 0 : 1; r < m_rows.size(); ++r) {
    const auto& row = m_rows[r];
    for (size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    text += "\n";
  }
  return text;
}

std::string object_text(const nlohmann::json& object) {
  TextTable table({"", ""});
  for (const auto& [key, value] : object.items())
    table.add({key, value.is_string() ? value.get<std::string>()
                                      : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  return table.render(false);
}

SyncOut& SyncOut::instance() {
  static SyncOut s;
  return s;
}

void SyncOut::out(const std::string& text) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void SyncOut::err(const std::string& text) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

} // namespace sshm::cli
