// sshm patch scan | install | compliance | baselines: Patch Manager over SSH.
#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "cli/select.hpp"
#include "cli/run.hpp"
#include "engine/builtin_plugins.hpp"
#include "patch/compliance.hpp"
#include "patch/config.hpp"
#include "patch/operations.hpp"
#include "store/store.hpp"
#include "util/ids.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <any>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

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

// The patch config file: --patch-config, else $SSHM_PATCH_CONFIG, else
// $XDG_CONFIG_HOME/sshm/patch.yaml when it exists, else none (""). Absolute, so a resumed
// run reads the same file.
std::string patch_config_path(const std::string& flag) {
  std::string path = flag.empty() ? patch::PatchConfig::default_path() : flag;
  if (path.empty()) return "";
  if (!std::filesystem::exists(path)) throw InputError(fmt::format("patch config '{}' does not exist", path));
  std::error_code ec;
  return std::filesystem::absolute(path, ec).string();
}

patch::PatchConfig load_patch_config(const std::string& flag) {
  std::string path = patch_config_path(flag);
  return path.empty() ? patch::PatchConfig{} : patch::PatchConfig::load(path);
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

// Summarises the reports and chooses the exit status.
int finish_patch_run(const GlobalOptions& g, const std::vector<patch::HostPatchReport>& reports, patch::Operation op,
                     bool cancelled) {
  size_t failed = 0, unreachable = 0, non_compliant = 0;
  for (const auto& r : reports) {
    if (r.status != "Success") ++failed;
    if (!r.failure_kind.empty()) ++unreachable;
    if (r.summary.compliance == "NON_COMPLIANT") ++non_compliant;
  }
  if (!structured_output(g)) {
    SyncOut::instance().out(fmt::format("{} hosts: {} {}, {} failed; {} non-compliant\n", reports.size(),
                                        reports.size() - failed, op == patch::Operation::scan ? "scanned" : "patched",
                                        failed, non_compliant));
  } else if (g.output != "jsonl") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : reports) arr.push_back(patch::report_to_json(r));
    print_structured(g, arr);
  }
  if (cancelled) return k_exit_interrupted;
  if (!reports.empty() && unreachable == reports.size()) return k_exit_unreachable;
  return failed ? k_exit_failed : k_exit_ok;
}

// Shows `sshm patch scan|install` as it always has, from the reports the plugin hands back
// (HostContext::on_result) rather than from the store: a report carries the per-package
// reasons and the host's log, which the compliance tables do not keep. A host the plugin
// never ran on (unreachable, not started) gets a report made from its invocation.
class PatchObserver : public CliRunObserver {
public:
  PatchObserver(const GlobalOptions& g, patch::Operation op) : m_g(g), m_op(op) {}

  void on_progress(const std::string& host, const std::string& note) override {
    if (m_g.verbosity > 0) SyncOut::instance().err(fmt::format("{}: {}\n", host, note));
  }
  void on_result(const std::string& host, const std::any& result) override {
    if (const auto* r = std::any_cast<patch::HostPatchReport>(&result)) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_reports[host] = *r;
    }
  }
  void on_invocation_done(const store::InvocationRecord& inv) override {
    patch::HostPatchReport r = report_of(inv);
    if (text_output(m_g)) SyncOut::instance().out(report_text(r, m_g.verbosity));
    else if (m_g.output == "jsonl") print_structured(m_g, patch::report_to_json(r));
  }
  void finish(const engine::RunResult& result) override {
    std::vector<patch::HostPatchReport> reports;
    for (const auto& inv : result.invocations) reports.push_back(report_of(inv));
    m_exit = finish_patch_run(m_g, reports, m_op, result.dispatch.cancelled || result.command.status == "Cancelled");
  }
  std::optional<int> exit_code(const engine::RunResult&) const override { return m_exit; }

private:
  static bool text_output(const GlobalOptions& g) { return !structured_output(g); }

  patch::HostPatchReport report_of(const store::InvocationRecord& inv) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (auto it = m_reports.find(inv.instance_id); it != m_reports.end()) return it->second;
    }
    patch::HostPatchReport r;
    r.host = inv.instance_id;
    r.status = "Failed";
    r.summary.operation = patch::to_string(m_op);
    NoResult why = no_result_reason(inv);
    r.failure_kind = why.kind;
    r.error = why.message;
    return r;
  }

  const GlobalOptions& m_g;
  patch::Operation m_op;
  std::mutex m_mutex;
  std::map<std::string, patch::HostPatchReport> m_reports;
  std::optional<int> m_exit;
};

// What the plugin takes beyond AWS-RunPatchBaseline's parameters.
nlohmann::json patch_settings(const PatchRunOptions& o, const std::string& config_path) {
  return {{engine::k_patch_action,
           {{"baseline", o.baseline},
            {"patch_config", config_path},
            {"install_override", o.install_override},
            {"update", o.update},
            {"lock_timeout", o.lock_timeout},
            {"reboot_timeout", o.reboot_timeout}}}};
}

// A run of AWS-RunPatchBaseline through the run engine, shown as `sshm patch` always was.
int run_patch_operation(const GlobalOptions& g, const PatchRunOptions& o, patch::Operation op) {
  // Load the patch config and the baseline first: a bad file stops the run before any connection.
  const std::string config_path = patch_config_path(o.patch_config);
  patch::PatchConfig config = config_path.empty() ? patch::PatchConfig{} : patch::PatchConfig::load(config_path);
  if (!o.baseline.empty()) (void)config.resolve(o.baseline);
  if (o.reboot_option != "NoReboot" && o.reboot_option != "RebootIfNeeded")
    throw InputError(fmt::format("unknown --reboot-option '{}' (use RebootIfNeeded or NoReboot)", o.reboot_option),
                     closest_match(o.reboot_option, {"RebootIfNeeded", "NoReboot"}));

  FrontEndRun run;
  run.document = "AWS-RunPatchBaseline";
  // One snapshot per run, as a maintenance window gives one: identical approvals fleet-wide.
  run.values = {{"Operation", patch::to_string(op)}, {"RebootOption", o.reboot_option}, {"SnapshotId", new_uuid()}};
  run.targets = o.targets;
  run.max_concurrency = std::to_string(std::max(1, o.max_concurrency));
  run.plugin_settings = patch_settings(o, config_path);
  run.make_observer = [&g, op](size_t) { return std::make_unique<PatchObserver>(g, op); };
  return run_front_end(g, run);
}

bool is_critical(const nlohmann::json& item) {
  return item.value("ComplianceLevel", "") == "CRITICAL" || to_lower(item.value("Severity", "")) == "critical";
}

// One scanned host's lines of `sshm patch compliance`; with -v, its non-compliant patches.
std::string compliance_text(const std::string& name, const patch::StoredCompliance& c, int verbosity) {
  std::string status = c.summary.value("ComplianceStatus", "NON_COMPLIANT");
  std::string severity = c.summary.value("ComplianceSeverity", "");
  std::string text = fmt::format(
      "{:<24} {:<13} {:<13} Missing {}, Failed {}, InstalledPendingReboot {}, InstalledRejected {}  "
      "(baseline {}, {} {})\n",
      name, status, severity.empty() ? "-" : severity, c.summary.value("MissingCount", 0),
      c.summary.value("FailedCount", 0), c.summary.value("InstalledPendingRebootCount", 0),
      c.summary.value("InstalledRejectedCount", 0), c.summary.value("BaselineId", ""), c.summary.value("Operation", ""),
      c.capture_time);
  if (verbosity > 0)
    for (const auto& i : c.non_compliant)
      text += fmt::format("    {:<22} {} {} -> {}  {}\n", i.value("State", ""), i.value("Name", ""),
                          i.value("InstalledVersion", ""), i.value("CandidateVersion", ""), i.value("Reason", ""));
  return text;
}

int run_compliance(const GlobalOptions& g, const ComplianceOptions& o) {
  auto store = open_state_store(g);
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
    text += compliance_text(name, c, g.verbosity);
  }
  std::vector<std::string> sev_parts;
  for (const char* level : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"})
    if (by_severity.count(level)) sev_parts.push_back(fmt::format("{} {}", level, by_severity[level]));
  if (structured_output(g)) {
    nlohmann::json j = {{"Compliant", compliant},
                        {"NonCompliant", non_compliant},
                        {"NotScanned", not_scanned},
                        {"NonCompliantBySeverity", by_severity},
                        {"HostsMissingCriticalPatches", missing_critical},
                        {"Hosts", hosts_json}};
    print_structured(g, j);
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
  if (structured_output(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& b : all)
      arr.push_back({{"BaselineId", b.id}, {"BaselineName", b.name}, {"OperatingSystem", b.operating_system},
                     {"BaselineDescription", b.description}, {"DefaultBaseline", b.predefined}});
    print_list(g, "BaselineIdentities", arr);  // DescribePatchBaselines' shape
    return k_exit_ok;
  }
  std::string text;
  for (const auto& b : all)
    text += fmt::format("{:<42} {:<24} {}\n", b.id, b.operating_system, b.predefined ? "predefined" : b.file);
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_baselines_show(const GlobalOptions& g, const BaselinesOptions& o) {
  patch::PatchConfig config = load_patch_config(o.patch_config);
  nlohmann::json arr = nlohmann::json::array();
  auto found = config.resolve(o.name);
  for (const auto& b : found) arr.push_back(patch::baseline_to_json(b));
  // A baseline is data in any format; text shows it as JSON.
  const nlohmann::json& shown = found.size() == 1 ? arr[0] : arr;
  if (structured_output(g)) print_structured(g, shown);
  else SyncOut::instance().out(shown.dump(2) + "\n");
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
