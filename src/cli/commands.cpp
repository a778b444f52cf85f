// sshm commands list | show ID | output ID HOST: the history of Run Command, as SSM's
// list-commands and get-command-invocation show it, with the full outputs kept locally.
#include "cli/common.hpp"
#include "cli/since.hpp"
#include "cli/run.hpp"
#include "cli/run_shard.hpp"
#include "sinks/spool.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"
#include "util/time.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct CommandsListOptions {
  std::string status;
  std::string document;
  std::string since;
  int limit = 50;
};

struct CommandsShowOptions {
  std::string id;
};

struct ResumeOptions {
  std::string id;
  ResumeDisplay display;
};

struct InvocationsOptions {
  std::string id;
  std::string host;
  bool details = false;
  int limit = 50;
};

struct GetInvocationOptions {
  std::string id;
  std::string host;
  std::string plugin_name;
};

struct CommandsOutputOptions {
  std::string id;
  std::string host;
  std::string step;
  bool stderr_stream = false;
};

// Values SSM's ListCommands accepts for its Status filter, and sshm's Interrupted.
const std::vector<std::string> k_status_filters = {
    "Pending",  "InProgress",       "Success",    "Cancelled",        "Failed",
    "TimedOut", "AccessDenied",     "DeliveryTimedOut", "ExecutionTimedOut", "Incomplete",
    "NoInstancesInTag", "LimitExceeded", "Cancelling", "Interrupted"};

// The status filter in SSM's spelling; an unknown one is an input error with a suggestion.
std::string checked_status(const std::string& status) {
  for (const std::string& s : k_status_filters)
    if (to_lower(s) == to_lower(status)) return s;
  throw InputError(fmt::format("unknown status '{}' (use one of: {})", status, join(k_status_filters, ", ")),
                   closest_match(status, k_status_filters));
}

} // namespace

std::string since_time(const std::string& since) {
  std::string s = trim(since);
  if (s.size() >= 2 && s.size() <= 10 && s.find_first_not_of("0123456789") == s.size() - 1) {
    long long n = std::stoll(s.substr(0, s.size() - 1));
    long long unit = 0;
    switch (s.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: break;
    }
    if (unit > 0) {
      long long seconds = n * unit;
      if (seconds > 100LL * 366 * 86400) return iso8601_ms(SystemTime{});  // older than anything recorded
      return iso8601_ms(SystemClock::instance().now() - std::chrono::seconds(seconds));
    }
  }
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
    throw InputError(fmt::format("--since '{}' is neither an age (30m, 24h, 7d, 2w) nor an ISO 8601 time", since));
  return iso8601_ms(parse_iso8601(s));
}

namespace {

std::string targets_text(const std::vector<std::string>& targets) {
  return targets.empty() ? "-" : join(targets, " AND ");
}

int run_commands_list(const GlobalOptions& g, const CommandsListOptions& o) {
  store::CommandFilter filter;
  if (!o.status.empty()) filter.status = checked_status(o.status);
  filter.document_name = o.document;
  if (!o.since.empty()) filter.since = since_time(o.since);
  filter.limit = o.limit;

  auto db = open_state_store(g);
  std::vector<store::CommandRecord> commands = db->list_commands(filter);
  if (structured_output(g)) {
    // The shape of `aws ssm list-commands`, so one jq script reads both.
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : commands) arr.push_back(store::command_to_json(c));
    print_list(g, "Commands", arr);
  } else if (commands.empty()) {
    SyncOut::instance().err("No commands match.\n");
  } else {
    TextTable table({"CommandId", "Document", "Status", "Requested", "Targets/Ok/Err"});
    for (const auto& c : commands) {
      auto counts = db->invocation_status_counts(c.command_id);
      int ok = counts.count("Success") ? counts.at("Success") : 0;
      table.add({c.command_id, c.document_name, c.status, c.requested_date_time,
                 fmt::format("{}/{}/{}", c.target_count, ok, c.error_count)});
    }
    SyncOut::instance().out(table.render());
  }
  return k_exit_ok;
}

int run_commands_show(const GlobalOptions& g, const CommandsShowOptions& o) {
  auto db = open_state_store(g);
  store::CommandRecord c = *db->get_command(o.id);
  std::vector<store::InvocationRecord> invocations = db->get_invocations(c.command_id);
  // Outputs a sink could not deliver yet (`sshm outputs flush` retries them).
  std::vector<sinks::PendingItem> pending = sinks::pending_for(db->state_dir(), c.command_id);
  if (structured_output(g)) {
    nlohmann::json j = store::command_report_json(c, invocations);
    nlohmann::json p = nlohmann::json::array();
    for (const auto& item : pending) p.push_back({{"Kind", item.kind}, {"Host", item.host}, {"Destination", item.destination}, {"Error", item.last_error}});
    j["PendingDeliveries"] = std::move(p);
    print_structured(g, j);
    return k_exit_ok;
  }
  std::string text;
  text += fmt::format("Command     {}\n", c.command_id);
  text += fmt::format("Document    {} ({})\n", terminal_safe(c.document_name, false), c.document_version);
  if (!c.comment.empty()) text += fmt::format("Comment     {}\n", terminal_safe(c.comment, false));
  text += fmt::format("Targets     {}\n", terminal_safe(targets_text(c.targets), false));
  text += fmt::format("Requested   {}\n", c.requested_date_time);
  if (!c.completed_date_time.empty()) text += fmt::format("Completed   {}\n", c.completed_date_time);
  text += fmt::format("Status      {} ({})\n", c.status, c.status_details);
  text += fmt::format("Counts      {} targets, {} completed, {} errors, {} delivery timed out\n", c.target_count,
                      c.completed_count, c.error_count, c.delivery_timed_out_count);
  text += fmt::format("Rate        max-concurrency {}, max-errors {}\n", c.max_concurrency, c.max_errors);
  if (!c.stop_reason.empty()) text += fmt::format("Stopped     {}\n", terminal_safe(c.stop_reason, false));
  if (!pending.empty())
    text += fmt::format("Pending     {} output deliveries wait in the spool (run `sshm outputs flush`)\n", pending.size());
  if (!invocations.empty()) {
    size_t width = 4;
    for (const auto& r : invocations) width = std::max(width, terminal_safe(r.instance_id, false).size());
    text += fmt::format("\n{:<{}}  {:<16}  {:>5}  {:<10}  {}\n", "HOST", width, "STATUS", "CODE", "ELAPSED", "DETAILS");
    for (const auto& r : invocations) {
      std::string details = r.status_details == r.status ? "" : r.status_details;
      if (!r.failure_message.empty()) details += (details.empty() ? "" : ": ") + r.failure_message;
      std::string elapsed = store::execution_elapsed_time(r.execution_start_date_time, r.execution_end_date_time);
      text += fmt::format("{:<{}}  {:<16}  {:>5}  {:<10}  {}\n", terminal_safe(r.instance_id, false), width, r.status,
                          r.response_code, elapsed.empty() ? "-" : to_lower(elapsed.substr(2)),
                          terminal_safe(details, false));
    }
  }
  // Host names, failure messages and comments come from outside: shown, never obeyed.
  SyncOut::instance().out(terminal_safe(text));
  return k_exit_ok;
}

// Where the full output of one step's stream is: the recorded path (relative ones are under
// the state dir), else SSM's layout under the store's outputs dir.
std::filesystem::path stream_path(const store::Store& db, const store::InvocationRecord& r,
                                  const store::PluginRecord& p, bool is_stderr) {
  const std::string& recorded = is_stderr ? p.stderr_path : p.stdout_path;
  if (!recorded.empty()) {
    std::filesystem::path path(recorded);
    return path.is_relative() ? db.state_dir() / path : path;
  }
  return store::output_path(db.outputs_dir(), r.command_id, r.instance_id, p.plugin, p.name, is_stderr);
}

bool has_output(const store::Store& db, const store::InvocationRecord& r, const store::PluginRecord& p,
                bool is_stderr) {
  if ((is_stderr ? p.stderr_bytes : p.stdout_bytes) > 0) return true;
  std::error_code ec;
  auto size = std::filesystem::file_size(stream_path(db, r, p, is_stderr), ec);
  return !ec && size > 0;
}

int run_commands_output(const GlobalOptions& g, const CommandsOutputOptions& o) {
  auto db = open_state_store(g);
  store::CommandRecord c = *db->get_command(o.id);
  std::vector<store::InvocationRecord> invocations = db->get_invocations(c.command_id);

  const store::InvocationRecord* inv = nullptr;
  std::vector<std::string> hosts;
  for (const auto& r : invocations) {
    hosts.push_back(r.instance_id);
    if (r.instance_id == o.host) inv = &r;
  }
  if (!inv)
    throw InputError(fmt::format("command {} did not target host '{}'", c.command_id, o.host),
                     closest_match(o.host, hosts));

  const store::PluginRecord* step = nullptr;
  if (!o.step.empty()) {
    std::vector<std::string> names;
    for (const auto& p : inv->plugins) {
      names.push_back(p.name);
      if (p.name == o.step || store::plugin_display_name(p) == o.step) {
        step = &p;
        break;
      }
    }
    if (!step)
      throw InputError(fmt::format("command {} has no step '{}' on {} (steps: {})", c.command_id, o.step, o.host,
                                   names.empty() ? "none" : join(names, ", ")),
                       closest_match(o.step, names));
  } else {
    for (const auto& p : inv->plugins)
      if (has_output(*db, *inv, p, o.stderr_stream)) {
        step = &p;
        break;
      }
    if (!step) return k_exit_ok;  // no step printed anything on this stream
  }

  std::filesystem::path path = stream_path(*db, *inv, *step, o.stderr_stream);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!has_output(*db, *inv, *step, o.stderr_stream)) return k_exit_ok;  // empty streams are not written
    throw RuntimeError(fmt::format("the full output of {} on {} is missing: {}", step->name, o.host, path.string()));
  }
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n > 0 && std::fwrite(buffer.data(), 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n))
      throw RuntimeError("cannot write to standard output");
  }
  std::fflush(stdout);
  return k_exit_ok;
}


// `aws ssm list-commands` -> `list-command-invocations`: one command's invocations, or those
// of the newest commands when no ID is given; CommandPlugins only with --details.
int run_commands_invocations(const GlobalOptions& g, const InvocationsOptions& o) {
  auto db = open_state_store(g);
  std::vector<store::CommandRecord> commands;
  if (!o.id.empty()) commands.push_back(*db->get_command(o.id));
  else commands = db->list_commands(store::CommandFilter{});
  nlohmann::json list = nlohmann::json::array();
  TextTable table({"CommandId", "Host", "Status", "Code", "Requested"});
  int left = o.limit > 0 ? o.limit : std::numeric_limits<int>::max();
  for (const auto& c : commands) {
    for (const auto& r : db->get_invocations(c.command_id)) {
      if (!o.host.empty() && r.instance_id != o.host) continue;
      if (left-- <= 0) break;
      list.push_back(store::command_invocation_json(r, c, o.details));
      table.add({c.command_id, r.instance_id, r.status, std::to_string(r.response_code), r.requested_date_time});
    }
    if (left <= 0) break;
  }
  if (structured_output(g)) print_list(g, "CommandInvocations", list);
  else if (list.empty()) SyncOut::instance().err("No invocations match.\n");
  else SyncOut::instance().out(table.render());
  return k_exit_ok;
}

std::string read_stream(const store::Store& db, const store::InvocationRecord& r, const store::PluginRecord& p,
                        bool is_stderr) {
  std::ifstream in(stream_path(db, r, p, is_stderr), std::ios::binary);
  std::string text;
  // GetCommandInvocation returns at most 24,000 characters: read no more than 4 bytes each.
  text.resize(is_stderr ? 8000 * 4 : 24000 * 4);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return text;
}

// `aws ssm get-command-invocation`: one host's result, flat. A document of several steps needs
// --plugin-name, as the API does.
int run_commands_get_invocation(const GlobalOptions& g, const GetInvocationOptions& o) {
  auto db = open_state_store(g);
  store::CommandRecord c = *db->get_command(o.id);
  std::vector<store::InvocationRecord> invocations = db->get_invocations(c.command_id);
  std::vector<std::string> hosts;
  const store::InvocationRecord* inv = nullptr;
  for (const auto& r : invocations) {
    hosts.push_back(r.instance_id);
    if (r.instance_id == o.host) inv = &r;
  }
  if (!inv)
    throw InputError(fmt::format("command {} did not target host '{}'", c.command_id, o.host), closest_match(o.host, hosts));
  const store::PluginRecord* plugin = nullptr;
  std::vector<std::string> names;
  for (const auto& p : inv->plugins) {
    names.push_back(store::plugin_display_name(p));
    if (!o.plugin_name.empty() && (p.name == o.plugin_name || store::plugin_display_name(p) == o.plugin_name)) plugin = &p;
  }
  if (!o.plugin_name.empty() && !plugin)
    throw InputError(fmt::format("command {} has no step '{}' on {} (steps: {})", c.command_id, o.plugin_name, o.host,
                                 names.empty() ? "none" : join(names, ", ")),
                     closest_match(o.plugin_name, names));
  if (o.plugin_name.empty() && inv->plugins.size() > 1)
    throw InputError(fmt::format("the document has {} steps: name one with --plugin-name ({})", names.size(),
                                 join(names, ", ")));
  nlohmann::json j = plugin ? store::get_command_invocation_json(*inv, c, plugin, read_stream(*db, *inv, *plugin, false),
                                                                 read_stream(*db, *inv, *plugin, true))
                            : store::get_command_invocation_json(*inv, c, nullptr, "", "");
  if (structured_output(g)) {
    print_structured(g, j);
    return k_exit_ok;
  }
  std::string text;
  for (const char* key : {"CommandId", "InstanceId", "DocumentName", "PluginName", "Status", "StatusDetails",
                          "ResponseCode", "ExecutionStartDateTime", "ExecutionEndDateTime", "ExecutionElapsedTime"})
    text += fmt::format("{:<23} {}\n", key, j[key].is_string() ? j[key].get<std::string>() : j[key].dump());
  text += "StandardOutputContent\n" + j["StandardOutputContent"].get<std::string>();
  if (!j["StandardErrorContent"].get<std::string>().empty())
    text += "\nStandardErrorContent\n" + j["StandardErrorContent"].get<std::string>();
  SyncOut::instance().out(terminal_safe(text) + (text.empty() || text.back() == '\n' ? "" : "\n"));
  return k_exit_ok;
}

} // namespace

void setup_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* commands = app.add_subcommand("commands", "History of Run Command: list, show, full output");
  commands->require_subcommand(1);

  auto list_opts = std::make_shared<CommandsListOptions>();
  auto* list = commands->add_subcommand("list", "Recorded commands, newest first (SSM list-commands)");
  list->add_option("--status", list_opts->status,
                   "Only this status: Success, Failed, Incomplete, Cancelled, TimedOut, DeliveryTimedOut, ...");
  list->add_option("--document", list_opts->document, "Only commands that ran this document");
  list->add_option("--since", list_opts->since, "Only commands requested since: ISO 8601 time or age (7d, 24h, 30m)");
  list->add_option("--limit", list_opts->limit, "At most N commands (0: all)")->check(CLI::NonNegativeNumber);
  list->callback([&global, &action, list_opts] {
    action = [&global, list_opts] { return run_commands_list(global, *list_opts); };
  });

  auto show_opts = std::make_shared<CommandsShowOptions>();
  auto* show = commands->add_subcommand("show", "One command with every invocation (same JSON as run -o json)");
  show->add_option("id", show_opts->id, "Command ID or a unique prefix of one")->required();
  show->callback([&global, &action, show_opts] {
    action = [&global, show_opts] { return run_commands_show(global, *show_opts); };
  });

  auto inv_opts = std::make_shared<InvocationsOptions>();
  auto* invocations = commands->add_subcommand(
      "invocations", "Invocations of one command, or of the newest commands (SSM list-command-invocations)");
  invocations->add_option("id", inv_opts->id, "Command ID or a unique prefix of one (default: the newest commands)");
  invocations->add_option("--host", inv_opts->host, "Only this host (InstanceId)");
  invocations->add_flag("--details", inv_opts->details, "Include CommandPlugins, as --details does for the AWS CLI");
  invocations->add_option("--limit", inv_opts->limit, "At most N invocations (0: all)")->check(CLI::NonNegativeNumber);
  invocations->callback([&global, &action, inv_opts] {
    action = [&global, inv_opts] { return run_commands_invocations(global, *inv_opts); };
  });

  auto get_opts = std::make_shared<GetInvocationOptions>();
  auto* get = commands->add_subcommand("get-invocation",
                                       "One host's result, flat, as SSM get-command-invocation gives it");
  get->add_option("id", get_opts->id, "Command ID or a unique prefix of one")->required();
  get->add_option("host", get_opts->host, "Host (InstanceId)")->required();
  get->add_option("--plugin-name", get_opts->plugin_name, "The step, when the document has several");
  get->callback([&global, &action, get_opts] {
    action = [&global, get_opts] { return run_commands_get_invocation(global, *get_opts); };
  });

  auto output_opts = std::make_shared<CommandsOutputOptions>();
  auto* output = commands->add_subcommand("output", "The full output of one host, byte for byte");
  output->add_option("id", output_opts->id, "Command ID or a unique prefix of one")->required();
  output->add_option("host", output_opts->host, "Host (InstanceId)")->required();
  output->add_option("--step", output_opts->step, "Step name (default: the first step with output)");
  output->add_flag("--stderr", output_opts->stderr_stream, "Standard error instead of standard output");
  output->callback([&global, &action, output_opts] {
    action = [&global, output_opts] { return run_commands_output(global, *output_opts); };
  });

  add_commands_import(commands, global, action);

  auto resume_opts = std::make_shared<ResumeOptions>();
  auto* resume = commands->add_subcommand(
      "resume", "Continue an interrupted command (kill -9, reboot, Ctrl-C twice): hosts never started run; "
                "hosts in flight are reported, never re-run; the same record is updated");
  resume->add_option("id", resume_opts->id, "Command ID or a unique prefix of one")->required();
  resume->add_flag("--gather", resume_opts->display.gather, "Print each distinct output once with its hosts");
  resume->add_flag("--raw", resume_opts->display.raw, "Print the hosts' output bytes as they came");
  resume->add_option("--output-dir", resume_opts->display.output_dir,
                     "Also write full outputs here, in SSM's S3 key layout");
  resume->add_option("--parameters-file", resume_opts->display.parameters_file,
                     "Values of secret parameters (never recorded): JSON or YAML map, - reads stdin");
  resume->callback([&global, &action, resume_opts] {
    action = [&global, resume_opts] {
      open_state_store(global);  // an interrupted command is marked before it is resumed
      return resume_command(global, resume_opts->id, resume_opts->display);
    };
  });
}

} // namespace sshm::cli
