// aws:configurePackage: Distributor packages from sshm's package directory, installed over SSH
// with the SSM Agent's semantics (agent/plugins/configurepackage): the installed version is kept
// on the host (~/.sshm/packages/NAME/installstate, as the agent's packages/NAME/installstate),
// an install of another version first runs the old version's uninstall.sh ("Uninstall and
// reinstall") or the new version's update.sh ("In-place update").
#include "packages/repository.hpp"
#include "plugins/content.hpp"
#include "plugins/executor.hpp"

#include "store/package_tables.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <cctype>
#include <fmt/format.h>
#include <optional>

namespace sshm::plugins {

namespace {

constexpr const char* k_reinstall = "Uninstall and reinstall";
constexpr const char* k_in_place = "In-place update";

struct Request {
  std::string name;
  std::string action;
  std::string installation_type = k_reinstall;
  std::string version;
  std::map<std::string, std::string> environment;  // additionalArguments
};

// What the host has: its platform and the package's installstate.
struct HostState {
  packages::HostPlatform platform;
  std::string installed_version;
  std::string state;  // Installed, Failed, "" none
};

std::string text_input(const nlohmann::json& in, const char* key) {
  if (!in.contains(key) || in[key].is_null()) return {};
  return in[key].is_string() ? trim(in[key].get<std::string>()) : in[key].dump();
}

// additionalArguments: a map (or its JSON text) of SSM_* names to values, passed to the
// scripts as environment variables.
std::string read_arguments(const nlohmann::json& in, Request& r) {
  nlohmann::json args = in.contains("additionalArguments") ? in["additionalArguments"] : nlohmann::json::object();
  if (args.is_string()) {
    std::string text = trim(args.get<std::string>());
    args = text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text, nullptr, false);
  }
  if (args.is_null()) args = nlohmann::json::object();
  if (!args.is_object()) return "invalid input: additionalArguments must be a JSON object of SSM_ names to values";
  for (const auto& [key, value] : args.items()) {
    bool plain = !key.empty();
    for (char c : key) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!starts_with(key, "SSM_") || !plain)
      return fmt::format("invalid input: additionalArguments name '{}' must start with SSM_ and hold only "
                         "letters, digits and _", key);
    r.environment[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return {};
}

// The step's inputs as the agent's validateInput checks them; "" when they are fine.
std::string read_request(const nlohmann::json& in, Request& r) {
  r.name = text_input(in, "name");
  if (starts_with(r.name, "arn:") && r.name.find('/') != std::string::npos) r.name = r.name.substr(r.name.rfind('/') + 1);
  r.action = text_input(in, "action");
  r.version = text_input(in, "version");
  if (std::string t = text_input(in, "installationType"); !t.empty()) r.installation_type = t;
  if (r.name.empty()) return "invalid input: name must be specified";
  if (std::string problem = packages::version_problem(r.name); !problem.empty()) return "invalid input: " + problem;
  if (r.action != "Install" && r.action != "Uninstall")
    return fmt::format("invalid input: action '{}' is not Install or Uninstall", r.action);
  if (r.installation_type != k_reinstall && r.installation_type != k_in_place)
    return fmt::format("invalid input: installationType '{}' is not '{}' or '{}'", r.installation_type, k_reinstall,
                       k_in_place);
  if (!r.version.empty())
    if (std::string problem = packages::version_problem(r.version); !problem.empty()) return "invalid input: " + problem;
  return read_arguments(in, r);
}

// Runs a short script with no output of its own shown; nullopt when it ran (exit status in `rc`).
std::optional<std::string> exec_quiet(HostContext& ctx, const std::string& script, std::string& out, int& rc,
                                      OutputCapture& capture) {
  ssh::ExecRequest req;
  req.command = remote_shell(ctx);
  req.stdin_data = script;
  req.timeout = std::chrono::seconds(600);
  req.cancel = ctx.cancel;
  req.on_stdout = [&](std::string_view d) {
    if (out.size() < 65536) out.append(d.substr(0, 65536 - out.size()));
  };
  req.on_stderr = [&](std::string_view d) { capture.write(true, d); };
  auto result = ctx.session->exec(req);
  if (!result) return fmt::format("{}: {}", ssh::to_string(result.error().kind), result.error().message);
  if (result->timed_out || result->cancelled) return std::string("the step ran out of time or was cancelled");
  rc = result->exit_status;
  return std::nullopt;
}

// The package's folder on the host: under the host var distributor_dir when the inventory
// gives one (an absolute path), else ~/.sshm/packages, as the agent's packages directory.
std::string package_dir(const HostContext& ctx, const std::string& name) {
  auto it = ctx.vars.find("distributor_dir");
  if (it != ctx.vars.end() && it->is_string()) {
    std::string dir = it->get<std::string>();
    bool plain = !dir.empty() && dir[0] == '/';
    for (char c : dir) plain = plain && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    if (plain) return shell_quote(dir) + "/" + shell_quote(name);
  }
  return "\"$HOME\"/.sshm/packages/" + shell_quote(name);
}

// The host's platform (os-release, uname -m) and what it has of the package.
std::optional<std::string> probe_host(HostContext& ctx, const std::string& name, HostState& host, OutputCapture& capture) {
  std::string script = "( [ -r /etc/os-release ] && . /etc/os-release; printf '%s\\n%s\\n' \"${ID:-}\" \"${VERSION_ID:-}\" )\n"
                       "uname -m\n"
                       "cat " + package_dir(ctx, name) + "/installstate 2>/dev/null\n"
                       "exit 0\n";
  std::string out;
  int rc = 0;
  if (auto error = exec_quiet(ctx, script, out, rc, capture)) return error;
  auto lines = split(out, '\n');
  while (lines.size() < 4) lines.emplace_back();
  host.platform = packages::host_platform(lines[0], lines[1], lines[2]);
  nlohmann::json state = nlohmann::json::parse(lines[3], nullptr, false);
  if (state.is_object()) {
    host.installed_version = state.value("version", "");
    host.state = state.value("state", "");
    if (!packages::version_problem(host.installed_version).empty()) host.installed_version.clear();
  }
  return std::nullopt;
}

// The archive's bytes, its SHA-256 checked against the manifest: from the package directory
// or from S3, through the command's content cache (read and checked once for every host).
std::string archive_bytes(HostContext& ctx, const packages::PackageVersion& pv, const std::string& file,
                          std::string& error) {
  if (pv.location.empty() && !ctx.content) return packages::read_local_archive(pv, file, error);
  if (!ctx.content) {
    error = "this run has no content fetcher for the package's S3 archives";
    return {};
  }
  auto read_local = [&] {
    Content c;
    c.bytes = packages::read_local_archive(pv, file, c.error);  // checks the SHA-256 itself
    if (c.error.empty()) c.sha256 = pv.manifest.sha256.at(file);
    return c;
  };
  auto content = pv.location.empty() ? ctx.content->get_keyed("package\n" + (pv.dir / file).string(), read_local)
                                     : ctx.content->get("S3", nlohmann::json{{"path", pv.location + file}});
  if (!content->error.empty()) {
    error = content->error;
    return {};
  }
  const std::string& want = pv.manifest.sha256.at(file);
  if (content->sha256 != want) {
    error = fmt::format("the archive {} of {} {} has sha256 {}, its manifest says {}: refused, nothing was run", file,
                        pv.name, pv.manifest.version, content->sha256, want);
    return {};
  }
  return content->bytes;
}

// Every archive of the version, checked before anything runs on the host.
std::string check_archives(HostContext& ctx, const packages::PackageVersion& pv) {
  for (const auto& entry : pv.manifest.sha256) {
    std::string error;
    (void)archive_bytes(ctx, pv, entry.first, error);
    if (!error.empty()) return error;
  }
  return {};
}

// Writes the archive under the command's orchestration dir and unpacks it into
// ~/.sshm/packages/NAME/VERSION.sshm-new (zip by unzip, busybox or python3; tar.gz by tar).
std::string push_script(const HostContext& ctx, const std::string& name, const std::string& version,
                        const std::string& file, const std::string& bytes) {
  const std::string end = "SSHM_PACKAGE_END_" + random_hex(8);
  std::string unzip = "if command -v unzip >/dev/null 2>&1; then unzip -q -o \"$A\" -d \"$N\"; "
                      "elif command -v busybox >/dev/null 2>&1; then busybox unzip -q -o \"$A\" -d \"$N\"; "
                      "elif command -v python3 >/dev/null 2>&1; then python3 -m zipfile -e \"$A\" \"$N\"; "
                      "else echo 'the host has no unzip, busybox or python3 to unpack a .zip package' >&2; false; fi";
  return "umask 077\n"
         "R=" + package_dir(ctx, name) + "; W=\"$HOME\"/.sshm/orchestration/" + shell_quote(ctx.command_id) + "/configurePackage\n"
         "A=\"$W\"/" + shell_quote(file) + "; N=\"$R\"/" + shell_quote(version + ".sshm-new") + "\n"
         "mkdir -p \"$W\" \"$R\" || exit 1\n"
         "base64 -d >\"$A\" <<'" + end + "' || exit 1\n" + base64_lines(bytes) + end + "\n"
         "rm -rf \"$N\" && mkdir -p \"$N\" || exit 1\n"
         "case \"$A\" in *.zip) " + unzip + " ;; *) tar -xzf \"$A\" -C \"$N\" ;; esac || "
         "{ echo 'cannot unpack the package archive' >&2; rm -rf \"$N\" \"$A\"; exit 1; }\n"
         "rm -f \"$A\"\n";
}

// The shell functions the action scripts share: run a package script in its folder, write the
// installstate file whole.
std::string script_prelude(const HostContext& ctx, const std::string& name, const std::string& file,
                           const std::string& arch) {
  return "R=" + package_dir(ctx, name) + "\n"
         "run() { echo \"Running $2 of " + name + " $(basename \"$1\")\"; ( cd \"$1\" && sh \"./$2\" ); }\n"
         "state() { printf '{\"name\":\"%s\",\"version\":\"%s\",\"state\":\"%s\",\"packageId\":\"%s\","
         "\"architecture\":\"%s\",\"installedTime\":\"%s\"}\\n' " + shell_quote(name) + " \"$1\" \"$2\" " +
         shell_quote(file) + " " + shell_quote(arch) + " \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" >\"$R/installstate.tmp\" && "
         "mv -f \"$R/installstate.tmp\" \"$R/installstate\"; }\n";
}

// Install `version` over what the host has (`old`, may be ""), as the agent's: a fresh install
// runs install.sh; over another version "Uninstall and reinstall" runs the old uninstall.sh,
// then install.sh; "In-place update" runs the new update.sh and then drops the old version.
std::string install_script(const HostContext& ctx, const Request& r, const std::string& version, const std::string& old, const std::string& file,
                           const std::string& arch) {
  const std::string v = shell_quote(version), o = shell_quote(old);
  std::string s = script_prelude(ctx, r.name, file, arch) + "N=\"$R\"/" + shell_quote(version + ".sshm-new") + "\n";
  bool in_place = r.installation_type == k_in_place && !old.empty() && old != version;
  std::string script = in_place ? "update.sh" : "install.sh";
  s += "[ -f \"$N\"/" + script + " ] || { echo 'the package archive " + file + " has no " + script +
       (in_place ? " (an In-place update runs update.sh)" : "") + "' >&2; rm -rf \"$N\"; exit 1; }\n";
  if (!old.empty() && !in_place)
    s += "if [ -f \"$R\"/" + o + "/uninstall.sh ]; then run \"$R\"/" + o + " uninstall.sh || { rc=$?; echo \"uninstall.sh of " +
         old + " failed (exit $rc)\" >&2; rm -rf \"$N\"; exit $rc; }; fi\n"
         "rm -rf \"$R\"/" + o + "\n";
  s += "rm -rf \"$R\"/" + v + " && mv \"$N\" \"$R\"/" + v + " || exit 1\n"
       "run \"$R\"/" + v + " " + script + "; rc=$?\n"
       "if [ \"$rc\" -ne 0 ]; then state " + v + " Failed; echo \"" + script + " failed (exit $rc)\" >&2; exit \"$rc\"; fi\n";
  if (in_place) s += "rm -rf \"$R\"/" + o + "\n";
  return s + "state " + v + " Installed\necho 'Successfully installed " + r.name + " " + version + "'\n";
}

std::string uninstall_script(const HostContext& ctx, const Request& r, const std::string& installed) {
  const std::string o = shell_quote(installed);
  return script_prelude(ctx, r.name, "", "") +
         "if [ -f \"$R\"/" + o + "/uninstall.sh ]; then run \"$R\"/" + o + " uninstall.sh || exit $?; fi\n"
         "rm -rf \"$R\"/" + o + " \"$R/installstate\"; rmdir \"$R\" 2>/dev/null\n"
         "echo 'Successfully uninstalled " + r.name + " " + installed + "'\n";
}

// Runs an action script as aws:runShellScript does (own process group, timeout, cancel), its
// output the step's, additionalArguments in its environment.
StepResult run_action(HostContext& ctx, const documents::Step& step, const Request& r, const std::string& script,
                      OutputCapture& capture) {
  documents::Step shell;
  shell.name = step.name;
  shell.action = "aws:runShellScript";
  shell.inputs = {{"runCommand", nlohmann::json::array({script})}};
  shell.timeout_seconds = step.timeout_seconds;
  shell.environment = r.environment;
  return run_shell_script(ctx, shell, capture);
}

void record(HostContext& ctx, const Request& r, const std::string& version, const std::string& state,
            const std::string& file, const std::string& arch) {
  if (!ctx.store) return;
  try {
    if (state.empty()) store::delete_package_install(*ctx.store, ctx.host, r.name);
    else
      store::save_package_install(*ctx.store, {ctx.host, r.name, version, state, file, arch, ctx.command_id,
                                               iso8601_s(SystemClock::instance().now())});
  } catch (const RuntimeError&) {
    // The host has the truth (its installstate); inventory reads it there.
  }
}

StepResult install(HostContext& ctx, const documents::Step& step, const Request& r, const packages::PackageVersion& pv,
                   const HostState& host, OutputCapture& capture) {
  const std::string& version = pv.manifest.version;
  auto file = packages::select_file(pv.manifest, host.platform);
  if (!file)
    return failed_step(fmt::format("package {} {} has no archive for platform {} {} {}", r.name, version,
                                   host.platform.name, host.platform.version, host.platform.arch));
  if (host.installed_version == version && host.state == "Installed") {
    capture.write(false, fmt::format("{} {} is already installed\n", r.name, version));
    record(ctx, r, version, "Installed", *file, host.platform.arch);
    return StepResult{};
  }
  std::string error;
  std::string bytes = archive_bytes(ctx, pv, *file, error);
  if (!error.empty()) return failed_step(error);
  std::string out;
  int rc = 0;
  if (auto failure = exec_quiet(ctx, push_script(ctx, r.name, version, *file, bytes), out, rc, capture))
    return failed_step("the package could not be sent to the host: " + *failure);
  if (rc != 0) return failed_step(fmt::format("the package could not be unpacked on the host (exit {})", rc));
  StepResult result = run_action(ctx, step, r, install_script(ctx, r, version, host.installed_version, *file, host.platform.arch), capture);
  record(ctx, r, version, result.status == "Success" ? "Installed" : "Failed", *file, host.platform.arch);
  return result;
}

StepResult uninstall(HostContext& ctx, const documents::Step& step, const Request& r, const HostState& host,
                     OutputCapture& capture) {
  // AWS-ConfigureAWSPackage: "If no version of the package is installed, the system returns an error."
  if (host.installed_version.empty()) {
    record(ctx, r, "", "", "", "");
    return failed_step(fmt::format("{} is not installed", r.name));
  }
  if (!r.version.empty() && r.version != host.installed_version)
    return failed_step(fmt::format("{} {} is not installed (the host has {})", r.name, r.version, host.installed_version));
  StepResult result = run_action(ctx, step, r, uninstall_script(ctx, r, host.installed_version), capture);
  if (result.status == "Success") record(ctx, r, "", "", "", "");
  return result;
}

} // namespace

StepResult run_configure_package(HostContext& ctx, const documents::Step& step, OutputCapture& capture) {
  Request r;
  if (std::string problem = read_request(step.inputs, r); !problem.empty()) return failed_step(problem);
  std::optional<packages::PackageVersion> pv;
  if (r.action == "Install") {
    if (!ctx.store) return failed_step("aws:configurePackage needs sshm's state dir (its package directory)");
    try {
      pv = packages::find_package(ctx.store->state_dir(), r.name, r.version);
    } catch (const InputError& e) {
      return failed_step(e.formatted());
    }
    // Before anything runs on the host: every archive of the version is what its manifest says.
    if (std::string error = check_archives(ctx, *pv); !error.empty()) return failed_step(error);
  }
  HostState host;
  if (auto failure = probe_host(ctx, r.name, host, capture)) return failed_step("cannot read the host's platform: " + *failure);
  return pv ? install(ctx, step, r, *pv, host, capture) : uninstall(ctx, step, r, host, capture);
}

} // namespace sshm::plugins
