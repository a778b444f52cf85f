// The plan of one session: document, parameters, preferences and flags put together.
#include "session/document.hpp"

#include "documents/document.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

namespace sshm::session {

namespace {

constexpr const char* k_default_document = "SSM-SessionManagerRunShell";

// -p NAME=VALUE against the document's declarations: defaults, required ones, allowed
// patterns and values. Session document parameters are Strings.
nlohmann::json parameter_values(const SessionDocument& doc, const std::vector<std::string>& assignments) {
  nlohmann::json values = nlohmann::json::object();
  std::vector<std::string> declared;
  for (const auto& [name, decl] : doc.parameters.items()) declared.push_back(name);
  for (const std::string& a : assignments) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(fmt::format("-p '{}': expected NAME=VALUE", a));
    std::string name = a.substr(0, eq);
    if (!doc.parameters.contains(name))
      throw InputError(fmt::format("document {} has no parameter '{}' (it has: {})", doc.name, name,
                                   declared.empty() ? "none" : join(declared, ", ")),
                       closest_match(name, declared));
    values[name] = a.substr(eq + 1);
  }
  for (const auto& [name, decl] : doc.parameters.items()) {
    if (!values.contains(name)) {
      if (!decl.is_object() || !decl.contains("default"))
        throw InputError(fmt::format("document {} needs parameter '{}' (-p {}=...)", doc.name, name, name));
      values[name] = decl["default"];
    }
    std::string pattern = decl.is_object() ? decl.value("allowedPattern", "") : "";
    if (!pattern.empty() && values[name].is_string()) {
      RE2::Options options;
      options.set_log_errors(false);
      RE2 re(pattern, options);
      if (!re.ok() || !RE2::PartialMatch(values[name].get<std::string>(), re))
        throw InputError(fmt::format("parameter {} = '{}' does not match the document's allowedPattern {}", name,
                                     values[name].get<std::string>(), pattern));
    }
  }
  return values;
}

std::string property_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::vector<std::string> lines;
    for (const auto& l : v) lines.push_back(l.is_string() ? l.get<std::string>() : l.dump());
    return join(lines, "\n");
  }
  return v.is_null() ? "" : v.dump();
}

int port_of(const nlohmann::json& props, const char* key, int fallback) {
  std::string t = props.contains(key) ? property_text(props[key]) : "";
  if (t.empty()) return fallback;
  if (t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos || std::stoi(t) > 65535)
    throw InputError(fmt::format("{} '{}' is not a port number", key, t));
  return std::stoi(t);
}

// The command line for the plan's type and user: a login shell, or the command.
std::string host_command(const std::string& command, const std::string& run_as) {
  if (run_as.empty()) return command;
  if (command.empty()) return fmt::format("sudo -n -u {} -i", shell_quote(run_as));
  return fmt::format("sudo -n -u {} -- sh -c {}", shell_quote(run_as), shell_quote(command));
}

void apply_document(SessionPlan& plan, const SessionDocument& doc, const PlanRequest& req) {
  plan.parameters = parameter_values(doc, req.parameters);
  documents::ParameterValues values;
  for (const auto& [k, v] : plan.parameters.items()) values[k] = v;
  nlohmann::json props = documents::interpolate(doc.properties, values);
  if (doc.type == SessionType::interactive || doc.type == SessionType::non_interactive) {
    const nlohmann::json linux = props.value("linux", nlohmann::json::object());
    plan.command = property_text(linux.value("commands", nlohmann::json()));
    if (trim(plan.command).empty())
      throw InputError(fmt::format("document {} has no properties.linux.commands to run", doc.name));
  } else if (doc.type == SessionType::port) {
    plan.forward.port = port_of(props, "portNumber", 0);
    if (plan.forward.port == 0) throw InputError(fmt::format("document {}: portNumber is required", doc.name));
    plan.forward.local_port = port_of(props, "localPortNumber", 0);
    plan.forward.stdio = !props.contains("localPortNumber");
    if (props.contains("host")) plan.forward.host = property_text(props["host"]);
  }
}

} // namespace

SessionPlan make_plan(const PlanRequest& req) {
  SessionPlan plan;
  SessionDocument doc = load_session_document(req.document.empty() ? k_default_document : req.document);
  plan.document_name = doc.name;
  plan.type = doc.type;
  if (doc.type == SessionType::standard_stream) {
    if (!req.parameters.empty()) throw InputError(fmt::format("document {} takes no parameters", doc.name));
    plan.preferences = preferences_of(doc);
  } else {
    apply_document(plan, doc, req);
  }
  if (!req.preferences.empty()) {
    SessionDocument prefs = load_session_document(req.preferences);
    if (prefs.type != SessionType::standard_stream)
      throw InputError(fmt::format("--preferences {}: a preferences document has sessionType Standard_Stream",
                                   req.preferences));
    plan.preferences = preferences_of(prefs);
  }
  const Preferences& p = plan.preferences;
  plan.limits.idle = req.idle_timeout.empty() ? p.idle.value_or(std::chrono::minutes(20))
                                              : parse_duration(req.idle_timeout, "--idle-timeout");
  plan.limits.max_duration = req.max_duration.empty() ? p.max_duration.value_or(std::chrono::seconds(0))
                                                      : parse_duration(req.max_duration, "--max-duration");
  if (plan.type != SessionType::port) {
    plan.run_as = !req.run_as.empty() ? req.run_as
                  : p.run_as_enabled && !p.run_as_default_user.empty() ? p.run_as_default_user
                                                                        : req.host_run_as;
    plan.command = host_command(plan.command, plan.run_as);
    if (plan.type == SessionType::standard_stream) plan.shell_profile = p.shell_profile;
  }
  return plan;
}

} // namespace sshm::session
