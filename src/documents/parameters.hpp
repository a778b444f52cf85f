#pragma once
// A document's parameter declarations and the checks SSM applies to values.
#include "documents/source.hpp"
#include "util/error.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}

namespace sshm::documents {

enum class ParameterType { String, StringList, Integer, Boolean, StringMap, MapList };

// One entry of a document's `parameters` section.
struct ParameterDef {
  std::string name;
  ParameterType type = ParameterType::String;
  std::string type_name;                      // as written: "StringList"
  std::optional<nlohmann::json> default_value;  // none: the parameter is required
  std::optional<std::vector<std::string>> allowed_values;
  std::string allowed_pattern;                // as written
  // allowed_pattern compiled by RE2 (Go's regexp syntax, as SSM); a value must match it
  // whole. Linear time in the value, so a long value or a pattern such as ^(a+)+$ is safe.
  std::shared_ptr<const re2::RE2> pattern;
  std::optional<long long> min_items, max_items, min_chars, max_chars;
  bool env_var = false;                       // interpolationType: ENV_VAR
  std::string pointer;                        // "/parameters/<name>", for locations
};

// Reads the declarations in `content`; each problem goes to `errors` with its location.
std::vector<ParameterDef> read_parameter_defs(const nlohmann::json& content, const SourceMap& map,
                                              std::vector<InputError>& errors);

// "" when `value` has the declared type, else what is wrong ("must be a StringList, ...").
std::string type_problem(const ParameterDef& def, const nlohmann::json& value);
// Every constraint `value` breaks (type first; constraints only when the type is right).
std::vector<std::string> value_problems(const ParameterDef& def, const nlohmann::json& value);
// A value given as text (-p name=value) typed for the declaration; throws InputError.
nlohmann::json value_from_text(const ParameterDef& def, const std::string& text);
// A value as SSM records it: a list of strings.
nlohmann::json record_form(const nlohmann::json& value);

} // namespace sshm::documents
