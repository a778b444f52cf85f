#include "engine/builtin_plugins.hpp"

#include "inventory/gather.hpp"
#include "inventory/inventory_store.hpp"
#include "patch/compliance.hpp"
#include "patch/config.hpp"
#include "patch/operations.hpp"
#include "plugins/executor.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

#include <filesystem>
#include <fmt/format.h>

namespace sshm::engine {

namespace {

plugins::StepResult step_failed(const std::string& message) {
  plugins::StepResult r;
  r.status = "Failed";
  r.status_details = "Failed";
  r.response_code = 1;
  r.message = message;
  return r;
}

// The patch config: the front-end's --patch-config when it gave one, else as `sshm patch`
// finds it. Throws InputError for a bad file.
patch::PatchConfig patch_config_for(const nlohmann::json& settings) {
  std::string path = settings.value("patch_config", "");
  if (path.empty()) path = patch::PatchConfig::default_path();
  return path.empty() ? patch::PatchConfig{} : patch::PatchConfig::load(path);
}

std::string host_var(const plugins::HostContext& ctx, const char* key) {
  auto it = ctx.vars.find(key);
  return it != ctx.vars.end() && it->is_string() ? it->get<std::string>() : "";
}

// AWS-RunPatchBaseline's step inputs, then what `sshm patch` adds (run_settings), then the
// host's own boot-id and reboot commands (inventory vars).
patch::PatchRequest patch_request_for(const plugins::HostContext& ctx, const nlohmann::json& in,
                                      const nlohmann::json& settings) {
  patch::PatchRequest req;
  req.operation = in.value("Operation", "Scan") == "Install" ? patch::Operation::install : patch::Operation::scan;
  req.reboot_option = in.value("RebootOption", "RebootIfNeeded") == "NoReboot" ? patch::RebootOption::no_reboot
                                                                                : patch::RebootOption::reboot_if_needed;
  req.run_as = ctx.run_as.empty() ? "root" : ctx.run_as;
  req.snapshot_id = in.value("SnapshotId", "");
  req.patch_group = patch::patch_group_of(ctx.tags);
  req.cancel = ctx.cancel;
  req.update = settings.value("update", false);
  req.lock_timeout_s = settings.value("lock_timeout", req.lock_timeout_s);
  req.reboot_timeout_s = settings.value("reboot_timeout", req.reboot_timeout_s);
  req.install_override = settings.value("install_override", std::vector<std::string>{});
  if (std::string v = host_var(ctx, "patch_boot_id_command"); !v.empty()) req.boot_id_command = v;
  if (std::string v = host_var(ctx, "patch_reboot_command"); !v.empty()) req.reboot_command = v;
  req.on_progress = ctx.on_progress;
  return req;
}

// How the step ends once the report is in: failed, asking the caller to reboot (exit 194,
// when no transport let the plugin reboot and rescan itself), or done.
plugins::StepResult patch_step_result(const patch::HostPatchReport& report, const patch::PatchRequest& req) {
  if (report.status != "Success") return step_failed(report.error.empty() ? "patch operation failed" : report.error);
  plugins::StepResult r;
  if (req.operation == patch::Operation::install && req.reboot_option == patch::RebootOption::reboot_if_needed &&
      report.summary.reboot_required && !report.summary.rebooted) {
    r.status = "SuccessAndReboot";
    r.status_details = "RebootRequested";
    r.response_code = 194;
    r.flow = plugins::Flow::reboot;
    r.message = "patches need a reboot; run `sshm patch install --reboot-option RebootIfNeeded` to reboot and rescan";
  }
  return r;
}

// AWS-RunPatchBaseline's PatchLinux step, agentless: scan or install against the host's
// baseline (--baseline when the front-end gave one), record compliance, reboot and rescan
// when SSM would, and hand the report to the front-end.
plugins::StepResult run_patch_baseline(plugins::HostContext& ctx, const documents::Step& step,
                                       plugins::OutputCapture& capture) {
  const auto& in = step.inputs;
  const nlohmann::json settings = ctx.run_settings.value(k_patch_action, nlohmann::json::object());
  std::string operation = in.value("Operation", "Scan");
  if (!in.value("InstallOverrideList", "").empty() || !in.value("BaselineOverride", "").empty())
    return step_failed("InstallOverrideList and BaselineOverride URLs are not fetched by sshm; use "
                       "`sshm patch install --install-override NAME` or `--baseline FILE`, or a patch group");
  if (operation != "Scan" && operation != "Install") return step_failed("Operation must be Scan or Install");

  patch::PatchConfig config;
  std::vector<patch::Baseline> chosen;
  const std::string baseline = settings.value("baseline", "");
  try {
    config = patch_config_for(settings);
    if (!baseline.empty()) chosen = config.resolve(baseline);
  } catch (const InputError& e) {
    return step_failed("patch config: " + e.formatted());
  }
  patch::PatchRequest req = patch_request_for(ctx, in, settings);
  std::string group = req.patch_group;
  req.choose_baseline = [&](const patch::HostScan& scan) -> Expected<patch::Baseline, Error> {
    if (!chosen.empty()) return patch::pick_for_os(chosen, scan.operating_system, "--baseline " + baseline);
    return config.baseline_for(group, scan.operating_system);
  };

  patch::HostPatchReport report = patch::run_patch_on_session(*ctx.session, *ctx.endpoint, req, ctx.transport);
  report.host = ctx.host;
  try {
    if (ctx.store) patch::save_report(*ctx.store, report);
  } catch (const store::StoreError& e) {
    report.status = "Failed";
    report.error = std::string("the state store could not record the report: ") + e.what();
  }
  if (ctx.on_result) ctx.on_result(std::any(report));
  std::string text;
  for (const auto& line : report.log) text += line + "\n";
  text += patch::summary_to_json(report.summary).dump(2) + "\n";
  capture.write(false, text);
  return patch_step_result(report, req);
}

// What the step's inputs ask the gatherer for, then what `sshm inventory collect` adds
// (run_settings): sshm:Process, more custom directories, file hashes, its own time limit.
inventory::GatherOptions gather_options_for(const plugins::HostContext& ctx, const documents::Step& step) {
  std::map<std::string, std::string> params;
  for (auto it = step.inputs.begin(); it != step.inputs.end(); ++it) {
    if (it.key() == "timeoutSeconds" || it.key() == "onFailure" || it.key() == "onSuccess" || it.key() == "finallyStep")
      continue;
    params[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  inventory::GatherOptions options = inventory::options_from_parameters(params);
  const nlohmann::json settings = ctx.run_settings.value(k_inventory_action, nlohmann::json::object());
  options.processes = settings.value("processes", options.processes);
  options.custom_dirs = settings.value("custom_dirs", options.custom_dirs);
  options.file_hash = settings.value("file_hash", options.file_hash);
  if (settings.contains("timeout")) options.timeout = std::chrono::seconds(settings.value("timeout", 300));
  options.instance_id = ctx.host;
  options.cancel = ctx.cancel;
  options.distributor_dir = host_var(ctx, "distributor_dir");
  return options;
}

// Hands the outcome to the front-end and ends the step as it says.
plugins::StepResult inventory_step_result(plugins::HostContext& ctx, const InventoryOutcome& out,
                                          plugins::OutputCapture& capture) {
  std::string text, warn;
  for (const auto& [type, n] : out.counts) text += fmt::format("{}: {} entries\n", type, n);
  for (const auto& w : out.warnings) warn += w + "\n";
  if (!text.empty()) capture.write(false, text);
  if (!warn.empty()) capture.write(true, warn);
  if (ctx.on_result) ctx.on_result(std::any(out));
  if (out.ok) return plugins::StepResult{};
  return step_failed(out.error_kind.empty() ? out.error : fmt::format("{}: {}", out.error_kind, out.error));
}

// aws:softwareInventory (AWS-GatherSoftwareInventory): one gatherer run on the session, the
// snapshot stored, a summary on stdout, the outcome handed to the front-end.
plugins::StepResult run_software_inventory(plugins::HostContext& ctx, const documents::Step& step,
                                           plugins::OutputCapture& capture) {
  InventoryOutcome out;
  inventory::GatherOptions options;
  try {
    options = gather_options_for(ctx, step);
  } catch (const InputError& e) {
    out.error = e.formatted();
    return inventory_step_result(ctx, out, capture);
  }
  std::string package_manager;
  auto items = inventory::gather(*ctx.session, options, &out.warnings, &package_manager, &out.bytes);
  if (!items) {
    out.error_kind = ssh::to_string(items.error().kind);
    out.error = items.error().message;
    plugins::StepResult r = inventory_step_result(ctx, out, capture);
    r.connection_lost = items.error().kind == ssh::FailureKind::dropped;
    return r;
  }
  for (const auto& item : *items) out.counts[item.type_name] = item.content.size();
  try {
    // Custom types not gathered this time (--types without Custom) keep their snapshot.
    if (ctx.store) inventory::store_snapshot(*ctx.store, ctx.host, package_manager, *items, options.custom);
    out.ok = true;
  } catch (const store::StoreError& e) {
    out.error_kind = "store";
    out.error = e.what();
  }
  return inventory_step_result(ctx, out, capture);
}

} // namespace

const plugins::PluginTable& plugin_table() {
  static const plugins::PluginTable table = {
      {"aws:runShellScript", plugins::run_shell_script},
      {"aws:runDocument", plugins::run_document_plugin},
      {"aws:runPowerShellScript", plugins::run_powershell_script},
      {"aws:downloadContent", plugins::run_download_content},
      {"aws:configurePackage", plugins::run_configure_package},
      {k_patch_action, run_patch_baseline},
      {k_inventory_action, run_software_inventory},
  };
  return table;
}

} // namespace sshm::engine
