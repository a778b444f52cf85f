#include "cli/app.hpp"
#include "util/spell.hpp"

#include "cli/common.hpp"
#include "cli/help.hpp"
#include "util/bounded_parse.hpp"
#include "cli/signals.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <yaml-cpp/yaml.h>

namespace sshm::cli {

namespace {

// Warns about each key of config.yaml that no setting reads (a typo would otherwise be
// ignored silently), naming the key it was probably meant to be.
void warn_unknown_config_keys(const YAML::Node& config, const std::string& path, const std::vector<std::string>& known) {
  if (!config || !config.IsMap()) return;
  for (const auto& entry : config) {
    const std::string key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    InputError warning(Location{path, entry.first.Mark().line + 1, entry.first.Mark().column + 1},
                       fmt::format("unknown key '{}' in the config file is ignored (keys: {})", terminal_safe(key),
                                   join(known, ", ")),
                       closest_match(key, known));
    std::cerr << "sshm: warning: " << warning.formatted() << "\n";
  }
}

// Fills options the user did not give from the environment, then from the config file.
void apply_fallbacks(CLI::App& app, GlobalOptions& g) {
  struct Fallback {
    const char* flag;
    const char* env;
    const char* config_key;
    std::string* value;
  };
  Fallback fallbacks[] = {
      {"--inventory", "SSHM_INVENTORY", "inventory", &g.inventory},
      {"--ssh-config", "SSHM_SSH_CONFIG", "ssh_config", &g.ssh_config},
      {"--state-dir", "SSHM_STATE_DIR", "state_dir", &g.state_dir},
      {"--output", "SSHM_OUTPUT", "output", &g.output},
      {"--host-key-policy", "SSHM_HOST_KEY_POLICY", "host_key_policy", &g.host_key_policy},
      {"--params-backend", "SSHM_PARAMS_BACKEND", "params_backend", &g.params_backend},
  };
  YAML::Node config;
  std::string config_path = xdg_dir("XDG_CONFIG_HOME", ".config") + "/sshm/config.yaml";
  if (std::filesystem::exists(config_path)) {
    try {
      config = bounded::load_yaml(bounded::read_file(config_path, "config file"), config_path);
    } catch (const YAML::Exception& e) {
      throw InputError(Location{config_path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
  }
  if (config && !config.IsMap() && !config.IsNull())
    throw InputError(Location{config_path, config.Mark().line + 1, config.Mark().column + 1},
                     "the config file must be a map of settings (inventory: PATH, state_dir: DIR, ...)");
  // `log` is read by sshm tick (where it logs).
  std::vector<std::string> known_keys = {"log"};
  for (const auto& f : fallbacks) known_keys.insert(known_keys.end() - 1, f.config_key);
  warn_unknown_config_keys(config, config_path, known_keys);
  for (auto& f : fallbacks) {
    if (app.count(f.flag) > 0) continue;
    if (const char* env = std::getenv(f.env); env && *env) {
      *f.value = env;
    } else if (config && config.IsMap() && config[f.config_key]) {
      const YAML::Node value = config[f.config_key];
      if (!value.IsScalar())
        throw InputError(Location{config_path, value.Mark().line + 1, value.Mark().column + 1},
                         fmt::format("'{}' must be a single value (a string), not a {}", f.config_key,
                                     value.IsSequence() ? "list" : "map"));
      *f.value = value.as<std::string>();
    }
  }
  // NO_COLOR (no-color.org) turns colour off unless a flag asks for it.
  if (app.count("--no-color") == 0 && app.count("--color") == 0 && std::getenv("NO_COLOR")) g.no_color = true;
  if (g.no_color) g.color = "never";
  if (g.output.empty()) g.output = "text";
  static const std::vector<std::string> formats = {"text", "json", "jsonl", "yaml", "table"};
  if (std::find(formats.begin(), formats.end(), g.output) == formats.end())
    throw InputError(fmt::format("unknown output format '{}' (use text, json, jsonl or yaml)", g.output),
                     closest_match(g.output, formats));
  // Text tables take their column widths from the data, so `table` is text (kept for scripts).
  if (g.output == "table") g.output = "text";
  // Left empty when nothing chose one (the local store), so `commands resume` can tell a
  // choice from the default and keep the store the run was recorded with.
  if (!g.params_backend.empty() && g.params_backend != "local" && g.params_backend != "aws")
    throw InputError(fmt::format("unknown Parameter Store backend '{}' (use local or aws)", g.params_backend));
}

// The options every command takes (before or after the subcommand).
void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("-i,--inventory", global.inventory, "Inventory file (native YAML or Ansible INI/YAML)")
      ->envname("SSHM_INVENTORY");
  app.add_option("-F,--ssh-config", global.ssh_config, "OpenSSH client config to read, as ssh -F");
  app.add_option("--state-dir", global.state_dir, "State store directory (default ~/.local/state/sshm)");
  app.add_option("-o,--output", global.output, "Output format: text, json, jsonl (one object per line) or yaml");
  app.add_option("--host-key-policy", global.host_key_policy, "strict (default), accept-new or off");
  app.add_option("--params-backend", global.params_backend,
                 "Parameter Store for sshm params and {{ssm:}} references: local (default) or aws");
  app.add_option("--connect-timeout", global.connect_timeout, "Seconds for DNS, TCP, key exchange and auth (default: ssh config ConnectTimeout, else 10)")
      ->check(CLI::Range(1, 3600));
  app.add_flag("-v,--verbose", [&](std::int64_t n) { global.verbosity += static_cast<int>(n); }, "More output");
  app.add_flag("-q,--quiet", [&](std::int64_t n) { global.verbosity -= static_cast<int>(n); }, "Less output");
  app.add_flag("--no-color", global.no_color, "Plain output (as --color never; NO_COLOR does the same)");
  app.add_option("--color", global.color, "Colour failed hosts and statuses: auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag("--no-progress", global.no_progress, "No progress line");

}

// Every command group, in the order `sshm --help` lists them.
void add_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  setup_hosts(app, global, action);
  setup_ping(app, global, action);
  setup_help(app, global, action);
  setup_completion(app, global, action);
  setup_outputs(app, global, action);
  setup_run(app, global, action);
  setup_commands(app, global, action);
  setup_documents(app, global, action);
  setup_patch(app, global, action);
  setup_inventory(app, global, action);
  setup_schedule(app, global, action);
  setup_params(app, global, action);
  setup_compliance(app, global, action);
  setup_associations(app, global, action);
  setup_windows(app, global, action);
  setup_tick(app, global, action);
  setup_report(app, global, action);
  setup_session(app, global, action);
  setup_packages(app, global, action);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"sshm: Systems Manager over SSH, for fleets of Linux servers with no agent", "sshm"};
  // Set before any subcommand is added: CLI11 copies it into each one.
  app.formatter(make_help_formatter());
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `sshm ping -t all -o json`.
  app.fallthrough();
  app.set_version_flag("--version", "sshm 0.1.0");

  GlobalOptions global;
  add_global_options(app, global);
  Action action;
  add_commands(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A mistyped command or option is named (with a did-you-mean) rather than reported as
    // whatever CLI11 found missing next ("A subcommand is required", "--targets is required").
    std::string diagnosis = diagnose_usage(app, std::vector<std::string>(argv + 1, argv + argc));
    std::cerr << "sshm: error: " << terminal_safe(diagnosis.empty() ? std::string(e.what()) : diagnosis) << "\n";
    return k_exit_usage;
  }

  // Messages name what the user typed, files and hosts: printed with control bytes as \xNN.
  try {
    apply_fallbacks(app, global);
    return action ? action() : k_exit_usage;
  } catch (const InputError& e) {
    std::cerr << "sshm: error: " << terminal_safe(e.formatted()) << "\n";
    return k_exit_usage;
  } catch (const RuntimeError& e) {
    std::cerr << "sshm: error: " << terminal_safe(e.what()) << "\n";
    return k_exit_failed;
  } catch (const Interrupted& e) {
    std::cerr << "sshm: " << terminal_safe(e.what()) << "\n";
    return k_exit_interrupted;
  } catch (const std::exception& e) {
    // Nothing may reach std::terminate: anything else is a failure of sshm, said plainly.
    std::cerr << "sshm: error: " << terminal_safe(e.what()) << "\n";
    return k_exit_failed;
  } catch (...) {
    std::cerr << "sshm: error: an unknown error ended the command\n";
    return k_exit_failed;
  }
}

} // namespace sshm::cli
