#include "shard/shard.hpp"

#include "engine/rate.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <cctype>
#include <sstream>

namespace sshm::shard {

namespace {

// A whole decimal number of at most 9 digits, or nullopt.
std::optional<int> small_number(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoi(text);
}

} // namespace

ShardSpec parse_shard(const std::string& text) {
  auto slash = text.find('/');
  std::optional<int> i = slash == std::string::npos ? std::nullopt : small_number(text.substr(0, slash));
  std::optional<int> n = slash == std::string::npos ? std::nullopt : small_number(text.substr(slash + 1));
  if (!i || !n || *n < 1 || *i < 1 || *i > *n)
    throw InputError(fmt::format("--shard '{}' must be I/N with 1 <= I <= N, e.g. 2/4", text));
  return {*i, *n};
}

ShardSpec shard_from_env(const std::function<std::string(const std::string&)>& getenv) {
  const std::string index = getenv("JOB_COMPLETION_INDEX");
  const std::string count = getenv("SSHM_SHARDS");
  std::optional<int> k = small_number(index);
  std::optional<int> n = small_number(count);
  if (!n || *n < 1)
    throw InputError(fmt::format("--shard-from-env: SSHM_SHARDS must be the number of shards (the Job's completions), "
                                 "got '{}'", count));
  if (!k || *k >= *n)
    throw InputError(fmt::format("--shard-from-env: JOB_COMPLETION_INDEX must be 0 .. {} (set by an Indexed Job), got '{}'",
                                 *n - 1, index));
  return {*k + 1, *n};
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

int shard_of(const std::string& host, int count) {
  return static_cast<int>(fnv1a(host) % static_cast<std::uint64_t>(count > 0 ? count : 1)) + 1;
}

std::string error_share(const std::string& max_errors, int shard_size, int total) {
  if (!max_errors.empty() && max_errors.back() == '%') return max_errors;
  if (total <= 0) return max_errors;
  long long n = engine::error_threshold_for(max_errors, total);
  return std::to_string(n * shard_size / total);
}

std::string validate_command_id(const std::string& id) {
  static const int k_groups[] = {8, 4, 4, 4, 12};
  std::string out;
  size_t at = 0;
  bool ok = id.size() == 36;
  for (int g = 0; ok && g < 5; ++g) {
    for (int k = 0; ok && k < k_groups[g]; ++k, ++at)
      ok = std::isxdigit(static_cast<unsigned char>(id[at])) != 0;
    if (ok && g < 4) ok = id[at++] == '-';
  }
  if (!ok)
    throw InputError(fmt::format("--command-id must be a UUID like 9d3c6f0e-7a41-4b8e-9b1f-2c5d8e7a6b40 (e.g. from "
                                 "uuidgen), got {} characters",
                                 id.size()));
  for (char c : id) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace sshm::shard
