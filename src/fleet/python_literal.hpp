#pragma once
// Python literals as ast.literal_eval reads them, in the subset an Ansible INI value can
// hold: ints (decimal, 0x, 0o, 0b, with _), floats, True/False/None, strings (quotes,
// triple quotes, r/b/u prefixes, escapes, adjacent strings joined), lists, tuples and dicts.
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace sshm::fleet {

// The value of `text` when it is exactly one literal; nothing otherwise (a set, a name, an
// expression, nesting deeper than any inventory needs, a number out of range).
std::optional<nlohmann::json> parse_python_literal(std::string_view text);

} // namespace sshm::fleet
