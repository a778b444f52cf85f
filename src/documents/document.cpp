// Loading command documents, checking their shape as SSM does, and resolving them into steps.
#include "documents/document.hpp"

#include "documents/builtin.hpp"
#include "documents/parameters.hpp"
#include "documents/plugins.hpp"
#include "documents/source.hpp"
#include "util/bounded_parse.hpp"
#include "util/json_fields.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

namespace sshm::documents {

namespace {

// SSM's documents do not state a pattern for command step names; sshm takes the character
// set of SSM's other names (^[a-zA-Z0-9_\-.]{1,128}$; ':' too for a 1.2 plugin id such as
// 0.aws:runShellScript) and refuses "." and "..", because a step name becomes a directory of
// the output layout. "" when `name` is fine, else what is wrong.
std::string step_name_problem(const std::string& name, bool colon_ok) {
  bool chars_ok = std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || (colon_ok && c == ':');
  });
  if (name.empty() || name.size() > 128 || !chars_ok)
    return fmt::format("step name '{}' is not valid: use 1 to 128 letters, digits, '_', '-' or '.'{}",
                       name.size() > 128 ? name.substr(0, 40) + "..." : name, colon_ok ? " (and ':')" : "");
  if (name == "." || name == "..") return fmt::format("step name '{}' is not valid: it may not be '.' or '..'", name);
  return {};
}

const std::vector<std::string> k_top_level_keys = {"schemaVersion", "description", "parameters", "runtimeConfig",
                                                    "mainSteps"};
const std::vector<std::string> k_step_keys = {"action",   "name",           "inputs",      "precondition",
                                              "settings", "timeoutSeconds", "maxAttempts", "onFailure",
                                              "description"};
const std::vector<std::string> k_plugin_keys = {"properties", "settings", "description"};
// The schema versions the SSM agent accepts, by the section that holds the steps.
const std::vector<std::string> k_runtime_config_versions = {"1.0", "1.2"};
const std::vector<std::string> k_main_steps_versions = {"2.0", "2.0.1", "2.0.2", "2.0.3", "2.2"};
// Step inputs that control the document's flow (SSM Agent 3.0.502 and later).
const std::vector<std::string> k_control_keys = {"onFailure", "onSuccess", "finallyStep"};

constexpr int k_default_timeout = 3600;
constexpr int k_min_timeout = 5;
constexpr int k_max_timeout = 172800;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string kind(const nlohmann::json& v) {
  if (v.is_string()) return "a string";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a map";
  return "nothing";
}

// A step before parameters are applied: where it came from and what it says.
struct RawStep {
  std::string name;
  std::string action;
  nlohmann::json inputs = nlohmann::json::object();
  nlohmann::json precondition;  // null when absent
  std::string pointer;          // of the step (2.x) or property (1.2)
};

bool uses_runtime_config(const std::string& version) { return contains(k_runtime_config_versions, version); }

// Checks one literal control input (a value still holding {{ }} is checked after interpolation).
void check_controls(const nlohmann::json& inputs, const std::string& pointer, const SourceMap& map,
                    std::vector<InputError>& errors) {
  auto literal = [](const nlohmann::json& v) {
    return !(v.is_string() && v.get_ref<const std::string&>().find("{{") != std::string::npos);
  };
  struct Allowed {
    const char* key;
    std::vector<std::string> values;
  };
  for (const Allowed& a : {Allowed{"onFailure", {"exit", "successAndExit"}}, Allowed{"onSuccess", {"exit"}}}) {
    if (!inputs.contains(a.key) || !literal(inputs[a.key])) continue;
    std::string given = json_text(inputs[a.key]);
    if (!contains(a.values, given))
      errors.emplace_back(map.at(pointer_child(pointer, a.key)),
                          fmt::format("{} must be {}, got '{}'", a.key, join(a.values, " or "), given),
                          closest_match(given, a.values));
  }
  if (inputs.contains("finallyStep") && literal(inputs["finallyStep"])) {
    const auto& f = inputs["finallyStep"];
    if (!f.is_boolean() && f != "true" && f != "false")
      errors.emplace_back(map.at(pointer_child(pointer, "finallyStep")),
                          fmt::format("finallyStep must be true or false, got {}", json_text(f)));
  }
  if (inputs.contains("timeoutSeconds")) {
    const auto& t = inputs["timeoutSeconds"];
    if (!t.is_string() && !t.is_number())
      errors.emplace_back(map.at(pointer_child(pointer, "timeoutSeconds")),
                          "timeoutSeconds must be a number of seconds, got " + kind(t));
  }
}

void check_precondition(const nlohmann::json& pre, const std::string& pointer, const SourceMap& map,
                        std::vector<InputError>& errors) {
  if (!pre.is_object()) {
    errors.emplace_back(map.at(pointer), "precondition must be a map like {\"StringEquals\": [\"platformType\", \"Linux\"]}, got " + kind(pre));
    return;
  }
  for (const auto& [op, args] : pre.items()) {
    bool ok = args.is_array() && std::all_of(args.begin(), args.end(), [](const auto& a) { return a.is_string(); });
    if (!ok)
      errors.emplace_back(map.at(pointer_child(pointer, op)),
                          fmt::format("precondition {} must be a list of strings, got {}", op, kind(args)));
  }
}

// One property of a 1.2 plugin as a step, named by its id (or the plugin's name).
void add_property_step(const std::string& plugin, const nlohmann::json& property, const std::string& item_pointer,
                       const SourceMap& map, std::vector<InputError>& errors, std::vector<RawStep>& steps) {
  if (!property.is_object()) {
    errors.emplace_back(map.at(item_pointer), fmt::format("a property of plugin {} must be a map, got {}", plugin, kind(property)));
    return;
  }
  RawStep step;
  step.action = plugin;
  step.inputs = property;
  step.name = step.inputs.contains("id") && step.inputs["id"].is_string() ? step.inputs["id"].get<std::string>() : plugin;
  if (std::string problem = step_name_problem(step.name, true); !problem.empty())
    errors.emplace_back(map.at(step.inputs.contains("id") ? pointer_child(item_pointer, "id") : item_pointer), problem);
  step.inputs.erase("id");
  step.pointer = item_pointer;
  if (step.inputs.contains("timeoutSeconds") && !step.inputs["timeoutSeconds"].is_string() &&
      !step.inputs["timeoutSeconds"].is_number())
    errors.emplace_back(map.at(pointer_child(item_pointer, "timeoutSeconds")),
                        "timeoutSeconds must be a number of seconds, got " + kind(step.inputs["timeoutSeconds"]));
  steps.push_back(std::move(step));
}

// A 1.2 plugin: one step per property (a single map is one property).
void add_plugin_steps(const std::string& plugin, const nlohmann::json& config, const SourceMap& map,
                      std::vector<InputError>& errors, std::vector<RawStep>& steps) {
  std::string pp = pointer_child("/runtimeConfig", plugin);
  if (!config.is_object()) {
    errors.emplace_back(map.at(pp), fmt::format("plugin {} must be a map with properties, got {}", plugin, kind(config)));
    return;
  }
  for (const auto& [key, unused] : config.items())
    if (!contains(k_plugin_keys, key))
      errors.emplace_back(map.at(pointer_child(pp, key)), fmt::format("unknown field '{}' in plugin {}", key, plugin),
                          closest_match(key, k_plugin_keys));
  if (!config.contains("properties")) {
    errors.emplace_back(map.at(pp), fmt::format("plugin {} has no properties", plugin));
    return;
  }
  nlohmann::json props = config["properties"];
  std::string props_pointer = pointer_child(pp, "properties");
  if (plugin == "aws:cloudWatch" && props.is_string()) {
    // aws:cloudWatch takes its configuration as one JSON text; the agent names its step
    // after the plugin (runpluginutil's getStepName).
    steps.push_back(RawStep{plugin, plugin, nlohmann::json{{"properties", props}}, nullptr, props_pointer});
    return;
  }
  bool single = props.is_object();
  if (single) props = nlohmann::json::array({props});
  if (!props.is_array() || props.empty()) {
    errors.emplace_back(map.at(props_pointer), fmt::format("properties of plugin {} must be a non-empty list of maps", plugin));
    return;
  }
  for (size_t i = 0; i < props.size(); ++i)
    add_property_step(plugin, props[i], single ? props_pointer : pointer_child(props_pointer, i), map, errors, steps);
}

// The steps of a schemaVersion 1.0/1.2 document: its runtimeConfig's plugins.
std::vector<RawStep> runtime_config_steps(const nlohmann::json& content, const std::string& version,
                                          const SourceMap& map, std::vector<InputError>& errors) {
  std::vector<RawStep> steps;
  if (content.contains("mainSteps"))
    errors.emplace_back(map.at("/mainSteps"),
                        fmt::format("mainSteps is for schemaVersion 2.0 and 2.2; a {} document uses runtimeConfig", version));
  if (!content.contains("runtimeConfig")) {
    errors.emplace_back(map.at(""), fmt::format("missing runtimeConfig: a schemaVersion {} document needs at least one plugin", version));
    return steps;
  }
  const auto& rc = content["runtimeConfig"];
  if (!rc.is_object() || rc.empty()) {
    errors.emplace_back(map.at("/runtimeConfig"),
                        rc.is_object() ? std::string("runtimeConfig is empty: it needs at least one plugin")
                                       : "runtimeConfig must be a map of plugin name to its properties, got " + kind(rc));
    return steps;
  }
  // SSM does not promise an order for plugins; sshm runs them in the order written.
  std::vector<std::string> plugins;
  for (const auto& [plugin, unused] : rc.items()) plugins.push_back(plugin);
  std::stable_sort(plugins.begin(), plugins.end(), [&](const std::string& a, const std::string& b) {
    Location la = map.at(pointer_child("/runtimeConfig", a)), lb = map.at(pointer_child("/runtimeConfig", b));
    return std::pair(la.line, la.column) < std::pair(lb.line, lb.column);
  });
  for (const auto& plugin : plugins) add_plugin_steps(plugin, rc[plugin], map, errors, steps);
  return steps;
}

// One entry of mainSteps; `names` holds the names of the steps before it (they must differ).
void add_main_step(const nlohmann::json& s, size_t i, std::set<std::string>& names, const SourceMap& map,
                   std::vector<InputError>& errors, std::vector<RawStep>& steps) {
  std::string sp = pointer_child("/mainSteps", i);
  if (!s.is_object()) {
    errors.emplace_back(map.at(sp), "a step must be a map with action, name and inputs, got " + kind(s));
    return;
  }
  for (const auto& [key, unused] : s.items())
    if (!contains(k_step_keys, key))
      errors.emplace_back(map.at(pointer_child(sp, key)), fmt::format("unknown field '{}' in a step", key),
                          closest_match(key, k_step_keys));
  RawStep step;
  step.pointer = sp;
  bool ok = true;
  for (const char* key : {"action", "name"}) {
    if (!s.contains(key)) {
      errors.emplace_back(map.at(sp), fmt::format("step {} has no {}", i + 1, key));
      ok = false;
    } else if (!s[key].is_string() || s[key].get_ref<const std::string&>().empty()) {
      errors.emplace_back(map.at(pointer_child(sp, key)), fmt::format("{} must be a non-empty string", key));
      ok = false;
    }
  }
  if (!ok) return;
  step.action = s["action"].get<std::string>();
  step.name = s["name"].get<std::string>();
  if (std::string problem = step_name_problem(step.name, false); !problem.empty())
    errors.emplace_back(map.at(pointer_child(sp, "name")), problem);
  if (!names.insert(step.name).second)
    errors.emplace_back(map.at(pointer_child(sp, "name")), fmt::format("two steps are named '{}'; step names must be unique", step.name));
  if (s.contains("inputs")) {
    if (!s["inputs"].is_object()) {
      errors.emplace_back(map.at(pointer_child(sp, "inputs")), "inputs must be a map, got " + kind(s["inputs"]));
      return;
    }
    step.inputs = s["inputs"];
    check_controls(step.inputs, pointer_child(sp, "inputs"), map, errors);
  }
  if (s.contains("precondition")) {
    step.precondition = s["precondition"];
    check_precondition(step.precondition, pointer_child(sp, "precondition"), map, errors);
  }
  steps.push_back(std::move(step));
}

// The steps of a schemaVersion 2.x document: its mainSteps.
std::vector<RawStep> main_steps(const nlohmann::json& content, const std::string& version, const SourceMap& map,
                                std::vector<InputError>& errors) {
  std::vector<RawStep> steps;
  if (content.contains("runtimeConfig"))
    errors.emplace_back(map.at("/runtimeConfig"),
                        fmt::format("runtimeConfig is for schemaVersion 1.2; a {} document uses mainSteps", version));
  if (!content.contains("mainSteps")) {
    errors.emplace_back(map.at(""), fmt::format("missing mainSteps: a schemaVersion {} document needs at least one step", version));
    return steps;
  }
  const auto& ms = content["mainSteps"];
  if (!ms.is_array() || ms.empty()) {
    errors.emplace_back(map.at("/mainSteps"), ms.is_array() ? std::string("mainSteps is empty: it needs at least one step")
                                                            : "mainSteps must be a list of steps, got " + kind(ms));
    return steps;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < ms.size(); ++i) add_main_step(ms[i], i, names, map, errors, steps);
  return steps;
}

// The steps of a document in running order; shape problems go to `errors`.
std::vector<RawStep> raw_steps(const nlohmann::json& content, const std::string& version, const SourceMap& map,
                               std::vector<InputError>& errors) {
  return uses_runtime_config(version) ? runtime_config_steps(content, version, map, errors)
                                      : main_steps(content, version, map, errors);
}

const std::vector<std::string> k_session_keys = {"schemaVersion", "description", "sessionType", "inputs",
                                                 "parameters",    "properties",  "outputs"};
const std::vector<std::string> k_session_types = {"Standard_Stream", "InteractiveCommands", "NonInteractiveCommands",
                                                  "Port"};

// A Session Manager document (it names a sessionType): its shape as SSM's Session document
// schema gives it (schemaVersion 1.0; inputs and properties are maps).
void check_session_document(const nlohmann::json& c, const SourceMap& map, std::vector<InputError>& errors) {
  for (const auto& [key, unused] : c.items())
    if (!contains(k_session_keys, key))
      errors.emplace_back(map.at(pointer_child("", key)), fmt::format("unknown top-level field '{}' in a Session document", key),
                          closest_match(key, k_session_keys));
  const auto& type = c["sessionType"];
  if (!type.is_string() || !contains(k_session_types, type.get<std::string>()))
    errors.emplace_back(map.at("/sessionType"),
                        fmt::format("sessionType must be {}, got {}", join(k_session_types, ", "), json_text(type)),
                        closest_match(json_text(type), k_session_types));
  if (!c.contains("schemaVersion") || c["schemaVersion"] != "1.0")
    errors.emplace_back(map.at(c.contains("schemaVersion") ? "/schemaVersion" : ""),
                        "a Session document has schemaVersion \"1.0\"");
  for (const char* key : {"inputs", "properties", "outputs"})
    if (c.contains(key) && !c[key].is_object())
      errors.emplace_back(map.at(pointer_child("", key)), fmt::format("{} must be a map, got {}", key, kind(c[key])));
  if (c.contains("description") && !c["description"].is_string())
    errors.emplace_back(map.at("/description"), "description must be a string");
  read_parameter_defs(c, map, errors);
}

// schemaVersion, top-level fields, steps and parameter declarations; every problem found.
std::vector<InputError> check_document(const ParsedSource& parsed, std::string* version_out) {
  std::vector<InputError> errors;
  const auto& c = parsed.value;
  const auto& map = parsed.map;
  if (!c.is_object()) {
    errors.emplace_back(map.at(""), c.is_null() ? std::string("the document is empty")
                                                : "a document must be a map with schemaVersion, got " + kind(c));
    return errors;
  }
  if (c.contains("sessionType")) {
    check_session_document(c, map, errors);
    if (version_out) *version_out = "1.0";
    return errors;
  }
  for (const auto& [key, unused] : c.items())
    if (!contains(k_top_level_keys, key))
      errors.emplace_back(map.at(pointer_child("", key)), fmt::format("unknown top-level field '{}'", key),
                          closest_match(key, k_top_level_keys));
  if (c.contains("description") && !c["description"].is_string())
    errors.emplace_back(map.at("/description"), "description must be a string");
  read_parameter_defs(c, map, errors);

  std::string version;
  if (!c.contains("schemaVersion")) {
    errors.emplace_back(map.at(""), "missing schemaVersion (\"1.2\", \"2.0\" or \"2.2\")");
  } else if (!c["schemaVersion"].is_string()) {
    errors.emplace_back(map.at("/schemaVersion"),
                        fmt::format("schemaVersion must be a string: write \"{}\" in quotes", c["schemaVersion"].dump()));
  } else {
    version = c["schemaVersion"].get<std::string>();
    if (!uses_runtime_config(version) && !contains(k_main_steps_versions, version)) {
      errors.emplace_back(map.at("/schemaVersion"),
                          fmt::format("unsupported schemaVersion '{}': command documents use 1.2 (runtimeConfig) or 2.0 "
                                      "and 2.2 (mainSteps)",
                                      version));
      version.clear();
    }
  }
  if (!version.empty()) raw_steps(c, version, map, errors);
  std::stable_sort(errors.begin(), errors.end(), [](const InputError& a, const InputError& b) {
    return std::pair(a.where().line, a.where().column) < std::pair(b.where().line, b.where().column);
  });
  if (version_out) *version_out = version;
  return errors;
}

int timeout_from(const nlohmann::json& inputs) {
  if (!inputs.contains("timeoutSeconds")) return k_default_timeout;
  const auto& t = inputs["timeoutSeconds"];
  double seconds = -1;
  if (t.is_number()) {
    seconds = t.get<double>();
  } else if (t.is_string()) {
    const std::string& s = t.get_ref<const std::string&>();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) seconds = v;
  }
  if (seconds < k_min_timeout || seconds > k_max_timeout) return k_default_timeout;
  return static_cast<int>(seconds);
}

bool contains_ssm_reference(const std::string& s) {
  return s.find("{{ssm:") != std::string::npos || s.find("{{ ssm:") != std::string::npos;
}
bool contains_secure_reference(const std::string& s) { return s.find("ssm-secure:") != std::string::npos; }

// What a step's precondition came to (schema 2.2): whether it lets the step run, and the
// agent's words for every clause that did not hold or that it did not recognise.
struct PreconditionOutcome {
  bool allowed = true;
  std::vector<std::string> reasons;
};

// The agent's evaluatePreconditions (runpluginutil).
PreconditionOutcome evaluate_precondition(const nlohmann::json& pre, const ParameterValues& values,
                                          const std::string& platform) {
  PreconditionOutcome o;
  auto& reasons = o.reasons;
  for (const auto& [op, args] : pre.items()) {
    if (op != "StringEquals") {
      reasons.push_back(fmt::format("unrecognized operator: \"{}\"", op));
      continue;
    }
    if (args.size() != 2) {
      reasons.push_back(fmt::format("\"{}\": operator accepts exactly 2 arguments", op));
      continue;
    }
    std::string a0 = args[0].get<std::string>(), a1 = args[1].get<std::string>();
    std::string r0 = json_text(interpolate(args[0], values)), r1 = json_text(interpolate(args[1], values));
    if (a0 == a1) {
      reasons.push_back(a0 == "platformType" ? fmt::format("\"{}\": [{} {}]", op, a0, a1)
                                             : fmt::format("\"{}\": operator's arguments can't be identical", op));
    } else if (contains_ssm_reference(a0) || contains_ssm_reference(a1)) {
      reasons.push_back(fmt::format("\"{}\": operator's arguments can't contain SSM parameters", op));
    } else if (contains_secure_reference(a0) || contains_secure_reference(a1)) {
      reasons.push_back(fmt::format("\"{}\": operator's arguments can't contain secure SSM parameters", op));
    } else if (a0 == "platformType" || a1 == "platformType") {
      const std::string& initial = a0 == "platformType" ? a1 : a0;
      const std::string& resolved = a0 == "platformType" ? r1 : r0;
      if (to_lower(initial) != to_lower(resolved)) {
        reasons.push_back(fmt::format(
            "\"{}\": the second argument for the platformType variable can't contain document parameters", op));
      } else if (to_lower(platform) != to_lower(initial)) {
        o.allowed = false;
        reasons.push_back(fmt::format("\"{}\": [{}, {}]", op, a0, a1));
      }
    } else if (a0 == r0 && a1 == r1) {
      reasons.push_back(fmt::format("\"{}\": at least one of operator's arguments must contain a valid document parameter", op));
    } else if (r0 != r1) {
      o.allowed = false;
      reasons.push_back(fmt::format("\"{}\": [{}, {}]", op, a0, a1));
    }
  }
  return o;
}

std::string unknown_plugin_message(const Step& step) {
  return fmt::format("Plugin with name {} is not supported by this version of ssm agent, please update to latest "
                     "version. Step name: {}",
                     step.action, step.name);
}

std::string unsupported_plugin_skip(const Step& step) {
  return fmt::format("Step execution skipped due to unsupported plugin: {}. Step name: {}", step.action, step.name);
}

// The agent's getStepExecutionOperation: whether a step runs, is skipped or fails, from
// its plugin and precondition. Preconditions are evaluated from schema 2.2 on; before
// that a precondition, an unknown plugin or one with no Linux implementation fails the
// step, while from 2.2 the last is skipped and the document can still succeed.
void apply_step_rules(Step& step, const std::string& version, const nlohmann::json& pre, const ParameterValues& values,
                      const std::string& platform) {
  PluginSupport support = plugin_support(step.action);
  bool known = support != PluginSupport::unknown;
  bool handler = support == PluginSupport::runs || support == PluginSupport::agent_only;
  bool has_pre = !pre.is_null() && !pre.empty();
  if (version != "2.2") {
    if (!known) step.failure_reason = unknown_plugin_message(step);
    else if (has_pre)
      step.failure_reason =
          fmt::format("Precondition is not supported for document schema version prior to 2.2. Step name: {}", step.name);
    else if (!handler) step.failure_reason = fmt::format("Plugin with name {} not found. Step name: {}", step.action, step.name);
    return;
  }
  PreconditionOutcome o = has_pre ? evaluate_precondition(pre, values, platform) : PreconditionOutcome{};
  if (o.allowed && !known) {
    step.failure_reason = unknown_plugin_message(step);
  } else if (!handler) {
    step.skip_reason = unsupported_plugin_skip(step);
  } else if (!o.allowed) {
    step.skip_reason = fmt::format("Step execution skipped due to unsatisfied preconditions: '{}'. Step name: {}",
                                   join(o.reasons, ", "), step.name);
  } else if (!o.reasons.empty()) {
    step.failure_reason = fmt::format("Unrecognized precondition(s): '{}', please update agent to latest version. "
                                      "Step name: {}",
                                      join(o.reasons, ", "), step.name);
  }
}

std::string read_file(const std::string& path) { return bounded::read_file(path, "document file"); }

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || ends_with(s, ".json") || ends_with(s, ".yaml") || ends_with(s, ".yml");
}

} // namespace

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const auto& b : builtin_documents()) names.emplace_back(b.name);
  return names;
}

Document load_text(const std::string& text, const std::string& file, const std::string& name) {
  ParsedSource parsed = parse_source(text, file);
  std::string version;
  std::vector<InputError> errors = check_document(parsed, &version);
  if (errors.size() == 1) throw errors.front();
  if (!errors.empty()) throw InputErrors(std::move(errors));
  Document doc;
  doc.name = name;
  doc.schema_version = version;
  doc.description = parsed.value.value("description", "");
  doc.content = std::move(parsed.value);
  doc.source_text = text;
  doc.format = parsed.format;
  if (doc.content.contains("sessionType")) {
    doc.document_type = "Session";
    doc.session_type = json_text(doc.content["sessionType"]);
  }
  doc.source_map = std::make_shared<const SourceMap>(std::move(parsed.map));
  return doc;
}

Document load(const std::string& name_or_path) {
  if (!looks_like_path(name_or_path)) {
    for (const auto& b : builtin_documents())
      if (b.name == name_or_path) return load_text(std::string(b.text), std::string(b.name), std::string(b.name));
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) {
    Document doc = load_text(read_file(name_or_path), name_or_path, std::filesystem::path(name_or_path).stem().string());
    doc.path = name_or_path;
    return doc;
  }
  if (looks_like_path(name_or_path)) throw InputError(Location{name_or_path}, "no such document file");
  throw InputError(fmt::format("no built-in document '{}' and no such file (built-in: {})", name_or_path,
                               join(builtin_names(), ", ")),
                   closest_match(name_or_path, builtin_names()));
}

ResolvedDocument resolve(const Document& doc, const ParameterValues& values, const std::string& platform) {
  return resolve(doc, values, platform, SsmResolver{});
}

ResolvedDocument resolve(const Document& doc, const ParameterValues& values, const std::string& platform,
                         const SsmResolver& ssm) {
  // A Document built by hand has no source map; errors then name only the document.
  SourceMap unlocated(doc.path.empty() ? doc.name : doc.path);
  const SourceMap& map = doc.source_map ? *doc.source_map : unlocated;
  if (doc.document_type == "Session")
    throw InputError(map.at("/sessionType"),
                     fmt::format("{} is a Session document (sessionType {}): Session Manager starts it, not Run "
                                 "Command; use `sshm session` with this document",
                                 doc.name, doc.session_type));
  std::vector<InputError> errors;
  std::vector<ParameterDef> defs = read_parameter_defs(doc.content, map, errors);
  std::vector<std::string> declared;
  for (const auto& d : defs) declared.push_back(d.name);
  for (const auto& [name, unused] : values) {
    if (!contains(declared, name))
      errors.emplace_back(map.at(""),
                          fmt::format("unknown parameter '{}' for document {} ({})", name, doc.name,
                                      declared.empty() ? "it declares none" : "it declares " + join(declared, ", ")),
                          closest_match(name, declared));
  }
  ParameterValues effective;
  for (const auto& def : defs) {
    Location where = map.at(def.pointer);
    auto given = values.find(def.name);
    if (given != values.end()) {
      // Parameter Store references in values resolve first; the checks see the result.
      nlohmann::json v = ssm ? resolve_ssm_references(given->second, ssm) : given->second;
      for (auto& problem : value_problems(def, v)) errors.emplace_back(where, problem);
      effective[def.name] = v;
    } else if (def.default_value) {
      effective[def.name] = ssm ? resolve_ssm_references(*def.default_value, ssm) : *def.default_value;
    } else {
      errors.emplace_back(where, fmt::format("missing required parameter '{}' (it has no default): give it with -p {}=...",
                                             def.name, def.name));
    }
  }
  if (errors.size() == 1) throw errors.front();
  if (!errors.empty()) throw InputErrors(std::move(errors));

  ResolvedDocument out;
  for (const auto& def : defs) out.parameters[def.name] = record_form(effective[def.name]);

  // interpolationType ENV_VAR (schema 2.2): the value also travels as SSM_<name>.
  std::map<std::string, std::string> environment;
  if (doc.schema_version == "2.2")
    for (const auto& def : defs)
      if (def.env_var) environment["SSM_" + def.name] = json_text(effective[def.name]);

  std::vector<InputError> shape;
  std::vector<RawStep> raw = raw_steps(doc.content, doc.schema_version, map, shape);
  bool runtime_config = uses_runtime_config(doc.schema_version);
  for (size_t i = 0; i < raw.size(); ++i) {
    Step step;
    step.name = raw[i].name;
    step.action = raw[i].action;
    step.inputs = interpolate(raw[i].inputs, effective);
    if (ssm) step.inputs = resolve_ssm_references(step.inputs, ssm);
    step.timeout_seconds = timeout_from(step.inputs);
    step.environment = environment;
    if (!runtime_config) {
      // The agent reads these from inputs as strings (finallyStep also as a boolean).
      auto text_of = [&](const char* key) {
        if (!step.inputs.contains(key)) return std::string();
        const auto& v = step.inputs[key];
        return v.is_string() ? v.get<std::string>() : v.is_boolean() ? std::string(v.get<bool>() ? "true" : "false") : "";
      };
      if (std::string f = text_of("onFailure"); f == "exit" || f == "successAndExit") step.on_failure = f;
      if (text_of("onSuccess") == "exit") step.on_success = "exit";
      step.finally_step = text_of("finallyStep") == "true" && i + 1 == raw.size();
    }
    apply_step_rules(step, doc.schema_version, raw[i].precondition, effective, platform);
    out.steps.push_back(std::move(step));
  }
  return out;
}

std::vector<InputError> validate_text(const std::string& text, const std::string& file) {
  try {
    return check_document(parse_source(text, file), nullptr);
  } catch (const InputError& e) {
    return {e};
  }
}

std::vector<InputError> validate_file(const std::string& path) {
  try {
    return validate_text(read_file(path), path);
  } catch (const InputError& e) {
    return {e};
  }
}

} // namespace sshm::documents
