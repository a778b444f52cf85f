#pragma once
// Runs a resolved command document on one connected host with SSM's step control flow
// (onFailure, onSuccess, finallyStep, exit 168/169/194), writing full outputs to files in
// SSM's layout and reporting per-step records.
#include "documents/document.hpp"
#include "plugins/output_capture.hpp"
#include "ssh/transport.hpp"
#include "store/records.hpp"

#include <any>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::plugins {

struct HostContext;
struct StepResult;
class ContentCache;

// A plugin runs one step; output goes to `capture`.
using Plugin = std::function<StepResult(HostContext&, const documents::Step&, OutputCapture&)>;
// Plugins by action name; unknown actions fail with "unsupported plugin NAME". The one
// complete table is built above this layer (engine/builtin_plugins.cpp), where the plugins
// that stand on patch/ and inventory/ can be named, and handed to the executor per host.
using PluginTable = std::map<std::string, Plugin>;

// Everything the plugins need to know about the host and the command.
struct HostContext {
  ssh::Session* session = nullptr;
  const ssh::Endpoint* endpoint = nullptr;  // how the session was reached
  std::map<std::string, std::string> tags;   // the host's inventory tags (Patch Group, ...)
  store::Store* store = nullptr;             // for plugins that record more (compliance)
  std::string command_id;
  std::string host;
  std::string document_name;
  std::string platform = "Linux";
  std::string region = "local";
  std::string run_as;  // "" runs as the login user; else `sudo -n -u USER`
  std::filesystem::path outputs_root;  // <state-dir>/outputs
  const std::atomic<bool>* cancel = nullptr;
  int execution_timeout_override = 0;  // --execution-timeout, 0 keeps the document's
  // Resolved {{ssm-secure:}} values: masked in every output the host gives (OutputCapture).
  std::vector<std::string> secrets;
  const PluginTable* plugins = nullptr;  // what runs each action; nullptr runs nothing
  // Reaches the host again, for a plugin that waits for a reboot it asked for; may be null.
  ssh::Transport* transport = nullptr;
  // The host's inventory vars (e.g. patch_reboot_command), as JSON.
  nlohmann::json vars = nlohmann::json::object();
  // What aws:downloadContent fetched for this command, shared by every host; null when the
  // run fetches nothing (the plugin then fails).
  std::shared_ptr<ContentCache> content;
  // How deep in aws:runDocument this step runs (0 at the top); the agent allows 3 levels.
  int document_depth = 0;
  // Settings of this run for plugins that take more than their step's inputs, by action
  // name (`sshm patch scan --baseline`, ...). Recorded with the command, so a resume has them.
  nlohmann::json run_settings = nlohmann::json::object();
  // A plugin's one-line progress notes (shown with -v by front-ends), from the worker thread.
  std::function<void(const std::string& note)> on_progress;
  // A plugin's structured result for the front-end that asked for the run (a
  // patch::HostPatchReport, ...): typed, so the front-end renders what the store does not keep.
  std::function<void(const std::any& result)> on_result;
  // Live output, from the worker thread: step name, stream, bytes.
  std::function<void(const std::string& step, bool is_stderr, std::string_view data)> on_output;
  // Called when a step ends, with its record and the capture (files closed).
  std::function<void(const documents::Step& step, store::PluginRecord& record, const OutputCapture& capture)> on_step_done;
};

// How a step ended, beyond its status: whether the document goes on.
enum class Flow { next, exit_success, exit_failure, reboot, cancelled };

struct StepResult {
  std::string status = "Success";  // Success Failed TimedOut Cancelled Skipped SuccessAndReboot
  std::string status_details = "Success";
  int response_code = 0;
  Flow flow = Flow::next;
  std::string message;  // shown in stderr-less failures (unsupported plugin, connection lost)
  bool connection_lost = false;
};

// A step that failed with `message` (shown on its stderr), exit code 1.
StepResult failed_step(const std::string& message);

// aws:runDocument: documentType SSMDocument runs a document sshm has (built-in by name, or a
// file), LocalPath a document file on the host (relative paths under the command's downloads
// directory, where aws:downloadContent put it), through the same plugins as its caller;
// documentParameters as a map, JSON text or YAML text; at most 3 levels deep, as the agent.
StepResult run_document_plugin(HostContext& ctx, const documents::Step& step, OutputCapture& capture);

struct DocumentResult {
  std::vector<store::PluginRecord> plugins;
  std::string status = "Success";  // invocation Status
  std::string status_details = "Success";
  int response_code = 0;
  std::string stdout_content;  // SSM inline copies, truncated
  std::string stderr_content;
  bool connection_lost = false;
  // Set when a step's full output could not be written (then Status is Failed and
  // StatusDetails OutputLost): which step, which stream, how many bytes, why.
  std::string output_lost;
};

DocumentResult run_document(HostContext& ctx, const documents::ResolvedDocument& doc);

// Runs steps in order with SSM's control flow, all writing to `capture` (aws:runDocument).
StepResult run_steps_into(HostContext& ctx, const std::vector<documents::Step>& steps, OutputCapture& capture);

// The shell plugin, exposed for aws:runShellScript-like callers.
StepResult run_shell_script(HostContext& ctx, const documents::Step& step, OutputCapture& capture);

// aws:runPowerShellScript: the script runs in `pwsh` where the host has PowerShell; where it
// has none the step fails as the agent's does on Linux ("pwsh" not found).
StepResult run_powershell_script(HostContext& ctx, const documents::Step& step, OutputCapture& capture);

// aws:downloadContent: the source is fetched once per command on the controller
// (HostContext::content) and written to the host over the SSH connection. A relative
// destinationPath is under the command's downloads directory, as the agent's
// orchestrationDir/downloads.
StepResult run_download_content(HostContext& ctx, const documents::Step& step, OutputCapture& capture);

// `bytes` in base64, 76 characters a line, each line ended: the body of a heredoc that
// `base64 -d` turns back into the bytes on the host, whatever they are.
std::string base64_lines(const std::string& bytes);

// aws:configurePackage: installs, updates in place or uninstalls a Distributor package from
// sshm's package directory (`sshm packages create`): the archive's SHA-256 is checked on the
// controller before the host is touched, the archive is unpacked under the host's
// ~/.sshm/packages/NAME/VERSION/ and its install.sh / update.sh / uninstall.sh run there, with
// additionalArguments as environment variables, as the agent's.
StepResult run_configure_package(HostContext& ctx, const documents::Step& step, OutputCapture& capture);

// The command's downloads directory on the host, as a shell word ("$HOME"/.sshm/...): where
// aws:downloadContent puts what has a relative destination, and where scripts with no
// workingDirectory start when it exists (the agent's default working directory).
std::string downloads_dir(const HostContext& ctx);

// The remote command that runs a shell script read from stdin, as the step's user.
std::string remote_shell(const HostContext& ctx);

// The remote program that runs a script: sent on stdin, never in argv. Exposed for tests.
// Small scripts travel inside it; "#!" scripts and large ones are written to the private
// directory `dir` (a shell word), which is removed afterwards. `run_id` marks the processes.
// `default_directory` (a shell word, may be "") is entered first when it exists and the
// working directory is empty or relative.
std::string build_wrapper(const std::string& dir, const std::string& run_id, const std::string& script,
                          const std::string& working_directory, const std::map<std::string, std::string>& environment,
                          int timeout_seconds, const std::string& default_directory = "");
// Whether build_wrapper writes `script` to a file on the host.
bool wrapper_uses_file(const std::string& script);
// The command that kills every process of the run `run_id` (its process group and anything
// that kept its environment) and removes `dir` if it exists.
std::string build_kill_command(const std::string& dir, const std::string& run_id);

} // namespace sshm::plugins
