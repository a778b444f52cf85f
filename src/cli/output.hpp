#pragma once
// Output every command shares: whole lines under one lock, structured results as JSON or YAML.
#include "cli/app.hpp"

#include <nlohmann/json.hpp>

#include <mutex>
#include <string>

namespace sshm::cli {

bool isatty_stdout();
bool isatty_stderr();

// Prints a result object as JSON (pretty) or, with -o yaml, as block YAML.
void print_structured(const GlobalOptions& global, const nlohmann::json& value);
std::string to_yaml(const nlohmann::json& value);

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
