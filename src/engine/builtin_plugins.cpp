#include "engine/builtin_plugins.hpp"

#include "inventory/gather.hpp"
#include "inventory/inventory_store.hpp"
#include "patch/compliance.hpp"
#include "patch/config.hpp"
#include "patch/operations.hpp"
#include "plugins/executor.hpp"
#include "store/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <mutex>

namespace sshm::engine {

namespace {

// The patch config as `sshm patch` finds it: $SSHM_PATCH_CONFIG, else
// $XDG_CONFIG_HOME/sshm/patch.yaml when it exists, else SSM's defaults.
patch::PatchConfig default_patch_config() {
  if (const char* env = std::getenv("SSHM_PATCH_CONFIG"); env && *env) return patch::PatchConfig::load(env);
  std::string base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) base = x;
  else if (const char* h = std::getenv("HOME")) base = std::string(h) + "/.config";
  std::string path = base + "/sshm/patch.yaml";
  if (!base.empty() && std::filesystem::exists(path)) return patch::PatchConfig::load(path);
  return patch::PatchConfig{};
}

plugins::StepResult step_failed(const std::string& message) {
  plugins::StepResult r;
  r.status = "Failed";
  r.status_details = "Failed";
  r.response_code = 1;
  r.message = message;
  return r;
}

// AWS-RunPatchBaseline's PatchLinux step, agentless: scan or install against the host's
// baseline, record compliance, and ask for a reboot (exit 194) when SSM would.
plugins::StepResult run_patch_baseline(plugins::HostContext& ctx, const documents::Step& step,
                                       plugins::OutputCapture& capture) {
  const auto& in = step.inputs;
  std::string operation = in.value("Operation", "Scan");
  std::string reboot = in.value("RebootOption", "RebootIfNeeded");
  if (!in.value("InstallOverrideList", "").empty() || !in.value("BaselineOverride", "").empty())
    return step_failed("InstallOverrideList and BaselineOverride URLs are not fetched by sshm; use "
                       "`sshm patch install --install-override NAME` or `--baseline FILE`, or a patch group");
  if (operation != "Scan" && operation != "Install") return step_failed("Operation must be Scan or Install");

  patch::PatchConfig config;
  try {
    config = default_patch_config();
  } catch (const InputError& e) {
    return step_failed("patch config: " + e.formatted());
  }
  patch::PatchRequest req;
  req.operation = operation == "Install" ? patch::Operation::install : patch::Operation::scan;
  req.reboot_option = reboot == "NoReboot" ? patch::RebootOption::no_reboot : patch::RebootOption::reboot_if_needed;
  req.run_as = ctx.run_as.empty() ? "root" : ctx.run_as;
  req.snapshot_id = in.value("SnapshotId", "");
  req.patch_group = patch::patch_group_of(ctx.tags);
  req.cancel = ctx.cancel;
  std::string group = req.patch_group;
  req.choose_baseline = [&config, group](const patch::HostScan& scan) { return config.baseline_for(group, scan.operating_system); };

  patch::HostPatchReport report = patch::run_patch_on_session(*ctx.session, *ctx.endpoint, req);
  if (ctx.store) patch::save_report(*ctx.store, report);
  std::string text;
  for (const auto& line : report.log) text += line + "\n";
  text += patch::summary_to_json(report.summary).dump(2) + "\n";
  capture.write(false, text);
  if (report.status != "Success") return step_failed(report.error.empty() ? "patch operation failed" : report.error);
  plugins::StepResult r;
  if (req.operation == patch::Operation::install && req.reboot_option == patch::RebootOption::reboot_if_needed &&
      report.summary.reboot_required) {
    r.status = "SuccessAndReboot";
    r.status_details = "RebootRequested";
    r.response_code = 194;
    r.flow = plugins::Flow::reboot;
    r.message = "patches need a reboot; run `sshm patch install --reboot-option RebootIfNeeded` to reboot and rescan";
  }
  return r;
}

// aws:softwareInventory (AWS-GatherSoftwareInventory): one gatherer run on the session, the
// snapshot stored as `sshm inventory collect` stores it, a summary on stdout.
plugins::StepResult run_software_inventory(plugins::HostContext& ctx, const documents::Step& step,
                                           plugins::OutputCapture& capture) {
  std::map<std::string, std::string> params;
  for (auto it = step.inputs.begin(); it != step.inputs.end(); ++it) {
    if (it.key() == "timeoutSeconds" || it.key() == "onFailure" || it.key() == "onSuccess" || it.key() == "finallyStep")
      continue;
    params[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  inventory::GatherOptions options;
  try {
    options = inventory::options_from_parameters(params);
  } catch (const InputError& e) {
    return step_failed(e.formatted());
  }
  options.instance_id = ctx.host;
  options.cancel = ctx.cancel;
  std::vector<std::string> warnings;
  std::string package_manager;
  auto items = inventory::gather(*ctx.session, options, &warnings, &package_manager);
  if (!items) {
    plugins::StepResult r = step_failed(fmt::format("{}: {}", ssh::to_string(items.error().kind), items.error().message));
    r.connection_lost = items.error().kind == ssh::FailureKind::dropped;
    return r;
  }
  if (ctx.store) inventory::store_snapshot(*ctx.store, ctx.host, package_manager, *items);
  std::string text;
  for (const auto& item : *items) text += fmt::format("{}: {} entries\n", item.type_name, item.content.size());
  capture.write(false, text);
  std::string warn;
  for (const auto& w : warnings) warn += w + "\n";
  if (!warn.empty()) capture.write(true, warn);
  return plugins::StepResult{};
}

} // namespace

void register_builtin_plugins() {
  static std::once_flag once;
  std::call_once(once, [] {
    plugins::register_plugin("sshm:runPatchBaseline", run_patch_baseline);
    plugins::register_plugin("aws:softwareInventory", run_software_inventory);
  });
}

} // namespace sshm::engine
