#pragma once
// Output every command shares: whole lines under one lock, structured results as JSON or YAML.
#include "cli/app.hpp"

#include <nlohmann/json.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace sshm::cli {

bool isatty_stdout();
bool isatty_stderr();

// Colour for text on a terminal (use_color decides when): SGR codes around already safe text.
enum class Colour { red, green, yellow };
std::string paint(bool on, Colour colour, const std::string& text);
Colour status_colour(const std::string& status);  // Success green, waiting yellow, the rest red

// -o json, jsonl or yaml: the command prints data, not text.
bool structured_output(const GlobalOptions& global);

// Prints one result in the chosen format: json (pretty), yaml (block YAML), jsonl (one line; an
// array, or a list response {"Key": [...]}, one line per element: always one object per line).
void print_structured(const GlobalOptions& global, const nlohmann::json& value);
void print_ordered(const GlobalOptions& global, const nlohmann::ordered_json& value);  // keeps key order

// A list in the AWS CLI's response shape ({"Commands": [...]}): json and yaml print the wrapper,
// jsonl one element per line.
void print_list(const GlobalOptions& global, const std::string& key, const nlohmann::json& items);

std::string to_yaml(const nlohmann::json& value);
std::string to_yaml(const nlohmann::ordered_json& value);

// Text columns as wide as their widest cell (header included), two spaces apart; cells are made
// terminal-safe, so a host name cannot move the cursor or break the line.
class TextTable {
public:
  explicit TextTable(std::vector<std::string> headers);
  void add(std::vector<std::string> cells);
  bool empty() const { return m_rows.empty(); }
  std::string render(bool header = true) const;
private:
  std::vector<std::vector<std::string>> m_rows;  // the first row is the header
};

// An object for a person: one "Key  value" line per member, nested values as one-line JSON.
std::string object_text(const nlohmann::json& object);

// Writes whole lines under one lock so output of concurrent hosts never interleaves.
class SyncOut {
public:
  static SyncOut& instance();
  void out(const std::string& text);  // stdout, text written as is
  void err(const std::string& text);  // stderr
private:
  std::mutex m_mutex;
};

} // namespace sshm::cli
