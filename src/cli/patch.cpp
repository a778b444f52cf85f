// sshm patch scan | install | compliance | baselines: Patch Manager over SSH.
#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "cli/select.hpp"
#include "cli/signals.hpp"
#include "engine/dispatch.hpp"
#include "patch/compliance.hpp"
#include "patch/config.hpp"
#include "patch/operations.hpp"
#include "ssh/libssh_transport.hpp"
#include "store/store.hpp"
#include "util/ids.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <atomic>
#include <climits>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct PatchRunOptions {
  TargetOptions targets;
  std::string baseline;       // --baseline NAME|FILE
  std::string patch_config;   // --patch-config FILE
  std::string reboot_option = "RebootIfNeeded";
  std::vector<std::string> install_override;
  bool update = false;
  int max_concurrency = 10;
  int lock_timeout = 300;
  int reboot_timeout = 900;
};

struct ComplianceOptions {
  TargetOptions targets;
};

struct BaselinesOptions {
  std::string patch_config;
  std::string name;
};

// The patch config: --patch-config, else $SSHM_PATCH_CONFIG, else
// $XDG_CONFIG_HOME/sshm/patch.yaml when it exists, else none.
patch::PatchConfig load_patch_config(const std::string& flag) {
  std::string path = flag;
  if (path.empty()) {
    if (const char* env = std::getenv("SSHM_PATCH_CONFIG"); env && *env) path = env;
  }
  if (!path.empty()) {
    if (!std::filesystem::exists(path)) throw InputError(fmt::format("patch config '{}' does not exist", path));
    return patch::PatchConfig::load(path);
  }
  std::string fallback = xdg_dir("XDG_CONFIG_HOME", ".config") + "/sshm/patch.yaml";
  if (std::filesystem::exists(fallback)) return patch::PatchConfig::load(fallback);
  return patch::PatchConfig{};
}

std::string host_var(const fleet::Host& h, const char* key) {
  if (h.vars.contains(key) && h.vars[key].is_string()) return h.vars[key].get<std::string>();
  return {};
}

std::string item_line(const patch::PatchItem& i) {
  std::string version = i.installed_version;
  if (!i.candidate_version.empty() && i.candidate_version != i.installed_version) version += " -> " + i.candidate_version;
  std::vector<std::string> facts;
  if (!i.archive.empty()) facts.push_back(i.archive);
  if (!i.repository.empty()) facts.push_back(i.repository);
  if (!i.priority.empty() || !i.section.empty()) facts.push_back(i.priority + "/" + i.section);
  if (!i.classification.empty()) facts.push_back(i.classification + (i.severity.empty() ? "" : "/" + i.severity));
  facts.push_back(patch::to_string(i.compliance_level));
  return fmt::format("  {:<22} {}:{} {} [{}]\n      {}\n", patch::to_string(i.state), i.name, i.arch, version,
                     join(facts, ", "), i.reason);
}

std::string report_text(const patch::HostPatchReport& r, int verbosity) {
  const auto& s = r.summary;
  if (r.status == "Failed" && r.items.empty())
    return fmt::format("{}  FAILED {}{}\n", r.host, r.failure_kind.empty() ? "" : r.failure_kind + ": ", r.error);
  std::string out = fmt::format(
      "{}  {} {} ({})  baseline {}{}  {}{}\n  Installed {}, InstalledOther {}, InstalledPendingReboot {}, "
      "InstalledRejected {}, Missing {}, Failed {}, NotApplicable {}{}{}\n",
      r.host, r.operating_system, r.product, r.package_manager, s.baseline_id,
      s.patch_group.empty() ? "" : " (patch group " + s.patch_group + ")", s.compliance,
      s.severity.empty() ? "" : " " + s.severity, s.installed, s.installed_other, s.installed_pending_reboot,
      s.installed_rejected, s.missing, s.failed, s.not_applicable, s.reboot_required ? "; reboot required" : "",
      s.rebooted ? "; rebooted" : "");
  for (const auto& i : r.items)
    if (verbosity > 0 || patch::is_non_compliant(i.state)) out += item_line(i);
  if (r.status == "Failed") out += fmt::format("  FAILED: {}\n", r.error);
  if (verbosity > 0)
    for (const auto& l : r.log) out += "  | " + l + "\n";
  return out;
}

// What one run asks of every host, before the host's own settings.
struct PatchRun {
  const PatchRunOptions& options;
  patch::Operation operation;
  patch::RebootOption reboot;
  const patch::PatchConfig& config;
  const std::vector<patch::Baseline>& explicit_baselines;
  std::string snapshot;
  const std::atomic<bool>& cancel;
  int verbosity;
};

// The request for one host: the run's settings, then the host's run_as, patch group and
// its own boot-id and reboot commands.
patch::PatchRequest patch_request_for(const PatchRun& run, const fleet::Host& host) {
  const PatchRunOptions& o = run.options;
  patch::PatchRequest req;
  req.operation = run.operation;
  req.reboot_option = run.reboot;
  req.update = o.update;
  req.run_as = host.connection.run_as.value_or("root");
  req.lock_timeout_s = o.lock_timeout;
  req.reboot_timeout_s = o.reboot_timeout;
  if (std::string v = host_var(host, "patch_boot_id_command"); !v.empty()) req.boot_id_command = v;
  if (std::string v = host_var(host, "patch_reboot_command"); !v.empty()) req.reboot_command = v;
  req.install_override = o.install_override;
  req.patch_group = patch::patch_group_of(host.tags);
  req.snapshot_id = run.snapshot;
  req.cancel = &run.cancel;
  std::string group = req.patch_group;
  req.choose_baseline = [&run, group](const patch::HostScan& scan) -> Expected<patch::Baseline, std::string> {
    if (!run.explicit_baselines.empty())
      return patch::pick_for_os(run.explicit_baselines, scan.operating_system, "--baseline " + run.options.baseline);
    return run.config.baseline_for(group, scan.operating_system);
  };
  if (run.verbosity > 0) {
    std::string name = host.name;
    req.on_progress = [name](const std::string& note) { SyncOut::instance().err(fmt::format("{}: {}\n", name, note)); };
  }
  return req;
}

// A host Ctrl-C left out: failed, never contacted.
patch::HostPatchReport not_started_report(const fleet::Host& host, patch::Operation op) {
  patch::HostPatchReport r;
  r.host = host.name;
  r.status = "Failed";
  r.failure_kind = "cancelled";
  r.error = "not started: interrupted";
  r.summary.operation = op == patch::Operation::scan ? "Scan" : "Install";
  return r;
}

// Summarises the reports and chooses the exit status.
int finish_patch_run(const GlobalOptions& g, const std::vector<patch::HostPatchReport>& reports, patch::Operation op,
                     bool cancelled) {
  size_t failed = 0, unreachable = 0, non_compliant = 0;
  for (const auto& r : reports) {
    if (r.status != "Success") ++failed;
    if (!r.failure_kind.empty()) ++unreachable;
    if (r.summary.compliance == "NON_COMPLIANT") ++non_compliant;
  }
  const bool text = g.output != "json" && g.output != "yaml" && g.output != "jsonl";
  if (text) {
    SyncOut::instance().out(fmt::format("{} hosts: {} {}, {} failed; {} non-compliant\n", reports.size(),
                                        reports.size() - failed, op == patch::Operation::scan ? "scanned" : "patched",
                                        failed, non_compliant));
  } else if (g.output != "jsonl") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : reports) arr.push_back(patch::report_to_json(r));
    SyncOut::instance().out(arr.dump(2) + "\n");
  }
  if (cancelled) return k_exit_interrupted;
  if (!reports.empty() && unreachable == reports.size()) return k_exit_unreachable;
  return failed ? k_exit_failed : k_exit_ok;
}

int run_patch_operation(const GlobalOptions& g, const PatchRunOptions& o, patch::Operation op) {
  // Load the patch config and the baseline first: a bad file stops the run before any connection.
  patch::PatchConfig config = load_patch_config(o.patch_config);
  std::vector<patch::Baseline> explicit_baselines;
  if (!o.baseline.empty()) explicit_baselines = config.resolve(o.baseline);
  patch::RebootOption reboot = patch::RebootOption::reboot_if_needed;
  if (o.reboot_option == "NoReboot") reboot = patch::RebootOption::no_reboot;
  else if (o.reboot_option != "RebootIfNeeded")
    throw InputError(fmt::format("unknown --reboot-option '{}' (use RebootIfNeeded or NoReboot)", o.reboot_option),
                     closest_match(o.reboot_option, {"RebootIfNeeded", "NoReboot"}));

  // Select hosts and resolve their connection settings.
  auto inv = load_inventory(g);
  auto hosts = select(g, inv, o.targets);
  auto ssh_config = load_ssh_config(g);
  auto options = resolve_options(g);
  auto endpoints = endpoints_for(hosts, ssh_config, options);
  prepare_key_passphrase(endpoints);

  // Open the state store: every host's result is recorded as it completes.
  auto store = store::Store::open(state_dir(g));
  std::mutex store_error_mutex;
  std::exception_ptr store_error;

  // One snapshot per run, as a maintenance window gives one: identical approvals fleet-wide.
  std::atomic<bool> cancel{false};
  const PatchRun run{o, op, reboot, config, explicit_baselines, new_uuid(), cancel, g.verbosity};
  ssh::LibsshTransport transport(ssh_config, options);
  std::vector<patch::HostPatchReport> reports(endpoints.size());
  const bool text = g.output != "json" && g.output != "yaml" && g.output != "jsonl";
  auto record = [&](size_t i) {
    try {
      patch::save_report(*store, reports[i]);
    } catch (const store::StoreError&) {
      // No later result could be recorded either: start no more hosts, report the error after them.
      std::lock_guard<std::mutex> lock(store_error_mutex);
      if (!store_error) store_error = std::current_exception();
      cancel = true;
      return;
    }
    if (text) SyncOut::instance().out(report_text(reports[i], g.verbosity));
    else if (g.output == "jsonl") SyncOut::instance().out(patch::report_to_json(reports[i]).dump() + "\n");
  };
  // Through the fleet engine: --max-concurrency hosts at once; a failed host never stops
  // the others; Ctrl-C stops starting hosts and cancels those in flight.
  engine::DispatchPlan plan;
  plan.targets = endpoints.size();
  plan.concurrency = static_cast<size_t>(std::max(1, o.max_concurrency));
  plan.ramp = false;
  plan.error_threshold = INT_MAX;
  auto work = [&](size_t i, engine::Acknowledge&) {
    reports[i] = patch::run_patch(transport, endpoints[i], patch_request_for(run, *hosts[i]));
    record(i);
    return reports[i].status != "Success";
  };
  // A host never started keeps its last stored result: it is reported, not saved.
  auto not_started = [&](size_t i) {
    reports[i] = not_started_report(*hosts[i], op);
    if (text) SyncOut::instance().out(report_text(reports[i], g.verbosity));
    else if (g.output == "jsonl") SyncOut::instance().out(patch::report_to_json(reports[i]).dump() + "\n");
  };
  {
    SignalGuard guard(cancel);
    engine::dispatch(plan, work, not_started, cancel);
  }
  if (store_error) std::rethrow_exception(store_error);
  return finish_patch_run(g, reports, op, cancel.load());
}

bool is_critical(const nlohmann::json& item) {
  return item.value("ComplianceLevel", "") == "CRITICAL" || to_lower(item.value("Severity", "")) == "critical";
}

int run_compliance(const GlobalOptions& g, const ComplianceOptions& o) {
  auto store = store::Store::open(state_dir(g));
  std::vector<patch::StoredCompliance> stored = patch::load_compliance(*store);
  std::map<std::string, const patch::StoredCompliance*> by_host;
  for (const auto& s : stored) by_host[s.host] = &s;
  // With -t, the selected inventory hosts (unscanned ones included); else every host in the store.
  std::vector<std::string> names;
  if (!o.targets.targets.empty()) {
    auto inv = load_inventory(g);
    for (const auto* h : select(g, inv, o.targets)) names.push_back(h->name);
  } else {
    for (const auto& s : stored) names.push_back(s.host);
  }

  size_t compliant = 0, non_compliant = 0, not_scanned = 0;
  std::map<std::string, size_t> by_severity;
  std::vector<std::string> missing_critical;
  nlohmann::json hosts_json = nlohmann::json::array();
  std::string text;
  for (const auto& name : names) {
    auto it = by_host.find(name);
    if (it == by_host.end()) {
      ++not_scanned;
      hosts_json.push_back({{"InstanceId", name}, {"ComplianceStatus", "NOT_SCANNED"}});
      text += fmt::format("{:<24} NOT_SCANNED\n", name);
      continue;
    }
    const auto& c = *it->second;
    std::string status = c.summary.value("ComplianceStatus", "NON_COMPLIANT");
    std::string severity = c.summary.value("ComplianceSeverity", "");
    bool critical = false;
    for (const auto& i : c.non_compliant) critical = critical || is_critical(i);
    if (status == "COMPLIANT") {
      ++compliant;
    } else {
      ++non_compliant;
      ++by_severity[severity.empty() ? "UNSPECIFIED" : severity];
    }
    if (critical) missing_critical.push_back(name);
    nlohmann::json patches = nlohmann::json::array();
    for (const auto& i : c.non_compliant) patches.push_back(i);
    hosts_json.push_back({{"InstanceId", name},
                          {"OperatingSystem", c.operating_system},
                          {"ComplianceStatus", status},
                          {"ComplianceSeverity", severity},
                          {"MissingCriticalPatches", critical},
                          {"CaptureTime", c.capture_time},
                          {"PatchSummary", c.summary},
                          {"NonCompliantPatches", patches}});
    text += fmt::format("{:<24} {:<13} {:<13} Missing {}, Failed {}, InstalledPendingReboot {}, InstalledRejected {}  "
                        "(baseline {}, {} {})\n",
                        name, status, severity.empty() ? "-" : severity, c.summary.value("MissingCount", 0),
                        c.summary.value("FailedCount", 0), c.summary.value("InstalledPendingRebootCount", 0),
                        c.summary.value("InstalledRejectedCount", 0), c.summary.value("BaselineId", ""),
                        c.summary.value("Operation", ""), c.capture_time);
    if (g.verbosity > 0)
      for (const auto& i : c.non_compliant)
        text += fmt::format("    {:<22} {} {} -> {}  {}\n", i.value("State", ""), i.value("Name", ""),
                            i.value("InstalledVersion", ""), i.value("CandidateVersion", ""), i.value("Reason", ""));
  }
  std::vector<std::string> sev_parts;
  for (const char* level : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"})
    if (by_severity.count(level)) sev_parts.push_back(fmt::format("{} {}", level, by_severity[level]));
  if (g.output == "json" || g.output == "yaml" || g.output == "jsonl") {
    nlohmann::json j = {{"Compliant", compliant},
                        {"NonCompliant", non_compliant},
                        {"NotScanned", not_scanned},
                        {"NonCompliantBySeverity", by_severity},
                        {"HostsMissingCriticalPatches", missing_critical},
                        {"Hosts", hosts_json}};
    SyncOut::instance().out(j.dump(2) + "\n");
  } else {
    text += fmt::format("{} hosts: {} compliant, {} non-compliant{}{}\n", names.size(), compliant, non_compliant,
                        sev_parts.empty() ? "" : " (" + join(sev_parts, ", ") + ")",
                        not_scanned ? fmt::format(", {} not scanned", not_scanned) : "");
    if (!missing_critical.empty())
      text += fmt::format("hosts missing critical patches: {}\n", join(missing_critical, ", "));
    SyncOut::instance().out(text);
  }
  return non_compliant || not_scanned ? k_exit_failed : k_exit_ok;
}

int run_baselines_list(const GlobalOptions& g, const BaselinesOptions& o) {
  patch::PatchConfig config = load_patch_config(o.patch_config);
  auto all = config.all_baselines();
  if (g.output == "json" || g.output == "yaml" || g.output == "jsonl") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& b : all)
      arr.push_back({{"BaselineId", b.id}, {"BaselineName", b.name}, {"OperatingSystem", b.operating_system},
                     {"BaselineDescription", b.description}, {"DefaultBaseline", b.predefined}});
    SyncOut::instance().out(arr.dump(2) + "\n");
    return k_exit_ok;
  }
  std::string text;
  for (const auto& b : all)
    text += fmt::format("{:<42} {:<24} {}\n", b.id, b.operating_system, b.predefined ? "predefined" : b.file);
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_baselines_show(const GlobalOptions&, const BaselinesOptions& o) {
  patch::PatchConfig config = load_patch_config(o.patch_config);
  nlohmann::json arr = nlohmann::json::array();
  auto found = config.resolve(o.name);
  for (const auto& b : found) arr.push_back(patch::baseline_to_json(b));
  SyncOut::instance().out((found.size() == 1 ? arr[0] : arr).dump(2) + "\n");
  return k_exit_ok;
}

void add_run_options(CLI::App* cmd, PatchRunOptions& o) {
  add_target_options(cmd, o.targets);
  cmd->add_option("--baseline", o.baseline,
                  "Patch baseline: a predefined name (AWS-DebianDefaultPatchBaseline, ...), a name from the patch "
                  "config, or a JSON/YAML file (one baseline or a list, first matching OperatingSystem wins)");
  cmd->add_option("--patch-config", o.patch_config,
                  "Patch config (baselines, patch_groups, default_baselines); default $SSHM_PATCH_CONFIG, then "
                  "$XDG_CONFIG_HOME/sshm/patch.yaml");
  cmd->add_flag("--update", o.update, "Refresh package lists first (apt-get update, dnf makecache, ...)");
  cmd->add_option("--max-concurrency", o.max_concurrency, "Hosts patched at once (default 10)")->check(CLI::Range(1, 10000));
  cmd->add_option("--lock-timeout", o.lock_timeout, "Seconds to wait for the dpkg/apt lock (default 300)")
      ->check(CLI::Range(0, 86400));
}

} // namespace

void setup_patch(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* patch = app.add_subcommand("patch", "Patch Manager: scan and install against patch baselines, compliance");
  patch->require_subcommand(1);

  auto scan_opts = std::make_shared<PatchRunOptions>();
  auto* scan = patch->add_subcommand("scan", "Scan hosts against their baseline (AWS-RunPatchBaseline Operation=Scan)");
  add_run_options(scan, *scan_opts);
  scan->callback([&global, &action, scan_opts] {
    action = [&global, scan_opts] { return run_patch_operation(global, *scan_opts, patch::Operation::scan); };
  });

  auto install_opts = std::make_shared<PatchRunOptions>();
  auto* install = patch->add_subcommand(
      "install", "Install exactly the approved missing patches (AWS-RunPatchBaseline Operation=Install); needs root");
  add_run_options(install, *install_opts);
  install->add_option("--reboot-option", install_opts->reboot_option,
                      "RebootIfNeeded (default: reboot when anything was installed, wait, rescan) or NoReboot");
  install->add_option("--install-override", install_opts->install_override,
                      "Install only these approved packages (repeatable), as SSM's InstallOverrideList");
  install->add_option("--reboot-timeout", install_opts->reboot_timeout,
                      "Seconds to wait for a host to come back from the reboot (default 900)")
      ->check(CLI::Range(10, 86400));
  install->callback([&global, &action, install_opts] {
    action = [&global, install_opts] { return run_patch_operation(global, *install_opts, patch::Operation::install); };
  });

  auto comp_opts = std::make_shared<ComplianceOptions>();
  auto* comp = patch->add_subcommand(
      "compliance", "Fleet patch compliance from the last scans; exit 1 when any host is non-compliant or unscanned");
  add_target_options(comp, comp_opts->targets, false);
  comp->callback([&global, &action, comp_opts] {
    action = [&global, comp_opts] { return run_compliance(global, *comp_opts); };
  });

  auto* baselines = patch->add_subcommand("baselines", "Patch baselines: predefined and from the patch config");
  baselines->require_subcommand(1);
  auto list_opts = std::make_shared<BaselinesOptions>();
  auto* list = baselines->add_subcommand("list", "List the baselines");
  list->add_option("--patch-config", list_opts->patch_config, "Patch config file");
  list->callback([&global, &action, list_opts] {
    action = [&global, list_opts] { return run_baselines_list(global, *list_opts); };
  });
  auto show_opts = std::make_shared<BaselinesOptions>();
  auto* show = baselines->add_subcommand("show", "Show a baseline as GetPatchBaseline does (JSON)");
  show->add_option("name", show_opts->name, "Baseline name or file")->required();
  show->add_option("--patch-config", show_opts->patch_config, "Patch config file");
  show->callback([&global, &action, show_opts] {
    action = [&global, show_opts] { return run_baselines_show(global, *show_opts); };
  });
}

} // namespace sshm::cli
