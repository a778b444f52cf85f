// Parameter Store's rules: names, labels, values, types, tiers and policies.
#include "params/parameter.hpp"

#include "util/strings.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <set>

namespace sshm::params {

Error::Error(std::string code, const std::string& message)
    : InputError(code + ": " + message), m_code(std::move(code)) {}

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-' || c == '/';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// SSM refuses names and labels that begin with "aws" or "ssm", in any case.
bool reserved_prefix(const std::string& s) {
  std::string lower = to_lower(s.substr(0, 3));
  return lower == "aws" || lower == "ssm";
}

// A string member, or "" when it is missing or not a string (never a JSON type error).
std::string str_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

[[noreturn]] void invalid_policy(const std::string& what) { throw Error("InvalidPolicyAttributeException", what); }

// "15" with "Days" or "Hours" -> seconds.
std::chrono::seconds policy_span(const nlohmann::json& attrs, const char* key, const std::string& type) {
  if (!attrs.contains(key) || !attrs.contains("Unit"))
    invalid_policy(fmt::format("{} policy needs Attributes {} and Unit", type, key));
  const auto& amount = attrs[key];
  std::string text = amount.is_string() ? amount.get<std::string>() : amount.dump();
  if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), is_digit) || std::stol(text) < 1)
    invalid_policy(fmt::format("{} policy: {} must be a positive whole number, not '{}'", type, key, text));
  std::string unit = str_field(attrs, "Unit");
  long long n = std::stoll(text);
  if (unit == "Days") return std::chrono::seconds(n * 86400);
  if (unit == "Hours") return std::chrono::seconds(n * 3600);
  invalid_policy(fmt::format("{} policy: Unit must be Days or Hours, not '{}'", type, unit));
}

Policy parse_policy(const nlohmann::json& p) {
  if (!p.is_object()) throw Error("InvalidPolicyTypeException", "each policy must be a JSON object");
  Policy out;
  out.text = p.dump();
  out.type = str_field(p, "Type");
  if (out.type != "Expiration" && out.type != "ExpirationNotification" && out.type != "NoChangeNotification")
    throw Error("InvalidPolicyTypeException",
                fmt::format("policy type '{}' is not supported (Expiration, ExpirationNotification, "
                            "NoChangeNotification)",
                            out.type));
  if (str_field(p, "Version") != "1.0") invalid_policy(out.type + " policy: Version must be \"1.0\"");
  const nlohmann::json attrs = p.contains("Attributes") ? p["Attributes"] : nlohmann::json::object();
  if (!attrs.is_object()) invalid_policy(out.type + " policy: Attributes must be an object");
  if (out.type == "Expiration") {
    if (!attrs.contains("Timestamp") || !attrs["Timestamp"].is_string())
      invalid_policy("Expiration policy needs Attributes.Timestamp");
    try {
      out.timestamp = parse_iso8601(attrs["Timestamp"].get<std::string>());
    } catch (const InputError&) {
      invalid_policy(fmt::format("Expiration policy: Timestamp '{}' is not an ISO 8601 time such as "
                                 "2030-12-02T21:34:33.000Z",
                                 attrs["Timestamp"].get<std::string>()));
    }
  } else if (out.type == "ExpirationNotification") {
    out.span = policy_span(attrs, "Before", out.type);
  } else {
    out.span = policy_span(attrs, "After", out.type);
  }
  return out;
}

} // namespace

std::string Selector::suffix() const {
  if (version) return ":" + std::to_string(*version);
  if (label) return ":" + *label;
  return "";
}

std::string canonical_name(const std::string& name) {
  if (name.size() > 1 && name[0] == '/' && name.find('/', 1) == std::string::npos) return name.substr(1);
  return name;
}

void check_name(const std::string& name) {
  if (name.empty()) throw Error("ValidationException", "parameter name must not be empty");
  if (name.size() > k_max_name_length)
    throw Error("ValidationException",
                fmt::format("parameter name is {} characters; the most is {}", name.size(), k_max_name_length));
  for (char c : name)
    if (!is_name_char(c))
      throw Error("ValidationException",
                  fmt::format("parameter name '{}': only letters, digits, '_', '.', '-' and '/' are allowed, not '{}'",
                              name, c));
  std::string bare = canonical_name(name);
  std::string first = bare[0] == '/' ? bare.substr(1) : bare;
  if (reserved_prefix(first))
    throw Error("ValidationException",
                fmt::format("parameter name '{}': can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)", name));
  if (bare.find('/') != std::string::npos && bare[0] != '/')
    throw Error("ValidationException",
                fmt::format("parameter name '{}' is not fully qualified: a hierarchy must begin with '/'", name));
  if (bare.size() > 1 && (bare.back() == '/' || bare.find("//") != std::string::npos))
    throw Error("ValidationException", fmt::format("parameter name '{}' has an empty hierarchy level", name));
  if (bare == "/") throw Error("ValidationException", "parameter name '/' has no name");
  size_t levels = static_cast<size_t>(std::count(bare.begin(), bare.end(), '/'));
  if (levels == 0) levels = 1;
  if (levels > k_max_hierarchy_levels)
    throw Error("HierarchyLevelLimitExceededException",
                fmt::format("parameter name '{}' has {} levels; a hierarchy can have at most {}", name, levels,
                            k_max_hierarchy_levels));
}

Selector parse_selector(const std::string& text) {
  Selector s;
  size_t colon = text.find(':');
  s.name = text.substr(0, colon);
  if (colon == std::string::npos) return s;
  std::string sel = text.substr(colon + 1);
  if (sel.empty() || sel.find(':') != std::string::npos)
    throw Error("ValidationException",
                fmt::format("'{}': a selector is one version number or one label after the name", text));
  if (std::all_of(sel.begin(), sel.end(), is_digit)) {
    if (sel.size() > 18) throw Error("ParameterVersionNotFound", fmt::format("no version {} of {}", sel, s.name));
    s.version = std::stoll(sel);
  } else {
    s.label = sel;
  }
  return s;
}

std::string label_problem(const std::string& label) {
  if (label.empty()) return "a label can't be empty";
  if (label.size() > k_max_label_length) return fmt::format("a label has at most {} characters", k_max_label_length);
  if (is_digit(label[0])) return "a label can't begin with a number";
  if (reserved_prefix(label)) return "a label can't begin with \"aws\" or \"ssm\"";
  for (char c : label)
    if (c == '/' || !is_name_char(c)) return "a label has only letters, digits, '.', '-' and '_'";
  return "";
}

void check_type(const std::string& type) {
  if (type != "String" && type != "StringList" && type != "SecureString")
    throw Error("UnsupportedParameterType",
                fmt::format("type '{}' is not supported (String, StringList or SecureString)", type));
}

void check_tier(const std::string& tier) {
  if (tier != "Standard" && tier != "Advanced")
    throw Error("ValidationException", fmt::format("tier '{}' is not supported here (Standard or Advanced)", tier));
}

void check_allowed_pattern(const std::string& pattern) {
  if (pattern.size() > k_max_allowed_pattern_length)
    throw Error("InvalidAllowedPatternException",
                fmt::format("AllowedPattern has at most {} characters", k_max_allowed_pattern_length));
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(pattern, options);
  if (!re.ok())
    throw Error("InvalidAllowedPatternException",
                fmt::format("AllowedPattern '{}' is not a regular expression: {}", pattern, re.error()));
}

void check_value(const std::string& value, const std::string& tier, const std::string& allowed_pattern) {
  if (value.empty()) throw Error("ValidationException", "parameter value must not be empty");
  size_t limit = tier == "Advanced" ? k_advanced_value_limit : k_standard_value_limit;
  if (value.size() > limit) {
    if (tier == "Advanced")
      throw Error("ValidationException",
                  fmt::format("the value is {} bytes; advanced parameters hold at most {}", value.size(), limit));
    throw Error("ValidationException",
                fmt::format("the value is {} bytes; standard parameters hold at most {} (--tier Advanced allows {})",
                            value.size(), limit, k_advanced_value_limit));
  }
  size_t open = value.find("{{");
  if (open != std::string::npos && value.find("}}", open) != std::string::npos)
    throw Error("ValidationException", "parameter value can't nest another parameter: do not use \"{{}}\" in the value");
  if (allowed_pattern.empty()) return;
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(allowed_pattern, options);
  if (!re.ok() || !RE2::FullMatch(value, re))
    throw Error("ParameterPatternMismatchException",
                fmt::format("parameter value cannot be validated against allowedPattern: {}", allowed_pattern));
}

void check_description(const std::string& description) {
  if (description.size() > k_max_description_length)
    throw Error("ValidationException",
                fmt::format("the description has {} characters; the most is {}", description.size(),
                            k_max_description_length));
}

std::vector<Policy> parse_policies(const std::string& text) {
  if (text.size() > k_max_policies_length)
    throw Error("PoliciesLimitExceededException",
                fmt::format("policies are {} characters together; the most is {}", text.size(), k_max_policies_length));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array())
    throw Error("InvalidPolicyTypeException", "policies must be a JSON array of policy objects");
  if (doc.size() == 1 && doc[0].is_object() && doc[0].empty()) return {};
  if (doc.size() > k_max_policies)
    throw Error("PoliciesLimitExceededException", fmt::format("at most {} policies per parameter", k_max_policies));
  std::vector<Policy> out;
  std::set<std::string> seen;
  for (const auto& p : doc) {
    Policy policy = parse_policy(p);
    if (!seen.insert(policy.type).second)
      throw Error("IncompatiblePolicyException", fmt::format("two {} policies for one parameter", policy.type));
    out.push_back(std::move(policy));
  }
  return out;
}

std::vector<std::string> string_list_items(const std::string& value) { return split(value, ','); }

std::string arn(const std::string& name) {
  std::string bare = name[0] == '/' ? name.substr(1) : name;
  return "arn:aws:ssm:local:000000000000:parameter/" + bare;
}

std::string parent_path(const std::string& name) {
  std::string full = name[0] == '/' ? name : "/" + name;
  size_t slash = full.rfind('/');
  return slash == 0 ? "/" : full.substr(0, slash);
}

nlohmann::json policies_json(const std::string& policies_text) {
  nlohmann::json out = nlohmann::json::array();
  if (policies_text.empty()) return out;
  for (const auto& p : parse_policies(policies_text))
    out.push_back({{"PolicyText", p.text}, {"PolicyType", p.type}, {"PolicyStatus", "Pending"}});
  return out;
}

nlohmann::json parameter_json(const Version& v, const std::string& value_shown) {
  nlohmann::json j = {{"Name", v.name},       {"Type", v.type}, {"Value", value_shown}, {"Version", v.version}};
  if (!v.selector.empty()) j["Selector"] = v.selector;
  j["LastModifiedDate"] = iso8601_ms(v.last_modified);
  j["ARN"] = v.arn.empty() ? arn(v.name) : v.arn;
  j["DataType"] = v.data_type;
  return j;
}

nlohmann::json history_json(const Version& v, const std::string& value_shown) {
  nlohmann::json j = {{"Name", v.name}, {"Type", v.type}};
  if (!v.key_id.empty()) j["KeyId"] = v.key_id;
  j["LastModifiedDate"] = iso8601_ms(v.last_modified);
  j["LastModifiedUser"] = v.last_modified_user;
  if (!v.description.empty()) j["Description"] = v.description;
  j["Value"] = value_shown;
  if (!v.allowed_pattern.empty()) j["AllowedPattern"] = v.allowed_pattern;
  j["Version"] = v.version;
  j["Labels"] = v.labels;
  j["Tier"] = v.tier;
  j["Policies"] = policies_json(v.policies);
  j["DataType"] = v.data_type;
  return j;
}

nlohmann::json metadata_json(const Version& v) {
  nlohmann::json j = {{"Name", v.name}, {"ARN", v.arn.empty() ? arn(v.name) : v.arn}, {"Type", v.type}};
  if (!v.key_id.empty()) j["KeyId"] = v.key_id;
  j["LastModifiedDate"] = iso8601_ms(v.last_modified);
  j["LastModifiedUser"] = v.last_modified_user;
  if (!v.description.empty()) j["Description"] = v.description;
  if (!v.allowed_pattern.empty()) j["AllowedPattern"] = v.allowed_pattern;
  j["Version"] = v.version;
  j["Tier"] = v.tier;
  j["Policies"] = policies_json(v.policies);
  j["DataType"] = v.data_type;
  return j;
}

} // namespace sshm::params
