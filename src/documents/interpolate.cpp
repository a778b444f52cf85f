// SSM's {{ name }} and {{ssm:name}} substitution.
#include "documents/document.hpp"
#include "documents/secrets.hpp"
#include "util/json_fields.hpp"

#include <re2/re2.h>

namespace sshm::documents {

namespace {

// Go's \s, which the agent's patterns use.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A {{ name }} token at `at` ("{{", spaces, [a-zA-Z0-9]+, spaces, "}}"): its name and end,
// or an empty name when there is none.
std::pair<std::string, size_t> token_at(const std::string& s, size_t at) {
  if (s.compare(at, 2, "{{") != 0) return {};
  size_t i = at + 2;
  while (i < s.size() && is_space(s[i])) ++i;
  size_t name_start = i;
  while (i < s.size() && is_name_char(s[i])) ++i;
  if (i == name_start) return {};
  std::string name = s.substr(name_start, i - name_start);
  while (i < s.size() && is_space(s[i])) ++i;
  if (s.compare(i, 2, "}}") != 0) return {};
  return {name, i + 2};
}

// "$$" -> "$": the agent substitutes through a regexp replacement template.
std::string collapse_dollars(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') ++i;
  }
  return out;
}

nlohmann::json interpolate_string(const std::string& s, const ParameterValues& values) {
  // The whole string is one token: the typed value, untouched.
  if (auto [name, end] = token_at(s, 0); !name.empty() && end == s.size()) {
    if (auto it = values.find(name); it != values.end()) return it->second;
  }
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t open = s.find("{{", i);
    if (open == std::string::npos) break;
    auto [name, end] = token_at(s, open);
    auto it = name.empty() ? values.end() : values.find(name);
    if (it == values.end()) {
      out.append(s, i, open + 2 - i);
      i = open + 2;
      continue;
    }
    out.append(s, i, open - i);
    out += collapse_dollars(json_text(it->second));
    i = end;
  }
  out.append(s, i, std::string::npos);
  return out;
}

// RE2, so a long document string is scanned in linear time without recursion.
const RE2& ssm_reference() {
  static const RE2 re(R"(\{\{ *ssm:([/\w.:-]+) *\}\})");
  return re;
}

nlohmann::json resolve_ssm_string(const std::string& s, const SsmResolver& ssm) {
  std::string whole;
  if (RE2::FullMatch(s, ssm_reference(), &whole)) return ssm(whole, true);
  std::string out;
  size_t pos = 0;
  re2::StringPiece m[2];
  while (pos < s.size() && ssm_reference().Match(s, pos, s.size(), RE2::UNANCHORED, m, 2)) {
    size_t start = static_cast<size_t>(m[0].data() - s.data());
    std::string name(m[1].data(), m[1].size());
    out.append(s, pos, start - pos);
    nlohmann::json value = ssm(name, false);
    if (!value.is_string())
      throw InputError("Parameter Store value {{ssm:" + name + "}} is a list and cannot be used as a String inside other text");
    out += value.get<std::string>();
    pos = start + m[0].size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

// {{ssm-secure:NAME}}, spaces allowed inside the braces.
const RE2& secure_reference() {
  static const RE2 re(R"(\{\{ *ssm-secure:([/\w.:-]+) *\}\})");
  return re;
}

std::string not_found(const std::string& name) { return "parameter store: parameter " + name + " not found"; }

nlohmann::json resolve_secure_string(const std::string& s, const ParameterResolver& lookup) {
  std::string out;
  size_t pos = 0;
  re2::StringPiece m[2];
  while (pos < s.size() && secure_reference().Match(s, pos, s.size(), RE2::UNANCHORED, m, 2)) {
    size_t start = static_cast<size_t>(m[0].data() - s.data());
    std::string name(m[1].data(), m[1].size());
    out.append(s, pos, start - pos);
    std::optional<nlohmann::json> value = lookup ? lookup(name, true) : std::nullopt;
    if (!value) throw InputError(not_found(name) + " (referenced as {{ssm-secure:" + name + "}})");
    if (!value->is_string())
      throw InputError("Parameter Store value {{ssm-secure:" + name + "}} must be a SecureString");
    out += value->get<std::string>();
    pos = start + m[0].size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

} // namespace

ParameterResolver no_parameter_store() {
  return [](const std::string&, bool) -> std::optional<nlohmann::json> { return std::nullopt; };
}

SsmResolver ssm_resolver(ParameterResolver lookup) {
  return [lookup = std::move(lookup)](const std::string& name, bool) -> nlohmann::json {
    std::optional<nlohmann::json> value = lookup ? lookup(name, false) : std::nullopt;
    if (!value) throw InputError(not_found(name) + " (referenced as {{ssm:" + name + "}})");
    return *value;
  };
}

nlohmann::json resolve_secure_references(const nlohmann::json& node, const ParameterResolver& lookup) {
  if (node.is_string()) return resolve_secure_string(node.get_ref<const std::string&>(), lookup);
  if (node.is_array() || node.is_object()) {
    nlohmann::json out = node;
    for (auto it = out.begin(); it != out.end(); ++it) *it = resolve_secure_references(*it, lookup);
    return out;
  }
  return node;
}

namespace {

// `node` with `f` applied to every string in it, at any depth; keys and other values as they are.
template <typename F> nlohmann::json map_strings(const nlohmann::json& node, const F& f) {
  if (node.is_string()) return f(node.get_ref<const std::string&>());
  if (node.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(map_strings(item, f));
    return out;
  }
  if (node.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : node.items()) out[key] = map_strings(item, f);
    return out;
  }
  return node;
}

} // namespace

nlohmann::json interpolate(const nlohmann::json& node, const ParameterValues& values) {
  return map_strings(node, [&](const std::string& s) { return interpolate_string(s, values); });
}

nlohmann::json resolve_ssm_references(const nlohmann::json& node, const SsmResolver& ssm) {
  if (!ssm) return node;
  return map_strings(node, [&](const std::string& s) { return resolve_ssm_string(s, ssm); });
}

} // namespace sshm::documents
