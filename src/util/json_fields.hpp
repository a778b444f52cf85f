#pragma once

// Fields of JSON that sshm reads back from its own files and from services (S3 records, AWS
// answers, stored window runs): a missing key, or one of another type, reads as empty or the
// fallback instead of throwing, so a damaged record is reported by its reader, not by an
// exception from deep inside a conversion.

#include <nlohmann/json.hpp>
#include <string>

namespace sshm {

inline std::string json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline int json_int(const nlohmann::json& j, const char* key, int fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

// A value as text the way SSM's agent embeds it: strings as they are, anything else as JSON.
inline std::string json_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

} // namespace sshm
