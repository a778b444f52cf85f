#pragma once
// The command line: `sshm <group> <verb>`. Each group lives in its own file with a
// setup_x(CLI::App&, ...) that binds an options struct; the work runs after parsing.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace sshm::cli {

// Global options, also settable by environment and config file
// (flag > env > $XDG_CONFIG_HOME/sshm/config.yaml > built-in).
struct GlobalOptions {
  std::string inventory;   // -i, SSHM_INVENTORY
  std::string ssh_config;  // -F, SSHM_SSH_CONFIG
  std::string state_dir;   // --state-dir, SSHM_STATE_DIR
  std::string output;      // -o, SSHM_OUTPUT: text json jsonl yaml table
  std::string host_key_policy;  // --host-key-policy strict|accept-new|off
  std::string params_backend;   // --params-backend, SSHM_PARAMS_BACKEND: local or aws; "" local
  int connect_timeout = 0;      // --connect-timeout seconds; 0: the ssh config's, else 10
  int verbosity = 0;            // -v adds, -q subtracts
  bool no_color = false;         // --no-color, or NO_COLOR set: the same as --color never
  std::string color = "auto";   // --color auto|always|never: auto colours a terminal only
  bool no_progress = false;
};

// Whether text for this stream (stdout: false, stderr: true) may carry colour.
bool use_color(const GlobalOptions& g, bool is_stderr);

// The chosen command, run after parsing so parse errors and run errors never mix.
using Action = std::function<int()>;

// Entry point from main(); returns the process exit status.
int main(int argc, char** argv);

// Exit statuses (README and --help say the same).
constexpr int k_exit_ok = 0;
constexpr int k_exit_failed = 1;
constexpr int k_exit_usage = 2;
constexpr int k_exit_threshold = 3;
constexpr int k_exit_unreachable = 4;
constexpr int k_exit_interrupted = 130;

// Command groups; each adds its subcommand and sets `action` when chosen.
void setup_hosts(CLI::App& app, GlobalOptions& global, Action& action);
void setup_ping(CLI::App& app, GlobalOptions& global, Action& action);
void setup_outputs(CLI::App& app, GlobalOptions& global, Action& action);
void setup_run(CLI::App& app, GlobalOptions& global, Action& action);
void setup_help(CLI::App& app, GlobalOptions& global, Action& action);
void setup_completion(CLI::App& app, GlobalOptions& global, Action& action);
void setup_commands(CLI::App& app, GlobalOptions& global, Action& action);
void setup_documents(CLI::App& app, GlobalOptions& global, Action& action);
void setup_patch(CLI::App& app, GlobalOptions& global, Action& action);
void setup_inventory(CLI::App& app, GlobalOptions& global, Action& action);
void setup_schedule(CLI::App& app, GlobalOptions& global, Action& action);
void setup_params(CLI::App& app, GlobalOptions& global, Action& action);
void setup_compliance(CLI::App& app, GlobalOptions& global, Action& action);
void setup_associations(CLI::App& app, GlobalOptions& global, Action& action);
void setup_windows(CLI::App& app, GlobalOptions& global, Action& action);
void setup_tick(CLI::App& app, GlobalOptions& global, Action& action);
void setup_report(CLI::App& app, GlobalOptions& global, Action& action);
void setup_session(CLI::App& app, GlobalOptions& global, Action& action);
void setup_packages(CLI::App& app, GlobalOptions& global, Action& action);

} // namespace sshm::cli
