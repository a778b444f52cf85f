#pragma once
// Limits every reader of user files applies before it builds anything, so that a hostile
// or broken file (16 GB, nested 100,000 deep, a YAML alias bomb) is refused quickly with
// a clear error instead of exhausting memory or the stack:
//   * a file holds at most 16 MiB;
//   * JSON and YAML nest at most 128 levels;
//   * a YAML text expands, with every alias counted as a copy of its anchor, to at most
//     1,000,000 nodes, and no alias refers to a node that contains it.
// Each refusal is an InputError naming the file, the limit and the line:col where it was hit.
#include "util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <yaml-cpp/yaml.h>

namespace sshm::bounded {

inline constexpr std::size_t k_max_file_bytes = 16u * 1024 * 1024;
inline constexpr int k_max_depth = 128;
inline constexpr std::uint64_t k_max_yaml_nodes = 1'000'000;

// Reads a whole file of at most k_max_file_bytes ("-" reads standard input). `what` names it in errors ("inventory
// file"): "cannot read the inventory file" when it cannot be opened.
std::string read_file(const std::string& path, const std::string& what);

// Throws when `text` is larger than k_max_file_bytes.
void check_size(std::string_view text, const std::string& file);
// Throws when `text`, read as JSON, nests deeper than k_max_depth (strings are skipped, so
// brackets inside them do not count). Syntax is left to the JSON parser.
void check_json(std::string_view text, const std::string& file);
// Throws when `text`, read as YAML (every document of it), breaks a limit above. A syntax
// error the scan meets is thrown as yaml-cpp's YAML::ParserException, as YAML::Load would.
void check_yaml(const std::string& text, const std::string& file);
// check_yaml, then YAML::Load.
YAML::Node load_yaml(const std::string& text, const std::string& file);

} // namespace sshm::bounded
