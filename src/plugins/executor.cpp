#include "plugins/executor.hpp"

#include "documents/plugins.hpp"
#include "store/store.hpp"
#include "util/ids.hpp"
#include "util/time.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <mutex>

namespace sshm::plugins {

namespace {

constexpr int k_exit_success_and_stop = 168;
constexpr int k_exit_failure_and_stop = 169;
constexpr int k_exit_reboot = 194;
constexpr int k_killed_code = 137;

std::string without_colons(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ':') out += c;
  return out;
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// runCommand is a string or a (nested) list of strings; SSM joins lines with "\n".
void flatten_commands(const nlohmann::json& value, std::vector<std::string>& lines) {
  if (value.is_string()) {
    lines.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& v : value) flatten_commands(v, lines);
  } else if (!value.is_null()) {
    lines.push_back(value.dump());
  }
}

StepResult failed(const std::string& message, int code = 1) {
  StepResult r;
  r.status = "Failed";
  r.status_details = "Failed";
  r.response_code = code;
  r.flow = Flow::next;
  r.message = message;
  return r;
}

} // namespace

StepResult failed_step(const std::string& message) { return failed(message); }

std::string remote_shell(const HostContext& ctx) {
  if (ctx.run_as.empty()) return "sh -s";
  return fmt::format("sudo -n -u {} sh -s", shell_quote(ctx.run_as));
}

std::string downloads_dir(const HostContext& ctx) {
  return "\"$HOME\"/.sshm/orchestration/" + shell_quote(ctx.command_id) + "/downloads";
}

namespace {

// Applies the step's onFailure / onSuccess and SSM's special exit codes to the flow.
void apply_controls(const documents::Step& step, StepResult& r) {
  if (r.flow == Flow::cancelled || r.flow == Flow::reboot) return;
  if (r.response_code == k_exit_success_and_stop && r.status == "Failed") {
    r.status = "Success";
    r.status_details = "Success";
    r.flow = Flow::exit_success;
    return;
  }
  if (r.response_code == k_exit_failure_and_stop && r.status == "Failed") {
    r.flow = Flow::exit_failure;
    return;
  }
  bool failed_step = r.status == "Failed" || r.status == "TimedOut";
  if (failed_step && step.on_failure == "exit") r.flow = Flow::exit_failure;
  if (failed_step && step.on_failure == "successAndExit") {
    r.status = "Success";
    r.status_details = "Success";
    r.response_code = k_exit_success_and_stop;
    r.flow = Flow::exit_success;
  }
  if (r.status == "Success" && step.on_success == "exit" && r.flow == Flow::next) r.flow = Flow::exit_success;
}

// Runs one step through its plugin. Every way a step fails (a step that cannot run, an
// unsupported plugin, a plugin that throws) goes through the step's onFailure like any other.
StepResult execute_step(HostContext& ctx, const documents::Step& step, OutputCapture& capture) {
  if (!step.skip_reason.empty() && step.failure_reason.empty()) {
    StepResult r;
    r.status = "Skipped";
    r.status_details = "Skipped";
    r.message = step.skip_reason;
    return r;
  }
  Plugin plugin;
  if (ctx.plugins)
    if (auto it = ctx.plugins->find(step.action); it != ctx.plugins->end()) plugin = it->second;
  StepResult r;
  if (!step.failure_reason.empty()) {
    r = failed(step.failure_reason);
  } else if (!plugin && documents::plugin_support(step.action) == documents::PluginSupport::agent_only) {
    r = failed(documents::agent_only_message(step.action, step.name));
  } else if (!plugin) {
    r = failed(fmt::format("unsupported plugin {}", step.action));
  } else {
    try {
      r = plugin(ctx, step, capture);
    } catch (const std::exception& e) {
      r = failed(fmt::format("{} failed inside sshm: {}", step.action, e.what()));
    } catch (...) {
      r = failed(fmt::format("{} failed inside sshm with an unknown error", step.action));
    }
  }
  apply_controls(step, r);
  return r;
}

} // namespace

namespace {

// Scripts up to this size travel in the wrapper itself and run without a temporary file: the
// cheap path (builtins only, plus setsid and the script's own sh). Larger ones, and those that
// pick their interpreter with "#!", are written to the private directory first, as SSM does.
constexpr size_t k_inline_script_limit = 64 * 1024;

std::string setsid_prefix() {
  return "if command -v setsid >/dev/null 2>&1; then __sshm_x=setsid; else __sshm_x=; fi\n";
}

// coreutils' timeout is the process group and the host-side timer in one process: it puts
// itself and the script in a process group of its own (setpgid) and, when the time is up,
// SIGKILLs the script and then that whole group, on the host, whether or not the controller
// is still there. busybox's timeout (a symlink to busybox) kills only its child, so only a
// regular file is trusted. Found by builtins alone (test), with no process started.
std::string timeout_probe() {
  return "__sshm_t=; for __sshm_c in /usr/bin/timeout /bin/timeout; do "
         "if [ -f $__sshm_c ] && [ ! -h $__sshm_c ]; then __sshm_t=$__sshm_c; break; fi; done\n";
}

// How the script starts: `sh -c` that evals it from the environment (inline), the "#!" file
// itself, or sh on the file.
std::string script_launch(const std::string& script, bool use_file) {
  if (!use_file) return "sh -c 's=$__sshm_s; unset __sshm_s; eval \"$s\"'";
  if (script.rfind("#!", 0) == 0) return "\"$d/_script.sh\"";
  return "sh \"$d/_script.sh\"";
}

// The launch under timeout. Inline, the shell becomes timeout (exec: no fork, nothing to
// clean up after); with a file, timeout runs in the background so the shell can remove the
// directory once it ends.
std::string launch_with_timeout(const std::string& launch, const std::string& marker, bool use_file, int kill_after) {
  const std::string timed = fmt::format("\"$__sshm_t\" -s KILL {} {} </dev/null", kill_after, launch);
  std::string w = "if [ -n \"$__sshm_t\" ]; then\n";
  if (!use_file) {
    w += "  __sshm_s=$__sshm_s " + marker + " exec " + timed + "\n";
  } else {
    w += "  " + marker + " " + timed + " &\n";
    w += "  wait $!; rc=$?; rm -rf \"$d\"; exit $rc\n";
  }
  return w + "fi\n";
}

// Without coreutils' timeout: setsid for the group, and a watchdog subshell with `sleep`.
std::string launch_with_watchdog(const std::string& launch, const std::string& marker, bool use_file, int kill_after) {
  const std::string cleanup = use_file ? "rm -rf \"$d\"; " : "";
  std::string w = setsid_prefix();
  w += (use_file ? "" : "__sshm_s=$__sshm_s ") + marker + " $__sshm_x " + launch + " </dev/null &\n";
  w += "p=$!\n";
  // A watchdog on the host kills the group even if the controller goes away.
  w += fmt::format("( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep {} & s=$!; wait $s; "
                   "kill -KILL -$p 2>/dev/null; kill -KILL $p 2>/dev/null; {}) </dev/null >/dev/null 2>&1 &\n",
                   kill_after, cleanup);
  w += "wd=$!\n";
  w += "wait $p; rc=$?\n";
  w += "kill -TERM $wd 2>/dev/null\n";
  if (use_file) w += "rm -rf \"$d\"\n";
  w += "exit $rc\n";
  return w;
}

} // namespace

bool wrapper_uses_file(const std::string& script) {
  return script.rfind("#!", 0) == 0 || script.size() > k_inline_script_limit;
}

std::string build_wrapper(const std::string& dir, const std::string& run_id, const std::string& script,
                          const std::string& working_directory, const std::map<std::string, std::string>& environment,
                          int timeout_seconds, const std::string& default_directory) {
  const std::string delimiter = "SSHM_SCRIPT_END_" + random_hex(8);
  const bool use_file = wrapper_uses_file(script);
  std::string body = script;
  if (!body.empty() && body.back() != '\n') body += "\n";
  const std::string cleanup = use_file ? "rm -rf \"$d\"; " : "";

  std::string w = "umask 077\n";
  if (use_file) {
    w += "d=" + dir + "\n";
    w += "mkdir \"$d\" || { echo \"sshm: cannot create the private directory $d\" >&2; exit 253; }\n";
    w += "cat >\"$d/_script.sh\" <<'" + delimiter + "'\n" + body + delimiter + "\n";
    w += "chmod 700 \"$d/_script.sh\"\n";
  } else {
    // The script is read into a variable by the shell's own `read` (no process, no file) and
    // handed to its sh through the environment, never through argv (`ps` shows argv to all).
    w += "__sshm_s=\n";
    w += "while IFS= read -r __sshm_l; do __sshm_s=\"$__sshm_s$__sshm_l\n\"; done <<'" + delimiter + "'\n" + body +
         delimiter + "\n";
  }
  for (const auto& [name, value] : environment) w += "export " + name + "=" + shell_quote(value) + "\n";
  if (!default_directory.empty() && (working_directory.empty() || working_directory[0] != '/'))
    w += "cd " + default_directory + " 2>/dev/null || :\n";
  if (!working_directory.empty()) {
    w += "cd " + shell_quote(working_directory) + " 2>/dev/null || { echo \"sshm: workingDirectory " +
         shell_quote(working_directory) + " does not exist\" >&2; " + cleanup + "exit 1; }\n";
  }
  // The script runs with stdin from /dev/null, in a process group of its own, marked by
  // SSHM_RUN_ID so the kill command finds it and all it started; the host kills the group
  // 10 s after the step's timeout even if the controller is gone by then.
  const std::string marker = "SSHM_RUN_ID=" + run_id;
  const std::string launch = script_launch(script, use_file);
  w += timeout_probe();
  w += launch_with_timeout(launch, marker, use_file, timeout_seconds + 10);
  w += launch_with_watchdog(launch, marker, use_file, timeout_seconds + 10);
  return w;
}

std::string build_kill_command(const std::string& dir, const std::string& run_id) {
  // Every process whose environment carries the run's marker, and the process group it leads.
  // grep -z reads all of /proc in one process; shells without it fall back to tr per process.
  std::string k = "t='SSHM_RUN_ID=" + run_id + "'; found=\n";
  k += "if printf 'x\\0' | grep -qzx x 2>/dev/null; then found=$(grep -lzxF \"$t\" /proc/[0-9]*/environ 2>/dev/null)\n";
  k += "else for e in /proc/[0-9]*/environ; do "
       "tr '\\0' '\\n' <\"$e\" 2>/dev/null | grep -qxF \"$t\" && found=\"$found $e\"; done; fi\n";
  k += "for e in $found; do q=${e#/proc/}; q=${q%/environ}; kill -KILL -\"$q\" 2>/dev/null; "
       "kill -KILL \"$q\" 2>/dev/null; done\n";
  k += "d=" + dir + "; [ -e \"$d\" ] && rm -rf \"$d\"\n";
  k += "exit 0\n";
  return k;
}

namespace {

// What the script sees: SSM's variables, sshm's, then the step's own (names checked first).
std::map<std::string, std::string> script_environment(const HostContext& ctx, const documents::Step& step) {
  std::map<std::string, std::string> env = {
      {"SSM_COMMAND_ID", ctx.command_id},       {"AWS_SSM_INSTANCE_ID", ctx.host},
      {"AWS_SSM_REGION_NAME", ctx.region},      {"SSHM_COMMAND_ID", ctx.command_id},
      {"SSHM_HOST", ctx.host},                  {"SSHM_STEP", step.name},
  };
  for (const auto& [name, value] : step.environment) env[name] = value;
  return env;
}

// The session could not run the wrapper at all (connection dropped, channel refused).
StepResult transport_failure(const ssh::Failure& f) {
  StepResult r = failed(fmt::format("{}: {}", ssh::to_string(f.kind), f.message));
  r.connection_lost = f.kind == ssh::FailureKind::dropped;
  r.status_details = r.connection_lost ? "ConnectionLost" : "Failed";
  r.response_code = -1;
  return r;
}

// A step past its timeout or cancelled: kill the whole remote process group, background
// children included, then report which of the two it was.
StepResult kill_step(HostContext& ctx, const std::string& dir, const std::string& run_id, bool timed_out,
                     int timeout) {
  ssh::ExecRequest kill;
  kill.command = remote_shell(ctx);
  kill.stdin_data = build_kill_command(dir, run_id);
  kill.timeout = std::chrono::seconds(30);
  (void)ctx.session->exec(kill);
  StepResult r;
  r.response_code = k_killed_code;
  if (timed_out) {
    r.status = "TimedOut";
    r.status_details = "ExecutionTimedOut";
    r.flow = Flow::next;
    r.message = fmt::format("step timed out after {} s; its process group was killed", timeout);
  } else {
    r.status = "Cancelled";
    r.status_details = "Cancelled";
    r.flow = Flow::cancelled;
  }
  return r;
}

// SSM's reading of a script's exit status: 0 Success, 194 a reboot request, else Failed.
StepResult from_exit_status(const ssh::ExecResult& x) {
  if (x.exit_status < 0)
    return failed(fmt::format("the remote shell ended by signal {}", x.exit_signal.empty() ? "?" : x.exit_signal), -1);
  StepResult r;
  r.response_code = x.exit_status;
  if (x.exit_status == 0) {
    r.status = "Success";
    r.status_details = "Success";
  } else if (x.exit_status == k_exit_reboot) {
    r.status = "SuccessAndReboot";
    r.status_details = "RebootRequested";
    r.flow = Flow::reboot;
    r.message = "the step exited 194 to ask for a reboot; sshm does not reboot hosts from Run Command, "
                "so the remaining steps did not run";
  } else {
    r.status = "Failed";
    r.status_details = "Failed";
  }
  return r;
}

} // namespace

StepResult run_shell_script(HostContext& ctx, const documents::Step& step, OutputCapture& capture) {
  std::vector<std::string> lines;
  flatten_commands(step.inputs.value("runCommand", nlohmann::json()), lines);
  if (lines.empty()) return failed("aws:runShellScript needs runCommand");
  std::string script = join(lines, "\n") + "\n";
  std::string wd = step.inputs.value("workingDirectory", "");
  for (const auto& [name, value] : step.environment)
    if (!valid_env_name(name)) return failed(fmt::format("'{}' is not a valid environment variable name", name));
  int timeout = ctx.execution_timeout_override > 0 ? ctx.execution_timeout_override : step.timeout_seconds;

  // The private directory name is chosen here so the kill command can find it.
  std::string run_id = ctx.command_id.substr(0, 8) + "-" + random_hex(6);
  std::string dir = "\"${TMPDIR:-/tmp}/sshm-" + run_id + "\"";

  ssh::ExecRequest req;
  req.command = remote_shell(ctx);
  req.stdin_data = build_wrapper(dir, run_id, script, wd, script_environment(ctx, step), timeout, downloads_dir(ctx));
  req.timeout = std::chrono::seconds(timeout);
  req.cancel = ctx.cancel;
  bool sudo_prefix_checked = ctx.run_as.empty();
  std::string sudo_err;
  req.on_stdout = [&](std::string_view d) { capture.write(false, d); };
  req.on_stderr = [&](std::string_view d) {
    if (!sudo_prefix_checked && sudo_err.size() < 256) sudo_err.append(d.substr(0, 256 - sudo_err.size()));
    capture.write(true, d);
  };
  auto result = ctx.session->exec(req);
  if (!result) return transport_failure(result.error());
  const ssh::ExecResult& x = *result;
  if (x.timed_out || x.cancelled) return kill_step(ctx, dir, run_id, x.timed_out, timeout);
  if (!ctx.run_as.empty() && x.exit_status == 1 && starts_with(sudo_err, "sudo: ")) {
    StepResult r = failed(fmt::format("sudo -n -u {} refused: {}", ctx.run_as, trim(sudo_err)));
    r.status_details = "Failed";
    return r;
  }
  return from_exit_status(x);
}

StepResult run_powershell_script(HostContext& ctx, const documents::Step& step, OutputCapture& capture) {
  std::vector<std::string> lines;
  flatten_commands(step.inputs.value("runCommand", nlohmann::json()), lines);
  if (lines.empty()) return failed("aws:runPowerShellScript needs runCommand");
  // The script reaches pwsh on its stdin, inside the shell script the shell plugin runs.
  const std::string end = "SSHM_PWSH_END_" + random_hex(8);
  std::string shell = "command -v pwsh >/dev/null 2>&1 || { echo 'exec: \"pwsh\": executable file not found in $PATH' "
                      ">&2; exit 1; }\n";
  shell += "pwsh -NoLogo -NoProfile -NonInteractive -Command - <<'" + end + "'\n" + join(lines, "\n") + "\n" + end + "\n";
  documents::Step as_shell = step;
  as_shell.inputs["runCommand"] = nlohmann::json::array({shell});
  return run_shell_script(ctx, as_shell, capture);
}

StepResult run_steps_into(HostContext& ctx, const std::vector<documents::Step>& steps, OutputCapture& capture) {
  StepResult overall;
  bool stopped = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    bool is_finally = step.finally_step && i + 1 == steps.size();
    if (stopped && !is_finally) continue;
    if (ctx.cancel && ctx.cancel->load()) {
      overall.status = "Cancelled";
      overall.status_details = "Cancelled";
      overall.flow = Flow::cancelled;
      break;
    }
    StepResult r = execute_step(ctx, step, capture);
    if (r.status == "Skipped") continue;
    if (!r.message.empty()) capture.write(true, "sshm: " + step.name + ": " + r.message + "\n");
    if (r.status != "Success" || overall.status == "Success") {
      overall.status = r.status;
      overall.status_details = r.status_details;
    }
    overall.response_code = r.response_code;
    overall.connection_lost |= r.connection_lost;
    if (r.flow != Flow::next) {
      overall.flow = r.flow;
      stopped = true;
      if (r.flow == Flow::cancelled || r.connection_lost) break;
    }
  }
  return overall;
}

namespace {

// The record of a step that did not run: skipped after a step ended the document, or
// cancelled before its turn.
store::PluginRecord not_run_record(const HostContext& ctx, const documents::Step& step, bool stopped) {
  store::PluginRecord rec;
  rec.name = step.name;
  rec.plugin = step.action;
  bool cancelled = ctx.cancel && ctx.cancel->load();
  // The agent marks such a step Skipped, a form of success; the API's plugin statuses
  // (CommandPluginStatus) have no Skipped, so it is Success with StatusDetails Skipped.
  rec.status = cancelled ? "Cancelled" : "Success";
  rec.status_details = cancelled ? "Cancelled" : "Skipped";
  rec.output = stopped ? fmt::format("Plugin with name {} and id {} skipped due to prior step with an exit condition",
                                     step.action, step.name)
                       : "";
  return rec;
}

// The record of a step that ran, from what its plugin reported and what its capture kept.
// A step whose output could not all be kept is not a Success.
store::PluginRecord ran_record(const documents::Step& step, const StepResult& r, const OutputCapture& capture,
                               std::string started) {
  store::PluginRecord rec;
  rec.name = step.name;
  rec.plugin = step.action;
  rec.response_start_date_time = std::move(started);
  rec.response_finish_date_time = iso8601_ms(std::chrono::system_clock::now());
  // A skipped step (the agent's Skipped) is Success with StatusDetails Skipped, as above.
  rec.status = r.status == "Skipped" ? "Success" : r.status;
  rec.status_details = capture.lost() ? "OutputLost" : r.status_details;
  if (capture.lost() && rec.status == "Success") rec.status = "Failed";
  rec.response_code = r.status == "Skipped" ? 0 : r.response_code;
  rec.stdout_path = capture.stdout_file();
  rec.stderr_path = capture.stderr_file();
  rec.stdout_bytes = capture.stdout_bytes();
  rec.stderr_bytes = capture.stderr_bytes();
  if (r.status == "Skipped") {
    rec.output = r.message;
  } else {
    rec.output = store::plugin_output(capture.stdout_head(), capture.stderr_head());
  }
  return rec;
}

// The invocation's inline output: every step's heads in turn, cut at k_head_bytes.
struct InvocationHeads {
  std::string out, err;

  void add(const documents::Step& step, const OutputCapture& capture) {
    out += capture.stdout_head();
    err += capture.stderr_head();
    if (capture.lost()) err += "sshm: " + step.name + ": " + capture.loss_message() + "\n";
    if (out.size() > k_head_bytes) out.resize(k_head_bytes);
    if (err.size() > k_head_bytes) err.resize(k_head_bytes);
  }
};

// Runs one step with its own capture under the outputs folder, and records it.
std::pair<store::PluginRecord, StepResult> run_recorded_step(HostContext& ctx, const documents::Step& step,
                                                             DocumentResult& result, InvocationHeads& heads) {
  auto base = ctx.outputs_root / ctx.command_id / ctx.host / without_colons(step.action) / without_colons(step.name);
  OutputCapture capture(
      base / "stdout", base / "stderr",
      [&](bool is_err, std::string_view d) {
        if (ctx.on_output) ctx.on_output(step.name, is_err, d);
      },
      ctx.secrets);
  std::string started = iso8601_ms(std::chrono::system_clock::now());
  StepResult r = execute_step(ctx, step, capture);
  if (!r.message.empty() && r.status != "Skipped") capture.write(true, "sshm: " + r.message + "\n");
  capture.close();
  if (capture.lost()) {
    // The step ran, but part of what it printed is gone: the invocation says so.
    std::string lost = capture.loss_message();
    result.output_lost += (result.output_lost.empty() ? "" : "\n") + step.name + ": " + lost;
  }
  if (r.flow == Flow::exit_success && r.response_code == k_exit_success_and_stop) capture.drop_stderr_head();
  store::PluginRecord rec = ran_record(step, r, capture, std::move(started));
  if (ctx.on_step_done) ctx.on_step_done(step, rec, capture);
  heads.add(step, capture);
  return {std::move(rec), r};
}

// What the steps that ran came to, for SSM's aggregation of the invocation's status.
struct StepOutcomes {
  bool failed = false, timed_out = false, cancelled = false, reboot = false;

  void add(const store::PluginRecord& rec, const StepResult& r) {
    failed |= rec.status == "Failed";
    timed_out |= r.status == "TimedOut";
    cancelled |= r.status == "Cancelled";
    reboot |= r.status == "SuccessAndReboot";
  }
};

// SSM's aggregation: reboot, then Failed, TimedOut, Cancelled, else Success; lost output
// fails the invocation whatever the steps did.
void aggregate_status(DocumentResult& result, const StepOutcomes& o) {
  if (o.reboot) {
    result.status = "Failed";
    result.status_details = "RebootRequested";
  } else if (o.failed) {
    result.status = "Failed";
    result.status_details = result.connection_lost ? "ConnectionLost" : "Failed";
  } else if (o.timed_out) {
    result.status = "TimedOut";
    result.status_details = "ExecutionTimedOut";
  } else if (o.cancelled) {
    result.status = "Cancelled";
    result.status_details = "Cancelled";
  }
  if (!result.output_lost.empty()) {
    result.status = "Failed";
    result.status_details = "OutputLost";
  }
}

} // namespace

DocumentResult run_document(HostContext& ctx, const documents::ResolvedDocument& doc) {
  DocumentResult result;
  bool stopped = false;
  StepOutcomes outcomes;
  InvocationHeads heads;
  for (size_t i = 0; i < doc.steps.size(); ++i) {
    const auto& step = doc.steps[i];
    bool is_finally = step.finally_step && i + 1 == doc.steps.size();
    if ((stopped && !is_finally) || (ctx.cancel && ctx.cancel->load() && !is_finally) || result.connection_lost) {
      result.plugins.push_back(not_run_record(ctx, step, stopped));
      continue;
    }
    auto [rec, r] = run_recorded_step(ctx, step, result, heads);
    outcomes.add(rec, r);
    result.connection_lost |= r.connection_lost;
    if (r.status != "Skipped") result.response_code = rec.response_code;
    if (r.flow != Flow::next) stopped = true;
    result.plugins.push_back(std::move(rec));
  }
  aggregate_status(result, outcomes);
  result.stdout_content = store::truncate_stdout_content(heads.out);
  result.stderr_content = store::truncate_stderr_content(heads.err);
  return result;
}

} // namespace sshm::plugins
