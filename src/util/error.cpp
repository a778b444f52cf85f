#include "util/error.hpp"

#include <fmt/format.h>

namespace sshm {

std::string Location::str() const {
  if (file.empty()) return {};
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

InputError::InputError(Location where, const std::string& message, std::string suggestion)
    : std::runtime_error(message), m_where(std::move(where)), m_suggestion(std::move(suggestion)) {}

std::string InputError::formatted() const {
  std::string out;
  std::string loc = m_where.str();
  if (!loc.empty()) out = loc + ": ";
  out += what();
  if (!m_suggestion.empty()) out += fmt::format(" (did you mean '{}'?)", m_suggestion);
  return out;
}

static std::string join_messages(const std::vector<InputError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "\n";
    out += e.formatted();
  }
  return out;
}

void Error::raise() const {
  if (kind == Kind::input) throw InputError(message);
  throw RuntimeError(message);
}

InputErrors::InputErrors(std::vector<InputError> errors)
    : InputError(join_messages(errors)), m_errors(std::move(errors)) {}

} // namespace sshm
