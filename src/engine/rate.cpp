#include "engine/rate.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <regex>

namespace sshm::engine {

namespace {

// Returns {value, is_percent}.
std::pair<int, bool> parse(const std::string& spec) {
  bool pct = !spec.empty() && spec.back() == '%';
  return {std::stoi(pct ? spec.substr(0, spec.size() - 1) : spec), pct};
}

} // namespace

void validate_max_concurrency(const std::string& spec) {
  static const std::regex re("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$");
  if (spec.size() > 7 || !std::regex_match(spec, re))
    throw InputError(fmt::format("--max-concurrency '{}' must be a number from 1 or a percentage 1%..100% (SSM's rule)", spec));
}

void validate_max_errors(const std::string& spec) {
  static const std::regex re("^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
  if (spec.size() > 7 || !std::regex_match(spec, re))
    throw InputError(fmt::format("--max-errors '{}' must be a number from 0 or a percentage 0%..100% (SSM's rule)", spec));
}

int concurrency_for(const std::string& spec, int targets) {
  auto [v, pct] = parse(spec);
  long long n = pct ? static_cast<long long>(v) * targets / 100 : v;
  return static_cast<int>(std::clamp<long long>(n, 1, std::max(1, targets)));
}

int error_threshold_for(const std::string& spec, int targets) {
  auto [v, pct] = parse(spec);
  return pct ? static_cast<int>(static_cast<long long>(v) * targets / 100) : v;
}

} // namespace sshm::engine
