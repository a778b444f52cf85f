#include "cli/output.hpp"

#include <cstdio>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

namespace sshm::cli {

bool isatty_stdout() { return ::isatty(STDOUT_FILENO) == 1; }
bool isatty_stderr() { return ::isatty(STDERR_FILENO) == 1; }

namespace {

void emit_yaml(YAML::Emitter& out, const nlohmann::json& v) {
  switch (v.type()) {
  case nlohmann::json::value_t::object:
    out << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit_yaml(out, it.value());
    }
    out << YAML::EndMap;
    break;
  case nlohmann::json::value_t::array:
    out << YAML::BeginSeq;
    for (const auto& item : v) emit_yaml(out, item);
    out << YAML::EndSeq;
    break;
  case nlohmann::json::value_t::string:
    out << YAML::DoubleQuoted << v.get<std::string>();
    break;
  case nlohmann::json::value_t::null:
    out << YAML::Null;
    break;
  default:
    out << v.dump();
  }
}

} // namespace

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit_yaml(out, value);
  return std::string(out.c_str()) + "\n";
}

void print_structured(const GlobalOptions& global, const nlohmann::json& value) {
  if (global.output == "yaml") SyncOut::instance().out(to_yaml(value));
  else SyncOut::instance().out(value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
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
