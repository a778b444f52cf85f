#pragma once
// What every reader of a YAML input file needs to point at the user's mistake: the node's
// file:line:col, a failure there, and a check that a mapping holds only the keys it may (with
// a did-you-mean). The readers of the fleet inventory and of patch baselines build on it.
#include "util/error.hpp"

#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace sshm {

// The YAML text of an input file (within bounded::load_yaml's limits); a syntax error is an
// InputError at its file:line:col.
YAML::Node load_yaml_input(const std::string& text, const std::string& file);

// The node's position in `file` (line 0 where yaml-cpp has none, as for a node made in code).
Location yaml_location(const std::string& file, const YAML::Node& node);

class YamlReader {
public:
  // `map_noun` names a mapping in this file's vocabulary: "a mapping" for sshm's own files,
  // "an object" for those that mirror SSM's JSON shapes.
  YamlReader(std::string file, std::string map_noun) : m_file(std::move(file)), m_map_noun(std::move(map_noun)) {}

  const std::string& file() const { return m_file; }
  Location at(const YAML::Node& node) const { return yaml_location(m_file, node); }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message, std::string suggestion = {}) const;
  void expect_map(const YAML::Node& node, const std::string& what) const;
  // Rejects keys outside `allowed`, suggesting the nearest one.
  void check_keys(const YAML::Node& node, const std::vector<std::string>& allowed, const std::string& what) const;

private:
  std::string m_file;
  std::string m_map_noun;
};

} // namespace sshm
