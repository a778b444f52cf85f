// Parameter declarations, SSM's value checks, and values from the command line.
#include "documents/parameters.hpp"

#include "documents/document.hpp"
#include "documents/secrets.hpp"
#include "util/bounded_parse.hpp"
#include "util/json_fields.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <fmt/format.h>
#include <re2/re2.h>
#include <regex>

namespace sshm::documents {

namespace {

const std::vector<std::string> k_type_names = {"String", "StringList", "Integer", "Boolean", "StringMap", "MapList"};
const std::vector<std::string> k_definition_keys = {
    "type",     "description", "default",  "allowedValues", "allowedPattern",   "displayType",
    "minItems", "maxItems",    "minChars", "maxChars",      "interpolationType"};

std::string value_kind(const nlohmann::json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a map";
  return "null";
}

// A short rendering of a value for messages.
std::string shown(const nlohmann::json& v) {
  std::string s = v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// A -p value read as JSON; text nested deeper than the input limit counts as not JSON.
nlohmann::json cli_json(const std::string& text) {
  try {
    bounded::check_json(text, "-p");
  } catch (const InputError&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return nlohmann::json::parse(text, nullptr, false);
}

// Characters, not bytes: UTF-8 continuation bytes do not count.
long long char_count(const std::string& s) {
  long long n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_string_list(const nlohmann::json& v) {
  if (!v.is_array()) return false;
  for (const auto& item : v)
    if (!item.is_string()) return false;
  return true;
}

bool is_map_list(const nlohmann::json& v) {
  if (!v.is_array()) return false;
  for (const auto& item : v)
    if (!item.is_object()) return false;
  return true;
}

std::optional<long long> read_count(const nlohmann::json& v) {
  if (v.is_number_integer() && v.get<long long>() >= 0) return v.get<long long>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (!s.empty() && s.size() < 12 && s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
  }
  return std::nullopt;
}

std::vector<ParameterDef> defs_of(const Document& doc) {
  std::vector<InputError> ignored;
  return read_parameter_defs(doc.content, doc.source_map ? *doc.source_map : SourceMap(doc.name), ignored);
}

const ParameterDef* find_def(const std::vector<ParameterDef>& defs, const std::string& name) {
  for (const auto& d : defs)
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<ParameterDef>& defs) {
  std::vector<std::string> names;
  for (const auto& d : defs) names.push_back(d.name);
  return names;
}

InputError unknown_parameter(const Location& where, const std::string& name, const Document& doc,
                             const std::vector<ParameterDef>& defs) {
  std::string declared = defs.empty() ? "it declares none" : "it declares " + join(names_of(defs), ", ");
  return InputError(where, fmt::format("unknown parameter '{}' for document {} ({})", name, doc.name, declared),
                    closest_match(name, names_of(defs)));
}

// One value from a parameters file or a documentParameters map, typed for `def`: typed
// values pass, text converts as -p does, SSM's wire form (a list of strings) unwraps.
nlohmann::json coerce(const ParameterDef& def, const nlohmann::json& v) {
  if (type_problem(def, v).empty()) return v;
  // YAML's empty value (`{SnapshotId: }` once an empty parameter is interpolated) is "".
  if (v.is_null() && def.type == ParameterType::String) return "";
  bool list_type = def.type == ParameterType::StringList || def.type == ParameterType::MapList;
  if (def.type == ParameterType::StringList) {
    if (v.is_array()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : v) {
        if (item.is_array() || item.is_object() || item.is_null())
          throw InputError(fmt::format("parameter '{}' must be a StringList, got a list holding {}", def.name, value_kind(item)));
        out.push_back(json_text(item));
      }
      return out;
    }
    if (v.is_string()) return value_from_text(def, v.get<std::string>());
    if (v.is_number() || v.is_boolean()) return nlohmann::json::array({v.dump()});
  }
  if (!list_type && v.is_array() && v.size() == 1 && v[0].is_string()) return value_from_text(def, v[0].get<std::string>());
  if (v.is_string()) return value_from_text(def, v.get<std::string>());
  if (def.type == ParameterType::String && (v.is_number() || v.is_boolean())) return v.dump();
  throw InputError(type_problem(def, v));
}

// Typed values from a JSON map; problems are collected with locations from `map` when
// given (a parameters file) or prefixed by `where`.
ParameterValues typed_from_object(const Document& doc, const nlohmann::json& object, const SourceMap* map,
                                  const std::string& where, std::vector<InputError>& errors) {
  ParameterValues out;
  auto locate = [&](const std::string& key) {
    return map ? map->at(pointer_child("", key)) : Location{};
  };
  auto prefix = [&](const std::string& msg) { return map ? msg : where + ": " + msg; };
  if (!object.is_object()) {
    errors.emplace_back(map ? map->at("") : Location{},
                        prefix("parameters must be a map of name to value, got " + value_kind(object)));
    return out;
  }
  auto defs = defs_of(doc);
  for (const auto& [name, value] : object.items()) {
    const ParameterDef* def = find_def(defs, name);
    if (!def) {
      InputError e = unknown_parameter(locate(name), name, doc, defs);
      errors.emplace_back(e.where(), prefix(e.what()), e.suggestion());
      continue;
    }
    try {
      out[name] = coerce(*def, value);
    } catch (const InputError& e) {
      errors.emplace_back(locate(name), prefix(e.what()));
    }
  }
  return out;
}

// Reads one parameter's declaration into a ParameterDef; each problem goes to `errors` at
// the place of the field it is about.
class DeclarationReader {
public:
  DeclarationReader(ParameterDef& def, const SourceMap& map, std::vector<InputError>& errors)
      : m_def(def), m_map(map), m_errors(errors) {}

  void fail(const std::string& key, const std::string& msg, std::string suggestion = {}) {
    Location where = m_map.at(key.empty() ? m_def.pointer : pointer_child(m_def.pointer, key));
    m_errors.emplace_back(where, fmt::format("parameter '{}': {}", m_def.name, msg), std::move(suggestion));
  }

  void check_keys(const nlohmann::json& decl) {
    for (const auto& [key, unused] : decl.items()) {
      if (std::find(k_definition_keys.begin(), k_definition_keys.end(), key) == k_definition_keys.end())
        fail(key, fmt::format("unknown field '{}'", key), closest_match(key, k_definition_keys));
    }
  }

  // Whether the declaration has a type sshm knows (a default can only be checked then).
  bool read_type(const nlohmann::json& decl) {
    if (!decl.contains("type")) {
      fail({}, "missing 'type' (one of " + join(k_type_names, ", ") + ")");
      return false;
    }
    if (!decl["type"].is_string()) {
      fail("type", "type must be a string");
      return false;
    }
    m_def.type_name = decl["type"].get<std::string>();
    auto it = std::find(k_type_names.begin(), k_type_names.end(), m_def.type_name);
    if (it == k_type_names.end()) {
      fail("type", fmt::format("unknown type '{}' (use {})", m_def.type_name, join(k_type_names, ", ")),
           closest_match(m_def.type_name, k_type_names));
      return false;
    }
    m_def.type = static_cast<ParameterType>(it - k_type_names.begin());
    return true;
  }

  void read_allowed_values(const nlohmann::json& av) {
    if (!av.is_array()) {
      fail("allowedValues", "allowedValues must be a list of strings");
      return;
    }
    std::vector<std::string> values;
    for (const auto& v : av) {
      if (v.is_object() || v.is_array() || v.is_null()) {
        fail("allowedValues", "allowedValues must be a list of strings");
        break;
      }
      values.push_back(json_text(v));
    }
    m_def.allowed_values = values;
  }

  // Compiled once here, so each value is matched without compiling it again.
  void read_allowed_pattern(const nlohmann::json& pattern) {
    if (!pattern.is_string()) {
      fail("allowedPattern", "allowedPattern must be a string");
      return;
    }
    m_def.allowed_pattern = pattern.get<std::string>();
    RE2::Options options;
    options.set_log_errors(false);
    auto compiled = std::make_shared<const RE2>(m_def.allowed_pattern, options);
    if (compiled->ok())
      m_def.pattern = std::move(compiled);
    else
      fail("allowedPattern", fmt::format("allowedPattern '{}' is not a valid regular expression: {}",
                                         m_def.allowed_pattern, compiled->error()));
  }

  void read_counts(const nlohmann::json& decl) {
    struct Count {
      const char* key;
      std::optional<long long>* slot;
    };
    for (Count c : {Count{"minItems", &m_def.min_items}, Count{"maxItems", &m_def.max_items},
                    Count{"minChars", &m_def.min_chars}, Count{"maxChars", &m_def.max_chars}}) {
      if (!decl.contains(c.key)) continue;
      *c.slot = read_count(decl[c.key]);
      if (!*c.slot) fail(c.key, fmt::format("{} must be a whole number of at least 0, got {}", c.key, shown(decl[c.key])));
    }
  }

  void read_interpolation_type(const nlohmann::json& it) {
    if (it == "ENV_VAR") {
      m_def.env_var = true;
      return;
    }
    std::string given = it.is_string() ? it.get<std::string>() : it.dump();
    fail("interpolationType", fmt::format("unknown interpolationType '{}' (the only one is ENV_VAR)", given),
         closest_match(given, {"ENV_VAR"}));
  }

  // Called once the type is known.
  void read_default(const nlohmann::json& value) {
    m_def.default_value = value;
    if (!type_problem(m_def, value).empty())
      fail("default", fmt::format("the default must be {} {}, got {} ({})",
                                  m_def.type == ParameterType::Integer ? "an" : "a", m_def.type_name, shown(value),
                                  value_kind(value)));
  }

private:
  ParameterDef& m_def;
  const SourceMap& m_map;
  std::vector<InputError>& m_errors;
};

bool good_parameter_name(const std::string& n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

// One declaration; nullopt when it is too broken to keep (a bad name, not a map).
std::optional<ParameterDef> read_parameter_def(const std::string& name, const nlohmann::json& decl,
                                               const SourceMap& map, std::vector<InputError>& errors) {
  ParameterDef def;
  def.name = name;
  def.pointer = pointer_child("/parameters", name);
  DeclarationReader r(def, map, errors);
  if (!good_parameter_name(name)) {
    r.fail({}, "a parameter name may hold only letters and digits ([a-zA-Z0-9]+)");
    return std::nullopt;
  }
  if (!decl.is_object()) {
    r.fail({}, "the declaration must be a map with at least a type, got " + value_kind(decl));
    return std::nullopt;
  }
  r.check_keys(decl);
  bool typed = r.read_type(decl);
  if (decl.contains("allowedValues")) r.read_allowed_values(decl["allowedValues"]);
  if (decl.contains("allowedPattern")) r.read_allowed_pattern(decl["allowedPattern"]);
  r.read_counts(decl);
  if (decl.contains("interpolationType")) r.read_interpolation_type(decl["interpolationType"]);
  if (typed && decl.contains("default")) r.read_default(decl["default"]);
  return def;
}

} // namespace

std::vector<ParameterDef> read_parameter_defs(const nlohmann::json& content, const SourceMap& map,
                                              std::vector<InputError>& errors) {
  std::vector<ParameterDef> defs;
  if (!content.is_object() || !content.contains("parameters")) return defs;
  const auto& params = content["parameters"];
  if (params.is_null()) return defs;
  if (!params.is_object()) {
    errors.emplace_back(map.at("/parameters"), "parameters must be a map of name to declaration, got " + value_kind(params));
    return defs;
  }
  for (const auto& [name, decl] : params.items())
    if (auto def = read_parameter_def(name, decl, map, errors)) defs.push_back(std::move(*def));
  return defs;
}

std::string type_problem(const ParameterDef& def, const nlohmann::json& value) {
  bool ok = false;
  switch (def.type) {
  case ParameterType::String: ok = value.is_string(); break;
  case ParameterType::StringList: ok = is_string_list(value); break;
  case ParameterType::Integer: ok = value.is_number_integer(); break;
  case ParameterType::Boolean: ok = value.is_boolean(); break;
  case ParameterType::StringMap: ok = value.is_object(); break;
  case ParameterType::MapList: ok = is_map_list(value); break;
  }
  if (ok) return {};
  return fmt::format("parameter '{}' must be {} {}, got {} ({})", def.name,
                     def.type == ParameterType::Integer ? "an" : "a", def.type_name.empty() ? "value" : def.type_name,
                     looks_secret(def.name) ? std::string("****") : shown(value), value_kind(value));
}

bool looks_secret(const std::string& name) {
  static const std::regex re("password|passwd|secret|token|key|credential", std::regex::icase);
  return std::regex_search(name, re);
}

std::vector<std::string> value_problems(const ParameterDef& def, const nlohmann::json& value) {
  std::vector<std::string> out;
  if (std::string p = type_problem(def, value); !p.empty()) return {p};
  // The items that per-item checks apply to.
  std::vector<std::string> items;
  if (value.is_array()) {
    for (const auto& v : value) items.push_back(json_text(v));
  } else {
    items.push_back(json_text(value));
  }
  // A secret's value is never repeated in an error message.
  auto shown_item = [&](const std::string& item) { return looks_secret(def.name) ? std::string("****") : item; };
  if (def.allowed_values) {
    for (const auto& item : items) {
      if (std::find(def.allowed_values->begin(), def.allowed_values->end(), item) == def.allowed_values->end()) {
        std::string hint = closest_match(item, *def.allowed_values);
        out.push_back(fmt::format("parameter '{}': value '{}' is not one of the allowed values: {}{}", def.name, shown_item(item),
                                  join(*def.allowed_values, ", "),
                                  hint.empty() || looks_secret(def.name) ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
    }
  }
  if (def.pattern) {
    for (const auto& item : items) {
      // The value is not shown: it may be a secret.
      if (!RE2::FullMatch(item, *def.pattern))
        out.push_back(fmt::format("parameter '{}': value does not match allowedPattern '{}'", def.name, def.allowed_pattern));
    }
  }
  if (value.is_array() || value.is_object()) {
    long long n = static_cast<long long>(value.size());
    if (def.min_items && n < *def.min_items)
      out.push_back(fmt::format("parameter '{}' needs at least {} item(s) (minItems), got {}", def.name, *def.min_items, n));
    if (def.max_items && n > *def.max_items)
      out.push_back(fmt::format("parameter '{}' takes at most {} item(s) (maxItems), got {}", def.name, *def.max_items, n));
  }
  if (def.type == ParameterType::String || def.type == ParameterType::StringList) {
    for (const auto& item : items) {
      long long n = char_count(item);
      if (def.min_chars && n < *def.min_chars)
        out.push_back(fmt::format("parameter '{}': value '{}' is shorter than minChars {} ({} characters)", def.name,
                                  shown_item(item), *def.min_chars, n));
      if (def.max_chars && n > *def.max_chars)
        out.push_back(fmt::format("parameter '{}': value is longer than maxChars {} ({} characters)", def.name,
                                  *def.max_chars, n));
    }
  }
  return out;
}

nlohmann::json value_from_text(const ParameterDef& def, const std::string& text) {
  auto bad = [&](const std::string& what) {
    return InputError(fmt::format("parameter '{}' is {}: '{}' is not {}", def.name, def.type_name, text, what));
  };
  switch (def.type) {
  case ParameterType::String:
    return text;
  case ParameterType::StringList:
    if (!text.empty() && text.front() == '[') {
      auto parsed = cli_json(text);
      if (is_string_list(parsed)) return parsed;
    }
    return nlohmann::json::array({text});
  case ParameterType::Integer: {
    size_t digits_from = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    bool integer = text.size() > digits_from &&
                   std::all_of(text.begin() + static_cast<long>(digits_from), text.end(),
                               [](char c) { return c >= '0' && c <= '9'; });
    if (!integer) throw bad("an integer");
    try {
      return std::stoll(text);
    } catch (const std::out_of_range&) {
      throw bad("an integer in range");
    }
  }
  case ParameterType::Boolean:
    if (text == "true") return true;
    if (text == "false") return false;
    throw bad("true or false");
  case ParameterType::StringMap: {
    auto parsed = cli_json(text);
    if (!parsed.is_object()) throw bad("a JSON map ({\"key\": \"value\"})");
    return parsed;
  }
  case ParameterType::MapList: {
    auto parsed = cli_json(text);
    if (!is_map_list(parsed)) throw bad("a JSON list of maps ([{\"key\": \"value\"}])");
    return parsed;
  }
  }
  return text;
}

nlohmann::json record_form(const nlohmann::json& value) {
  nlohmann::json out = nlohmann::json::array();
  if (value.is_array()) {
    for (const auto& v : value) out.push_back(json_text(v));
  } else {
    out.push_back(json_text(value));
  }
  return out;
}

ParameterValues typed_parameters(const Document& doc, const nlohmann::json& object, const std::string& where) {
  std::vector<InputError> errors;
  ParameterValues out;
  if (object.is_string()) {
    // aws:runDocument's documentParameters often arrive as JSON text; when that is not
    // JSON, or is JSON with no parameters, the agent reads it again as YAML (rundocument's
    // prepareDocumentForExecution), which AWS's own documents rely on.
    const std::string& text = object.get_ref<const std::string&>();
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
    }
    if (!value.is_object() || value.empty()) value = parse_yaml(text, where).value;
    out = typed_from_object(doc, value.is_null() ? nlohmann::json::object() : value, nullptr, where, errors);
  } else {
    out = typed_from_object(doc, object, nullptr, where, errors);
  }
  if (errors.size() == 1) throw errors.front();
  if (!errors.empty()) throw InputErrors(std::move(errors));
  return out;
}

ParameterValues parse_cli_parameters(const Document& doc, const std::vector<std::string>& assignments,
                                     const std::string& parameters_file) {
  std::vector<InputError> errors;
  ParameterValues values;
  if (!parameters_file.empty()) {
    // "-" reads standard input, so a secret need not be in a file or on the command line.
    std::string text = bounded::read_file(parameters_file, "parameters file");
    ParsedSource parsed = parse_source(text, parameters_file);
    values = typed_from_object(doc, parsed.value, &parsed.map, parameters_file, errors);
  }
  auto defs = defs_of(doc);
  ParameterValues given;
  for (const auto& a : assignments) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.emplace_back(fmt::format("-p '{}': expected name=value", a));
      continue;
    }
    std::string name = a.substr(0, eq), text = a.substr(eq + 1);
    const ParameterDef* def = find_def(defs, name);
    if (!def) {
      InputError e = unknown_parameter(Location{}, name, doc, defs);
      errors.emplace_back(fmt::format("-p {}: {}", name, e.what()), e.suggestion());
      continue;
    }
    try {
      nlohmann::json v = value_from_text(*def, text);
      auto it = given.find(name);
      if (it == given.end()) {
        given[name] = v;
      } else if (def->type == ParameterType::StringList || def->type == ParameterType::MapList) {
        for (auto& item : v) it->second.push_back(item);
      } else {
        errors.emplace_back(fmt::format("-p {}: given more than once, but {} takes one value", name, def->type_name));
      }
    } catch (const InputError& e) {
      errors.emplace_back(fmt::format("-p {}", e.what()));
    }
  }
  for (auto& [name, v] : given) values[name] = v;
  // File problems in the order of the file (they were found in name order).
  auto order = [](const InputError& e) {
    return std::pair(e.where().line > 0 ? e.where().line : INT_MAX, e.where().column);
  };
  std::stable_sort(errors.begin(), errors.end(),
                   [&](const InputError& a, const InputError& b) { return order(a) < order(b); });
  if (errors.size() == 1) throw errors.front();
  if (!errors.empty()) throw InputErrors(std::move(errors));
  return values;
}

} // namespace sshm::documents
