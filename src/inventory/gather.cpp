#include "inventory/gather.hpp"

#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

namespace sshm::inventory {

std::vector<FileRule> parse_file_rules(const std::string& json_text) {
  const Location where{"--files", 1, 1};
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(Location{"--files", 1, static_cast<int>(e.byte)}, "the files filter is not valid JSON");
  }
  if (doc.is_object()) doc = nlohmann::json::array({doc});
  if (!doc.is_array()) throw InputError(where, "the files filter must be a JSON array of {\"Path\":..,\"Pattern\":[..]}");
  static const std::vector<std::string> k_keys = {"Path", "Pattern", "Recursive", "DirScanLimit"};
  std::vector<FileRule> rules;
  for (const auto& r : doc) {
    if (!r.is_object()) throw InputError(where, "each files rule must be a JSON object");
    for (const auto& [k, v] : r.items()) {
      if (std::find(k_keys.begin(), k_keys.end(), k) == k_keys.end())
        throw InputError(where, fmt::format("unknown key '{}' in a files rule", k), closest_match(k, k_keys));
    }
    FileRule rule;
    if (!r.contains("Path") || !r["Path"].is_string() || r["Path"].get<std::string>().empty())
      throw InputError(where, "a files rule needs \"Path\" (a string)");
    rule.path = r["Path"];
    if (!r.contains("Pattern") || !r["Pattern"].is_array() || r["Pattern"].empty())
      throw InputError(where, "a files rule needs \"Pattern\" (a non-empty array of globs)");
    for (const auto& p : r["Pattern"]) {
      if (!p.is_string()) throw InputError(where, "\"Pattern\" entries must be strings");
      rule.patterns.push_back(p);
    }
    if (r.contains("Recursive")) {
      if (!r["Recursive"].is_boolean()) throw InputError(where, "\"Recursive\" must be true or false");
      rule.recursive = r["Recursive"];
    }
    if (r.contains("DirScanLimit")) {
      if (!r["DirScanLimit"].is_number_integer() || r["DirScanLimit"].get<int>() < 1)
        throw InputError(where, "\"DirScanLimit\" must be a positive integer");
      rule.dir_scan_limit = r["DirScanLimit"];
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

namespace {

bool enabled(const std::string& name, const std::string& value) {
  if (value == "Enabled") return true;
  if (value == "Disabled" || value.empty()) return false;
  throw InputError(fmt::format("parameter '{}' must be Enabled or Disabled, not '{}'", name, value));
}

} // namespace

GatherOptions options_from_parameters(const std::map<std::string, std::string>& parameters) {
  static const std::vector<std::string> k_names = {
      "applications", "awsComponents", "files", "networkConfig", "windowsUpdates", "instanceDetailedInformation",
      "services", "windowsRegistry", "windowsRoles", "customInventory", "billingInfo"};
  GatherOptions o;
  o.processes = false;  // not an SSM type; only `inventory collect` gathers it
  for (const auto& [name, value] : parameters) {
    if (std::find(k_names.begin(), k_names.end(), name) == k_names.end())
      throw InputError(fmt::format("unknown aws:softwareInventory input '{}'", name), closest_match(name, k_names));
    if (name == "applications") o.applications = enabled(name, value);
    else if (name == "awsComponents") o.aws_components = enabled(name, value);
    else if (name == "networkConfig") o.network = enabled(name, value);
    else if (name == "instanceDetailedInformation") o.instance_detailed = enabled(name, value);
    else if (name == "services") o.services = enabled(name, value);
    else if (name == "customInventory") o.custom = enabled(name, value);
    else if (name == "files") o.files = trim(value).empty() ? std::vector<FileRule>{} : parse_file_rules(value);
    else if (name == "windowsUpdates" || name == "windowsRoles" || name == "billingInfo") (void)enabled(name, value);
    // windowsRegistry is a JSON filter for Windows only; Linux hosts have nothing to gather.
  }
  return o;
}

void select_types(GatherOptions& o, const std::vector<std::string>& types) {
  if (types.empty()) return;
  struct Choice {
    const char* name;
    const char* alias;
    bool GatherOptions::*flag;
  };
  static const Choice k_choices[] = {
      {"AWS:Application", "applications", &GatherOptions::applications},
      {"AWS:AWSComponent", "awscomponents", &GatherOptions::aws_components},
      {"AWS:Network", "network", &GatherOptions::network},
      {"AWS:InstanceDetailedInformation", "instancedetailedinformation", &GatherOptions::instance_detailed},
      {"AWS:Service", "services", &GatherOptions::services},
      {"sshm:Process", "processes", &GatherOptions::processes},
      {"Custom", "custom", &GatherOptions::custom},
  };
  for (const Choice& c : k_choices) o.*(c.flag) = false;
  std::vector<std::string> known;
  for (const Choice& c : k_choices) {
    known.push_back(c.name);
    known.push_back(c.alias);
  }
  known.push_back("AWS:File");
  known.push_back("AWS:InstanceInformation");
  for (const std::string& t : types) {
    if (t == "AWS:InstanceInformation" || t == "AWS:File") continue;  // always / by --files
    bool found = false;
    for (const Choice& c : k_choices) {
      if (t == c.name || to_lower(t) == c.alias || (std::string(c.name) == "Custom" && starts_with(t, "Custom:"))) {
        o.*(c.flag) = true;
        found = true;
      }
    }
    if (!found) throw InputError(fmt::format("unknown inventory type '{}'", t), closest_match(t, known));
  }
}

std::string build_gather_input(const GatherOptions& o, const std::string& nonce) {
  std::string s = "SSHM_NONCE=" + shell_quote(nonce) + "\n";
  auto flag = [&](const char* var, bool v) { s += fmt::format("{}={}\n", var, v ? 1 : 0); };
  flag("SSHM_APPS", o.applications || o.aws_components);
  flag("SSHM_DETAIL", o.instance_detailed);
  flag("SSHM_SERVICES", o.services);
  flag("SSHM_PROCS", o.processes);
  flag("SSHM_CUSTOM", o.custom);
  flag("SSHM_FILES", !o.files.empty());
  flag("SSHM_FILE_HASH", o.file_hash);
  s += fmt::format("SSHM_FILE_MAX={}\n", o.max_files);
  s += "SSHM_DISTRIBUTOR_DIR=" + shell_quote(o.distributor_dir) + "\n";
  s += "sshm_file_rules() {\n  :\n";
  for (const FileRule& r : o.files) {
    s += fmt::format("  sshm_file_rule {} {} {}", shell_quote(r.path), r.recursive ? 1 : 0, r.dir_scan_limit);
    for (const std::string& p : r.patterns) s += " " + shell_quote(p);
    s += "\n";
  }
  s += "}\n";
  s += "sshm_extra_custom() {\n  :\n";
  for (const std::string& d : o.custom_dirs) s += "  sshm_custom_dir " + shell_quote(d) + "\n";
  s += "}\n";
  s += gather_script_body();
  return s;
}

Expected<std::vector<InventoryItem>, ssh::Failure> gather(ssh::Session& session, const GatherOptions& options,
                                                          std::vector<std::string>* warnings,
                                                          std::string* package_manager,
                                                          std::size_t* stream_bytes) {
  std::string nonce = random_hex(8);
  std::string stream;
  std::string errors;
  ssh::ExecRequest req;
  req.command = k_gather_command;
  req.stdin_data = build_gather_input(options, nonce);
  req.timeout = options.timeout;
  req.cancel = options.cancel;
  req.on_stdout = [&](std::string_view chunk) { stream.append(chunk); };
  req.on_stderr = [&](std::string_view chunk) {
    if (errors.size() < 4096) errors.append(chunk.substr(0, 4096 - errors.size()));
  };
  std::string capture_time = iso8601_s(SystemClock::instance().now());
  auto result = session.exec(req);
  if (!result) return unexpected(result.error());
  if (result->timed_out)
    return unexpected(ssh::Failure{ssh::FailureKind::channel,
                                   fmt::format("the inventory gatherer did not finish within {}s",
                                               options.timeout.count() / 1000)});
  if (result->cancelled) return unexpected(ssh::Failure{ssh::FailureKind::cancelled, "cancelled"});
  if (result->exit_status != 0) {
    std::string first = trim(errors.substr(0, errors.find('\n')));
    return unexpected(ssh::Failure{ssh::FailureKind::channel,
                                   fmt::format("the inventory gatherer exited with status {}{}{}", result->exit_status,
                                               first.empty() ? "" : ": ", first)});
  }
  ParseSelection sel;
  static_cast<InventoryTypes&>(sel) = options;
  sel.files = !options.files.empty();
  sel.max_files = options.max_files;
  if (stream_bytes) *stream_bytes = stream.size();
  ParsedInventory parsed = parse_stream(stream, nonce, sel, options.instance_id, capture_time);
  if (warnings) *warnings = std::move(parsed.warnings);
  if (package_manager) *package_manager = parsed.package_manager;
  return std::move(parsed.items);
}

} // namespace sshm::inventory
