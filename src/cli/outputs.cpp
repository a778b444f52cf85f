// `sshm outputs flush|list`: deliver what earlier runs could not upload, and show what waits.
#include "cli/common.hpp"
#include "cli/sink_options.hpp"
#include "sinks/spool.hpp"

#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct OutputsOptions {
  aws::AwsOptions aws;
  std::string command_id;
};

nlohmann::json item_json(const sinks::PendingItem& item) {
  nlohmann::json j = {{"Kind", item.kind},   {"CommandId", item.command_id}, {"InstanceId", item.host},
                      {"Destination", item.destination}, {"Bytes", item.bytes}, {"Attempts", item.attempts}};
  if (!item.last_error.empty()) j["LastError"] = item.last_error;
  return j;
}

std::string item_line(const char* state, const sinks::PendingItem& item) {
  std::string line = fmt::format("{:<9} {}", state, item.destination);
  if (!item.host.empty()) line += fmt::format("  ({} {})", item.command_id, item.host);
  else line += fmt::format("  ({})", item.command_id);
  if (std::string(state) != "delivered" && !item.last_error.empty()) line += ": " + item.last_error;
  return line + "\n";
}

int run_flush(const GlobalOptions& global, const OutputsOptions& options) {
  sinks::FlushReport report = sinks::flush_spool(state_dir(global), options.aws);
  auto& out = SyncOut::instance();
  if (structured_output(global)) {
    nlohmann::json j = {{"Delivered", nlohmann::json::array()}, {"Pending", nlohmann::json::array()}};
    for (const auto& i : report.delivered) j["Delivered"].push_back(item_json(i));
    for (const auto& i : report.pending) j["Pending"].push_back(item_json(i));
    print_structured(global, j);
  } else {
    for (const auto& i : report.delivered) out.out(item_line("delivered", i));
    for (const auto& i : report.pending) out.out(item_line("pending", i));
    out.out(fmt::format("{} delivered, {} still pending\n", report.delivered.size(), report.pending.size()));
  }
  return report.pending.empty() ? k_exit_ok : k_exit_failed;
}

int run_list(const GlobalOptions& global, const OutputsOptions& options) {
  std::vector<sinks::PendingItem> items = options.command_id.empty()
                                              ? sinks::Spool(state_dir(global)).list()
                                              : sinks::pending_for(state_dir(global), options.command_id);
  auto& out = SyncOut::instance();
  if (structured_output(global)) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& i : items) j.push_back(item_json(i));
    print_list(global, "Pending", j);
  } else {
    for (const auto& i : items) out.out(item_line("pending", i));
    out.out(fmt::format("{} pending\n", items.size()));
  }
  return k_exit_ok;
}

} // namespace

void setup_outputs(CLI::App& app, GlobalOptions& global, Action& action) {
  auto options = std::make_shared<OutputsOptions>();
  CLI::App* outputs = app.add_subcommand("outputs", "Results that could not be delivered to S3, CloudWatch or a hook");
  outputs->require_subcommand(1);

  CLI::App* flush = outputs->add_subcommand(
      "flush", "Retry every spooled upload and notification; exit 0 when all were delivered, 1 otherwise");
  add_aws_options(flush, options->aws);
  flush->callback([&global, &action, options] { action = [&global, options] { return run_flush(global, *options); }; });

  CLI::App* list = outputs->add_subcommand("list", "Show what waits in the spool");
  list->add_option("--command-id", options->command_id, "Only this command's items");
  list->callback([&global, &action, options] { action = [&global, options] { return run_list(global, *options); }; });
}

} // namespace sshm::cli
