#pragma once
// Parameter Store's model and rules, as SSM documents them (PutParameter,
// LabelParameterVersion, "Requirements and constraints for parameter names",
// "Working with parameter labels", "Assigning parameter policies"). Pure functions:
// every backend applies the same rules before it stores anything.
#include "util/error.hpp"
#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sshm::params {

// A refusal with SSM's error name ("ParameterNotFound", "ValidationException", ...). It is
// bad input, so the command exits 2; the message starts with the name, as the aws CLI shows.
class Error : public InputError {
public:
  Error(std::string code, const std::string& message);
  const std::string& code() const { return m_code; }

private:
  std::string m_code;
};

// Limits SSM states for standard and advanced parameters.
constexpr size_t k_max_name_length = 1011;
constexpr size_t k_max_hierarchy_levels = 15;
constexpr size_t k_standard_value_limit = 4096;
constexpr size_t k_advanced_value_limit = 8192;
constexpr size_t k_max_versions = 100;
constexpr size_t k_max_labels_per_version = 10;
constexpr size_t k_max_label_length = 100;
constexpr size_t k_max_description_length = 1024;
constexpr size_t k_max_allowed_pattern_length = 1024;
constexpr size_t k_max_policies = 10;
constexpr size_t k_max_policies_length = 4096;
constexpr size_t k_max_names_per_call = 10;
// The only key the local store has; SSM's default key for SecureString.
inline const std::string k_default_key_id = "alias/aws/ssm";

// One stored version of a parameter. `value` is the plain value (SecureString values are
// plain only inside the backend and after decryption).
struct Version {
  std::string name;  // as the parameter was created
  std::string type;  // String, StringList, SecureString
  std::string value;
  long long version = 0;
  std::string description;
  std::string allowed_pattern;
  std::string key_id;  // SecureString only
  std::string tier = "Standard";
  std::string data_type = "text";
  std::string policies;  // JSON array text, "" when none
  SystemTime last_modified{};
  std::string last_modified_user;
  std::vector<std::string> labels;
  std::string selector;  // ":3" or ":label" when the caller asked through one
  std::string arn;       // the service's ARN (AWS backend); "" shows arn(name)
};

// What `put-parameter` asks for; empty optionals keep what the parameter has.
struct PutRequest {
  std::string name;
  std::string value;
  std::optional<std::string> type;
  std::optional<std::string> description;
  std::optional<std::string> allowed_pattern;
  std::optional<std::string> key_id;
  std::optional<std::string> tier;
  std::optional<std::string> policies;
  std::optional<std::string> data_type;
  bool overwrite = false;
};

// A name with an optional ":version" or ":label" selector.
struct Selector {
  std::string name;
  std::optional<long long> version;
  std::optional<std::string> label;
  std::string suffix() const;  // ":3", ":prod" or ""
};

// One parameter policy, parsed.
struct Policy {
  std::string type;  // Expiration, ExpirationNotification, NoChangeNotification
  std::string text;  // the policy's JSON as given
  SystemTime timestamp{};  // Expiration
  std::chrono::seconds span{0};  // Before (ExpirationNotification) or After (NoChangeNotification)
};

// The name SSM stores: "/a" and "a" are the same parameter, so a one-level name loses its
// leading slash. Hierarchical names keep theirs.
std::string canonical_name(const std::string& name);
// Throws Error (ValidationException, HierarchyLevelLimitExceededException) unless `name` is
// a name PutParameter accepts.
void check_name(const std::string& name);
// "name", "name:3" or "name:label"; throws Error on a malformed selector.
Selector parse_selector(const std::string& text);
// Why `label` is refused, or "" when it is a valid label.
std::string label_problem(const std::string& label);
// Throws Error unless `type` is String, StringList or SecureString.
void check_type(const std::string& type);
// Throws Error unless `tier` is Standard or Advanced (Intelligent-Tiering is not modelled).
void check_tier(const std::string& tier);
// Value rules: not empty, within the tier's size, no {{ }} nesting, AllowedPattern (full
// match) when there is one.
void check_value(const std::string& value, const std::string& tier, const std::string& allowed_pattern);
// Throws InvalidAllowedPatternException when `pattern` is too long or not a regular expression.
void check_allowed_pattern(const std::string& pattern);
void check_description(const std::string& description);
// Parses a Policies JSON array as PutParameter takes it; "[]" and "[{}]" mean none.
std::vector<Policy> parse_policies(const std::string& text);
// A StringList's items: split on every comma, no escaping, as SSM does.
std::vector<std::string> string_list_items(const std::string& value);

// The ARN sshm shows for a local parameter.
std::string arn(const std::string& name);
// "/a/b/c" -> "/a/b"; a one-level name's parent is "/".
std::string parent_path(const std::string& name);

// The aws CLI's shapes: a Parameter (get-parameter), a history entry, a ParameterMetadata
// (describe-parameters). `value_shown` is the value or the encrypted blob to print.
nlohmann::json parameter_json(const Version& v, const std::string& value_shown);
nlohmann::json history_json(const Version& v, const std::string& value_shown);
nlohmann::json metadata_json(const Version& v);
// Policies as ParameterMetadata.Policies shows them.
nlohmann::json policies_json(const std::string& policies_text);

} // namespace sshm::params
