#include "patch/operations.hpp"

#include "patch/scan.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <set>
#include <thread>

namespace sshm::patch {

namespace {

constexpr size_t k_max_output = 256u << 20;  // a scan of a big host is a few MB

struct RemoteRun {
  std::string out;
  std::string err;
  ssh::ExecResult result;
};

// The command that runs a script from stdin, as the SSH user or through sudo -n.
std::string shell_command(const std::string& run_as, const std::string& user) {
  if (run_as.empty() || run_as == user) return "sh -s";
  return fmt::format("sudo -n -u {} sh -s", shell_quote(run_as));
}

Expected<RemoteRun, ssh::Failure> run_script(ssh::Session& session, const std::string& command,
                                             const std::string& script, int timeout_s,
                                             const std::atomic<bool>* cancel) {
  RemoteRun run;
  ssh::ExecRequest req;
  req.command = command;
  req.stdin_data = script;
  req.timeout = std::chrono::seconds(timeout_s);
  req.cancel = cancel;
  req.on_stdout = [&](std::string_view s) {
    if (run.out.size() < k_max_output) run.out.append(s);
  };
  req.on_stderr = [&](std::string_view s) {
    if (run.err.size() < (1u << 20)) run.err.append(s);
  };
  auto r = session.exec(req);
  if (!r) return unexpected(r.error());
  run.result = *r;
  return run;
}

std::string last_lines(const std::string& text, size_t n) {
  auto lines = split(trim(text), '\n');
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
  return join(lines, "\n");
}

// Why a script produced no usable output, in one line.
std::string script_failure(const RemoteRun& run, const std::string& command) {
  if (run.result.timed_out) return "the remote script timed out";
  if (run.result.cancelled) return "cancelled";
  std::string err = last_lines(run.err, 3);
  if (starts_with(command, "sudo") && err.find("sudo") != std::string::npos)
    return fmt::format("sudo -n refused: {} (patching needs root: allow passwordless sudo or connect as root)", err);
  return fmt::format("the remote script exited {}{}{}", run.result.exit_status, err.empty() ? "" : ": ", err);
}

std::string now_s(const Clock& clock) { return iso8601_s(clock.now()); }

void progress(const PatchRequest& req, const std::string& text) {
  if (req.on_progress) req.on_progress(text);
}

struct ScanOutcome {
  HostScan scan;
  std::string error;
};

ScanOutcome do_scan(ssh::Session& session, const ssh::Endpoint& ep, const PatchRequest& req, bool update,
                    std::string& failure_kind) {
  ScanOutcome o;
  ScanScriptOptions so;
  so.update = update;
  so.boot_id_command = req.boot_id_command;
  so.lock_timeout_s = req.lock_timeout_s;
  std::string command = shell_command(update || req.operation == Operation::install ? req.run_as : "", ep.user);
  auto run = run_script(session, command, scan_script(so), req.exec_timeout_s, req.cancel);
  if (!run) {
    failure_kind = ssh::to_string(run.error().kind);
    o.error = run.error().message;
    return o;
  }
  o.scan = parse_scan_output(run->out);
  if (run->out.find("@@sshm-patch-scan") == std::string::npos) {
    if (starts_with(command, "sudo")) failure_kind = "sudo";
    o.error = script_failure(*run, command);
  } else if (o.scan.package_manager.empty()) {
    o.error = o.scan.errors.empty() ? "no supported package manager found" : o.scan.errors.front();
  }
  return o;
}

void fill_from_scan(HostPatchReport& r, const HostScan& s) {
  r.operating_system = s.operating_system;
  r.product = s.product;
  r.package_manager = s.package_manager;
  r.os_name = s.os_name;
}

std::string states_json(const HostScan& scan, const std::vector<PatchItem>& installed_now, const std::string& boot_id,
                        bool pending, double now_epoch) {
  nlohmann::json states = nlohmann::json::object();
  for (const auto& s : scan.states) {
    // Keep entries for versions still installed; the rest are history.
    bool still = std::any_of(scan.installed.begin(), scan.installed.end(), [&](const Package& p) {
      return p.name + "." + p.arch == s.id && p.installed && p.installed->version == s.version;
    });
    if (!still) continue;
    states[s.id + ":" + s.version] = {{"id", s.id}, {"installedTime", s.installed_time}, {"state", s.state},
                                      {"bootId", s.boot_id}};
  }
  for (const auto& i : installed_now) {
    states[i.name + "." + i.arch + ":" + i.candidate_version] = {
        {"id", i.name + "." + i.arch},
        {"installedTime", now_epoch},
        {"state", pending ? "InstalledPendingReboot" : "Installed"},
        {"bootId", boot_id}};
  }
  return nlohmann::json{{"patchStates", states}}.dump(1);
}

std::string write_states_script(const std::string& json) {
  return fmt::format("umask 022\nmkdir -p /var/lib/sshm || exit 1\ncat > /var/lib/sshm/patch-states.json.tmp <<'SSHM_STATES_EOF'\n"
                     "{}\nSSHM_STATES_EOF\nmv /var/lib/sshm/patch-states.json.tmp /var/lib/sshm/patch-states.json\n",
                     json);
}

// Apt names a foreign-arch package name:arch; native and all packages go by name.
std::string apt_target(const PatchItem& i, const std::string& native_arch) {
  if (i.arch == "all" || i.arch == native_arch || native_arch.empty()) return i.name + "=" + i.candidate_version;
  return i.name + ":" + i.arch + "=" + i.candidate_version;
}

bool wait_for_reboot(ssh::Transport& transport, const ssh::Endpoint& ep, const PatchRequest& req,
                     const std::string& old_boot_id, std::unique_ptr<ssh::Session>& session, std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(req.reboot_timeout_s);
  std::string last_error = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    if (req.cancel && req.cancel->load()) {
      error = "cancelled while waiting for the reboot";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto s = transport.connect(ep, req.cancel);
    if (!s) {
      last_error = s.error().message;
      continue;
    }
    auto run = run_script(**s, "sh -s", fmt::format("{}\n", req.boot_id_command), 60, req.cancel);
    if (!run) {
      last_error = run.error().message;
      continue;
    }
    std::string id = trim(run->out);
    if (!id.empty() && id != old_boot_id) {
      session = std::move(*s);
      return true;
    }
    last_error = "the host still runs the same boot";
  }
  error = fmt::format("the host did not come back from the reboot within {} s ({})", req.reboot_timeout_s, last_error);
  return false;
}

} // namespace

const char* to_string(Operation op) { return op == Operation::install ? "Install" : "Scan"; }
const char* to_string(RebootOption o) { return o == RebootOption::no_reboot ? "NoReboot" : "RebootIfNeeded"; }

PatchSummary summarize(const std::vector<PatchItem>& items, int not_applicable) {
  PatchSummary s;
  s.not_applicable = not_applicable;
  bool any = false;
  ComplianceLevel worst = ComplianceLevel::unspecified;
  for (const auto& i : items) {
    switch (i.state) {
    case PatchState::installed: ++s.installed; break;
    case PatchState::installed_other: ++s.installed_other; break;
    case PatchState::installed_pending_reboot: ++s.installed_pending_reboot; break;
    case PatchState::installed_rejected: ++s.installed_rejected; break;
    case PatchState::missing: ++s.missing; break;
    case PatchState::failed: ++s.failed; break;
    case PatchState::not_applicable: ++s.not_applicable; break;
    }
    if (!is_non_compliant(i.state)) continue;
    if (!any || i.compliance_level > worst) worst = i.compliance_level;
    any = true;
    if (i.compliance_level == ComplianceLevel::critical) ++s.critical_non_compliant;
    else if (i.security) ++s.security_non_compliant;
    else ++s.other_non_compliant;
  }
  s.compliance = any ? "NON_COMPLIANT" : "COMPLIANT";
  s.severity = any ? to_string(worst) : "";
  s.reboot_required = s.installed_pending_reboot > 0;
  return s;
}

nlohmann::json item_to_json(const PatchItem& i) {
  return {{"Name", i.name},
          {"Arch", i.arch},
          {"State", to_string(i.state)},
          {"InstalledVersion", i.installed_version},
          {"CandidateVersion", i.candidate_version},
          {"Priority", i.priority},
          {"Section", i.section},
          {"Classification", i.classification},
          {"Severity", i.severity},
          {"Archive", i.archive},
          {"Repository", i.repository},
          {"AdvisoryId", i.advisory_id},
          {"ComplianceLevel", to_string(i.compliance_level)},
          {"Security", i.security},
          {"Reason", i.reason}};
}

nlohmann::json summary_to_json(const PatchSummary& s) {
  return {{"Operation", s.operation},
          {"OperationStartTime", s.operation_start_time},
          {"OperationEndTime", s.operation_end_time},
          {"RebootOption", s.reboot_option},
          {"BaselineId", s.baseline_id},
          {"PatchGroup", s.patch_group},
          {"SnapshotId", s.snapshot_id},
          {"InstalledCount", s.installed},
          {"InstalledOtherCount", s.installed_other},
          {"InstalledPendingRebootCount", s.installed_pending_reboot},
          {"InstalledRejectedCount", s.installed_rejected},
          {"MissingCount", s.missing},
          {"FailedCount", s.failed},
          {"NotApplicableCount", s.not_applicable},
          {"CriticalNonCompliantCount", s.critical_non_compliant},
          {"SecurityNonCompliantCount", s.security_non_compliant},
          {"OtherNonCompliantCount", s.other_non_compliant},
          {"RebootRequired", s.reboot_required},
          {"Rebooted", s.rebooted},
          {"ComplianceStatus", s.compliance},
          {"ComplianceSeverity", s.severity}};
}

nlohmann::json report_to_json(const HostPatchReport& r) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : r.items) items.push_back(item_to_json(i));
  nlohmann::json j = {{"InstanceId", r.host},
                      {"Status", r.status},
                      {"OperatingSystem", r.operating_system},
                      {"Product", r.product},
                      {"PackageManager", r.package_manager},
                      {"PlatformName", r.os_name},
                      {"PatchSummary", summary_to_json(r.summary)},
                      {"Patches", items},
                      {"Log", r.log}};
  if (!r.error.empty()) j["Error"] = r.error;
  if (!r.failure_kind.empty()) j["FailureKind"] = r.failure_kind;
  return j;
}

std::string apt_install_script(const std::vector<std::string>& targets, const std::vector<std::string>& blocked,
                               int lock_timeout_s) {
  // Targets are "name[:arch]=version"; anything outside dpkg's name and version characters is
  // refused here, so the list can travel unquoted.
  std::string list;
  for (const auto& t : targets) {
    bool safe = !t.empty() && std::all_of(t.begin(), t.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || std::string_view(".+:~=_-").find(ch) != std::string_view::npos;
    });
    if (safe) list += (list.empty() ? "" : " ") + t;
  }
  std::string prefs;
  for (const auto& b : blocked) prefs += fmt::format("Package: {}\nPin: version *\nPin-Priority: -1\n\n", b);
  return fmt::format(R"SH(#!/bin/sh
# sshm patch install: installs exactly the approved missing packages, one result per package.
LC_ALL=C; export LC_ALL
DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
LOCK_TIMEOUT={lock}
TARGETS={targets}
PREFS={prefs}
tmp=$(mktemp -d /tmp/sshm-patch.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
set -- -y -q --only-upgrade --no-remove -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout="$LOCK_TIMEOUT"
if [ -n "$PREFS" ]; then
  # RejectedPatchesAction BLOCK: rejected packages may not be installed, not even as dependencies.
  {{ cat /etc/apt/preferences 2>/dev/null; echo; printf '%s\n' "$PREFS"; }} > "$tmp/preferences"
  set -- "$@" -o Dir::Etc::Preferences="$tmp/preferences"
fi
echo "@@sshm-patch-install 1"
# apt >= 1.9.11 waits for the lock itself; older apt fails at once, so retry until the timeout.
apt_install() {{
  start=$(date +%s)
  while :; do
    apt-get install "$@" > "$tmp/out" 2>&1
    rc=$?
    cat "$tmp/out" >&2
    if [ "$rc" -ne 0 ] && grep -q -e 'Could not get lock' -e 'Unable to lock' "$tmp/out" &&
       [ $(( $(date +%s) - start )) -lt "$LOCK_TIMEOUT" ]; then
      echo "sshm: waiting for the dpkg lock" >&2
      sleep 3
      continue
    fi
    return "$rc"
  done
}}
state_of() {{ dpkg-query -W -f='${{db:Status-Abbrev}} ${{Version}}' "$1" 2>/dev/null; }}
done_ok() {{
  name=${{1%%=*}}; want=${{1#*=}}
  [ "$(state_of "$name")" = "ii  $want" ] || [ "$(state_of "$name")" = "ii $want" ]
}}
apt_install "$@" $TARGETS
echo "@@batch $?"
for t in $TARGETS; do
  if ! done_ok "$t"; then
    name=${{t%%=*}}
    case $(state_of "$name") in
      ii*) apt_install "$@" "$t"; echo "@@retry $t $?" ;;
    esac
  fi
done
for t in $TARGETS; do
  if done_ok "$t"; then
    echo "@@result $t ok"
  else
    name=${{t%%=*}}
    why=$(grep -e '^E:' -e '^dpkg: error' -e 'returned error exit status' -e 'Could not get lock' "$tmp/out" 2>/dev/null | tail -n 2 | tr '\n' ' ')
    echo "@@result $t failed: now $(state_of "$name"); $why"
  fi
done
)SH",
                     fmt::arg("lock", lock_timeout_s), fmt::arg("targets", shell_quote(list)),
                     fmt::arg("prefs", shell_quote(prefs)));
}

std::map<std::string, std::string> parse_install_results(std::string_view output) {
  std::map<std::string, std::string> out;
  for (const auto& line : split(output, '\n')) {
    if (!starts_with(line, "@@result ")) continue;
    std::string rest = line.substr(9);
    size_t sp = rest.find(' ');
    if (sp == std::string::npos) continue;
    std::string target = rest.substr(0, sp);
    std::string verdict = trim(rest.substr(sp + 1));
    out[target] = verdict == "ok" ? "" : (starts_with(verdict, "failed: ") ? verdict.substr(8) : verdict);
  }
  return out;
}

namespace {

// Waits for the host to come back from a reboot and hands a new session; false with an
// error when it does not.
using Reconnect = std::function<bool(const std::string& old_boot_id, std::unique_ptr<ssh::Session>& session,
                                     std::string& error)>;

// The summary of the items, with the operation's own fields carried over from the report.
PatchSummary final_summary(const HostPatchReport& r, const std::vector<PatchItem>& items, int not_applicable,
                           const std::string& baseline_id, const Clock& clock) {
  PatchSummary s = summarize(items, not_applicable);
  s.operation = r.summary.operation;
  s.operation_start_time = r.summary.operation_start_time;
  s.reboot_option = r.summary.reboot_option;
  s.patch_group = r.summary.patch_group;
  s.snapshot_id = r.summary.snapshot_id;
  s.baseline_id = baseline_id;
  s.operation_end_time = now_s(clock);
  return s;
}

// Install: exactly the approved missing packages (or those of the override list).
std::vector<PatchItem> items_to_install(const Classification& c, const PatchRequest& req) {
  std::vector<PatchItem> to_install;
  for (const auto& i : c.items) {
    if (i.state != PatchState::missing) continue;
    if (!req.install_override.empty() &&
        std::find(req.install_override.begin(), req.install_override.end(), i.name) == req.install_override.end())
      continue;
    to_install.push_back(i);
  }
  return to_install;
}

// What one apt run did: the packages it installed, and why each of the others failed.
struct InstallOutcome {
  std::vector<PatchItem> installed;
  InstallFailures failures;
  std::string error;  // the run itself failed; nothing above is known
};

InstallOutcome install_packages(ssh::Session& session, const ssh::Endpoint& ep, const PatchRequest& req,
                                const HostScan& scan, const Baseline& baseline,
                                const std::vector<PatchItem>& to_install, HostPatchReport& r) {
  InstallOutcome out;
  if (to_install.empty()) return out;
  std::vector<std::string> blocked;
  if (baseline.rejected_patches_action == RejectedAction::block) blocked = baseline.rejected_patches;
  std::vector<std::string> targets;
  for (const auto& i : to_install) targets.push_back(apt_target(i, scan.native_arch));
  progress(req, fmt::format("installing {} package(s)", targets.size()));
  auto run = run_script(session, shell_command(req.run_as, ep.user),
                        apt_install_script(targets, blocked, req.lock_timeout_s), req.exec_timeout_s, req.cancel);
  if (!run) {
    r.failure_kind = ssh::to_string(run.error().kind);
    out.error = run.error().message;
    return out;
  }
  if (run->out.find("@@sshm-patch-install") == std::string::npos) {
    out.error = script_failure(*run, shell_command(req.run_as, ep.user));
    return out;
  }
  auto results = parse_install_results(run->out);
  for (size_t k = 0; k < to_install.size(); ++k) {
    auto it = results.find(targets[k]);
    std::string why = it == results.end() ? "no result from the host" : it->second;
    if (why.empty()) {
      out.installed.push_back(to_install[k]);
      r.log.push_back(fmt::format("installed {} {}", to_install[k].name, to_install[k].candidate_version));
    } else {
      out.failures[to_install[k].name + "." + to_install[k].arch] = why;
      r.log.push_back(fmt::format("failed {} {}: {}", to_install[k].name, to_install[k].candidate_version, why));
    }
  }
  if (!run->err.empty()) r.log.push_back(last_lines(run->err, 40));
  return out;
}

// Record what was installed, as SSM's patch-states-configuration.json.
void record_installed(ssh::Session& session, const ssh::Endpoint& ep, const PatchRequest& req, const HostScan& scan,
                      const std::vector<PatchItem>& installed, HostPatchReport& r) {
  if (installed.empty()) return;
  bool pending = req.reboot_option == RebootOption::no_reboot;
  std::string json = states_json(scan, installed, scan.boot_id, pending,
                                 std::chrono::duration<double>(req.clock->now().time_since_epoch()).count());
  auto w = run_script(session, shell_command(req.run_as, ep.user), write_states_script(json), 60, req.cancel);
  if (!w || w->result.exit_status != 0) r.log.push_back("could not write /var/lib/sshm/patch-states.json");
}

// Reboots the host, waits for it to come back and rescans; an error when it does not.
std::string reboot_and_rescan(std::unique_ptr<ssh::Session>& session, const ssh::Endpoint& ep,
                              const PatchRequest& req, const Reconnect& reconnect, ScanOutcome& after,
                              HostPatchReport& r) {
  progress(req, "rebooting");
  std::string reboot = fmt::format("nohup sh -c {} >/dev/null 2>&1 &\n", shell_quote("sleep 1; " + req.reboot_command));
  auto rr = run_script(*session, shell_command(req.run_as, ep.user), reboot, 60, req.cancel);
  if (!rr) r.log.push_back("reboot command: " + rr.error().message);
  std::string error;  // reconnect lets go of the old session first (it may be the caller's)
  if (!reconnect(after.scan.boot_id, session, error)) return error;
  r.log.push_back("rebooted");
  progress(req, "rescanning after reboot");
  after = do_scan(*session, ep, req, false, r.failure_kind);
  if (!after.error.empty()) return "rescan after reboot: " + after.error;
  return "";
}

HostPatchReport run_core(std::unique_ptr<ssh::Session>& session, const ssh::Endpoint& ep, const PatchRequest& req,
                         const Reconnect& reconnect, HostPatchReport r) {
  const Clock& clock = *req.clock;
  auto fail = [&](std::string error) {
    r.status = "Failed";
    r.error = std::move(error);
    r.summary.operation_end_time = now_s(clock);
    return r;
  };

  progress(req, req.update ? "refreshing package lists and scanning" : "scanning");
  ScanOutcome first = do_scan(*session, ep, req, req.update, r.failure_kind);
  fill_from_scan(r, first.scan);
  if (!first.error.empty()) return fail(first.error);
  for (const auto& e : first.scan.errors) r.log.push_back(e);

  auto chosen = req.choose_baseline(first.scan);
  if (!chosen) return fail(chosen.error().message);
  const Baseline& baseline = *chosen;
  r.summary.baseline_id = baseline.id;

  Classification c = classify(first.scan, baseline, clock.now());
  if (req.operation == Operation::scan) {
    r.items = std::move(c.items);
    r.summary = final_summary(r, r.items, c.not_applicable, baseline.id, clock);
    r.summary.reboot_required = r.summary.reboot_required || first.scan.reboot_required_marker;
    return r;
  }

  if (first.scan.package_manager != "apt")
    return fail(fmt::format("install is supported on apt hosts; this host uses {} (scan works)",
                            first.scan.package_manager));
  InstallOutcome installed =
      install_packages(*session, ep, req, first.scan, baseline, items_to_install(c, req), r);
  if (!installed.error.empty()) return fail(installed.error);
  record_installed(*session, ep, req, first.scan, installed.installed, r);

  progress(req, "rescanning");
  ScanOutcome after = do_scan(*session, ep, req, false, r.failure_kind);
  if (!after.error.empty()) return fail("rescan after install: " + after.error);
  Classification c2 = classify(after.scan, baseline, clock.now(), installed.failures);
  PatchSummary pre = summarize(c2.items, c2.not_applicable);
  bool want_reboot =
      !installed.installed.empty() || after.scan.reboot_required_marker || pre.installed_pending_reboot > 0;
  bool rebooted = false;
  if (req.reboot_option == RebootOption::reboot_if_needed && want_reboot && !reconnect) {
    // The caller reboots (an executor: exit 194, as SSM) and rescans.
    r.log.push_back("a reboot is needed; the caller reboots");
  } else if (req.reboot_option == RebootOption::reboot_if_needed && want_reboot) {
    if (std::string error = reboot_and_rescan(session, ep, req, reconnect, after, r); !error.empty())
      return fail(error);
    rebooted = true;
    c2 = classify(after.scan, baseline, clock.now(), installed.failures);
  }
  r.items = std::move(c2.items);
  PatchSummary s = final_summary(r, r.items, c2.not_applicable, baseline.id, clock);
  s.reboot_required = s.reboot_required || after.scan.reboot_required_marker ||
                      (want_reboot && !rebooted && req.reboot_option == RebootOption::reboot_if_needed);
  s.rebooted = rebooted;
  r.summary = s;
  if (s.failed > 0) {
    r.status = "Failed";
    r.error = fmt::format("{} package(s) failed to install", s.failed);
  }
  return r;
}

HostPatchReport new_report(const std::string& host, const PatchRequest& req) {
  HostPatchReport r;
  r.host = host;
  r.summary.operation = to_string(req.operation);
  r.summary.operation_start_time = now_s(*req.clock);
  r.summary.reboot_option = to_string(req.reboot_option);
  r.summary.patch_group = req.patch_group;
  r.summary.snapshot_id = req.snapshot_id.empty() ? new_uuid() : req.snapshot_id;
  return r;
}

} // namespace

HostPatchReport run_patch(ssh::Transport& transport, const ssh::Endpoint& ep, const PatchRequest& req) {
  HostPatchReport r = new_report(ep.name, req);
  progress(req, "connecting");
  auto connected = transport.connect(ep, req.cancel);
  if (!connected) {
    r.status = "Failed";
    r.failure_kind = ssh::to_string(connected.error().kind);
    r.error = connected.error().message;
    r.summary.operation_end_time = now_s(*req.clock);
    return r;
  }
  std::unique_ptr<ssh::Session> session = std::move(*connected);
  Reconnect reconnect = [&](const std::string& old_boot_id, std::unique_ptr<ssh::Session>& s, std::string& error) {
    s.reset();
    return wait_for_reboot(transport, ep, req, old_boot_id, s, error);
  };
  return run_core(session, ep, req, reconnect, std::move(r));
}

HostPatchReport run_patch_on_session(ssh::Session& session, const ssh::Endpoint& endpoint, const PatchRequest& request,
                                     ssh::Transport* transport) {
  // Borrow the caller's session for the core; a reconnect lets go of it (the caller closes
  // it) and puts a session of our own in its place. The borrowed one is never freed here.
  std::unique_ptr<ssh::Session> current(&session);
  auto give_back = [&] {
    if (current.get() == &session) (void)current.release();
  };
  Reconnect reconnect;
  if (transport)
    reconnect = [&](const std::string& old_boot_id, std::unique_ptr<ssh::Session>& s, std::string& error) {
      give_back();
      return wait_for_reboot(*transport, endpoint, request, old_boot_id, s, error);
    };
  try {
    HostPatchReport r = run_core(current, endpoint, request, reconnect, new_report(endpoint.name, request));
    give_back();
    return r;
  } catch (...) {
    give_back();
    throw;
  }
}

HostPatchReport scan(ssh::Transport& transport, const ssh::Endpoint& endpoint, PatchRequest request) {
  request.operation = Operation::scan;
  return run_patch(transport, endpoint, request);
}

HostPatchReport install(ssh::Transport& transport, const ssh::Endpoint& endpoint, PatchRequest request) {
  request.operation = Operation::install;
  return run_patch(transport, endpoint, request);
}

} // namespace sshm::patch
