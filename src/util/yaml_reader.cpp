#include "util/yaml_reader.hpp"

#include "util/bounded_parse.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace sshm {

YAML::Node load_yaml_input(const std::string& text, const std::string& file) {
  try {
    return bounded::load_yaml(text, file);
  } catch (const YAML::Exception& e) {
    throw InputError(Location{file, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
}

Location yaml_location(const std::string& file, const YAML::Node& node) {
  auto m = node.Mark();
  if (m.is_null()) return Location{file, 0, 0};
  return Location{file, m.line + 1, m.column + 1};
}

void YamlReader::fail(const YAML::Node& node, const std::string& message, std::string suggestion) const {
  throw InputError(at(node), message, std::move(suggestion));
}

void YamlReader::expect_map(const YAML::Node& node, const std::string& what) const {
  if (!node.IsMap()) fail(node, fmt::format("{} must be {}", what, m_map_noun));
}

void YamlReader::check_keys(const YAML::Node& node, const std::vector<std::string>& allowed,
                            const std::string& what) const {
  for (const auto& kv : node) {
    // A key that is not a string throws YAML's conversion error, which the callers report
    // at the key's position.
    std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(kv.first, fmt::format("unknown key '{}' in {} (allowed: {})", key, what, join(allowed, ", ")),
           closest_match(key, allowed));
  }
}

} // namespace sshm
