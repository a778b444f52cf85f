// sshm run DOC / sshm exec 'cmd': send a command document to the fleet (SSM send-command),
// wait, stream, summarise, record.
#include "cli/run.hpp"

#include "cli/common.hpp"
#include "cli/run_output.hpp"
#include "cli/run_shard.hpp"
#include "cli/sink_options.hpp"
#include "sinks/sinks.hpp"
#include "sinks/layout.hpp"
#include "sinks/spool.hpp"
#include "documents/document.hpp"
#include "documents/plugins.hpp"
#include "documents/secrets.hpp"
#include "cli/signals.hpp"
#include "engine/rate.hpp"
#include "engine/recovery.hpp"
#include "engine/run.hpp"
#include "params/crypto.hpp"
#include "params/aws_backend.hpp"
#include "params/resolver.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/safe_path.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <pthread.h>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace sshm::cli {

namespace {

// What sshm records and shows in place of a secret parameter's value.
constexpr const char* k_masked = "****";

struct RunOptions {
  std::string document;
  std::vector<std::string> parameters;
  std::string parameters_file;
  TargetOptions targets;
  std::string max_concurrency = "50";
  std::string max_errors = "0";
  int timeout = 0;
  int execution_timeout = 0;
  std::string comment;
  std::string output_dir;
  std::string run_as;
  bool gather = false;
  bool raw = false;
  ShardOptions shard;  // --shard, --shard-from-env, --command-id, --global-errors
  sinks::SinkOptions sinks;
  // exec only
  std::string command;
  std::string script;
  std::string working_directory;
  // safety of a run
  bool no_ramp = false;
  bool dry_run = false;
  bool preflight = false;
  std::vector<std::string> caps;  // --max-concurrency-per TAG=N
  // set by front-ends (run_front_end), never by flags
  nlohmann::json plugin_settings = nlohmann::json::object();
  ObserverFactory make_observer;
  std::function<void(const std::string&)> on_command_id;
  std::chrono::seconds deadline{0};
  const std::atomic<bool>* cancel = nullptr;  // the caller's, with no signal handler of ours
};


int exit_status(const engine::RunResult& r) {
  if (r.dispatch.cancelled || r.command.status == "Cancelled") return k_exit_interrupted;
  if (r.dispatch.stopped_by_threshold) return k_exit_threshold;
  bool all_ok = true, none_reached = true;
  for (const auto& inv : r.invocations) {
    if (inv.status != "Success") all_ok = false;
    if (inv.status != "Undeliverable" && inv.status != "DeliveryTimedOut") none_reached = false;
  }
  for (const auto& s : r.sink_reports)
    if (s.failed) all_ok = false;
  if (all_ok) return k_exit_ok;
  if (none_reached) return k_exit_unreachable;
  return k_exit_failed;
}

// Copies the full outputs into --output-dir in SSM's layout.
void copy_outputs(const std::filesystem::path& from_root, const std::string& to_root,
                  const std::vector<store::InvocationRecord>& invs) {
  namespace fs = std::filesystem;
  for (const auto& inv : invs) {
    for (const auto& p : inv.plugins) {
      for (const std::string& file : {p.stdout_path, p.stderr_path}) {
        if (file.empty()) continue;
        fs::path rel = fs::path(file).lexically_relative(from_root);
        fs::path dest = fs::path(to_root) / rel;
        // Outputs stay under --output-dir and readable only by their owner.
        if (!is_within(to_root, dest)) throw RuntimeError(fmt::format("refusing to write {}: outside {}", dest.string(), to_root));
        std::error_code ec;
        create_private_dirs(dest.parent_path(), ec);
        if (!ec) fs::copy_file(file, dest, fs::copy_options::overwrite_existing, ec);
        if (!ec) fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write, ec);
        if (ec) throw RuntimeError(fmt::format("cannot write {}: {}", dest.string(), ec.message()));
      }
    }
  }
}

// Tries what the spool holds from earlier runs; says what was delivered and what waits.
void retry_spooled_outputs(const sinks::SinkOptions& options, bool quiet) {
  if (sinks::Spool(options.state_dir).list().empty()) return;
  sinks::FlushReport report = sinks::flush_spool(options.state_dir, options.aws);
  if (quiet) return;
  if (!report.delivered.empty())
    SyncOut::instance().err(fmt::format("sshm: delivered {} spooled output(s) from earlier runs\n", report.delivered.size()));
  if (!report.pending.empty())
    SyncOut::instance().err(fmt::format("sshm: {} spooled output(s) still pending; see `sshm outputs list`\n",
                                        report.pending.size()));
}

// --max-concurrency-per TAG=N (repeatable).
std::vector<engine::TagCap> parse_caps(const std::vector<std::string>& specs) {
  std::vector<engine::TagCap> caps;
  for (const std::string& spec : specs) {
    auto eq = spec.rfind('=');
    std::string tag = eq == std::string::npos ? "" : trim(spec.substr(0, eq));
    std::string n = eq == std::string::npos ? "" : trim(spec.substr(eq + 1));
    if (tag.empty() || n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(n) < 1)
      throw InputError(fmt::format("--max-concurrency-per '{}' must be TAG=N with N >= 1, e.g. Rack=2", spec));
    caps.push_back({tag, std::stoi(n)});
  }
  return caps;
}

// `v` with every scalar in it replaced by "****"; a list keeps its length.
nlohmann::json masked(const nlohmann::json& v) {
  if (v.is_array() || v.is_object()) {
    nlohmann::json out = v;
    for (auto it = out.begin(); it != out.end(); ++it) *it = masked(*it);
    return out;
  }
  return v.is_null() ? v : nlohmann::json(k_masked);
}

// `values` with the value of every secret-looking parameter masked.
documents::ParameterValues masked_values(const documents::ParameterValues& values) {
  documents::ParameterValues out;
  for (const auto& [name, v] : values) out[name] = documents::looks_secret(name) ? masked(v) : v;
  return out;
}

// SSM's recorded parameters (name -> list of strings) with secret-looking ones masked.
nlohmann::json masked_record(const nlohmann::json& parameters) {
  nlohmann::json out = parameters;
  for (auto it = out.begin(); it != out.end(); ++it)
    if (documents::looks_secret(it.key())) *it = masked(*it);
  return out;
}

// Whether a recorded value was masked: any of its strings is "****".
bool was_masked(const nlohmann::json& v) {
  if (v.is_array() || v.is_object()) {
    for (const auto& x : v)
      if (was_masked(x)) return true;
    return false;
  }
  return v.is_string() && v.get<std::string>() == k_masked;
}

// Every platform's document resolved for `req`: {{ssm:}} and {{ssm-secure:}} from the
// Parameter Store the global options choose (the local one under the state dir, opened on
// first use, or AWS's with `aws`'s region, endpoint and credentials) at send time, as SSM
// resolves them before a command reaches any instance; a missing parameter stops the run
// (exit 2). Resolving {{ssm-secure:}} in every field is sshm's extension (SSM honours it
// only in aws:downloadContent's credentials): the values reach the hosts only inside the steps.
void resolve_documents(const GlobalOptions& g, const aws::AwsOptions& aws, const documents::Document& doc,
                       const documents::ParameterValues& values, const std::set<std::string>& platforms,
                       engine::RunRequest& req) {
  documents::SsmResolver ssm;
  params::SecureLookup secure;
  if (g.params_backend == "aws") {
    std::shared_ptr<params::Backend> backend = params::open_aws(aws);
    ssm = params::make_ssm_resolver(backend);
    secure = params::make_secure_resolver(backend);
  } else {
    const std::filesystem::path db = state_dir(g) / "params.db";
    ssm = params::make_local_ssm_resolver(db, params::default_key_file());
    secure = params::make_local_secure_resolver(db, params::default_key_file());
  }
  auto lookup = [&](const std::string& name, bool) -> std::optional<nlohmann::json> {
    std::string value = secure(name);
    req.secrets.push_back({value, "{{ssm-secure:" + name + "}}"});
    return value;
  };
  req.documents.clear();
  req.secrets.clear();
  for (const auto& p : platforms) {
    documents::ResolvedDocument resolved = documents::resolve(doc, values, p, ssm);
    for (auto& step : resolved.steps) step.inputs = documents::resolve_secure_references(step.inputs, lookup);
    req.documents[p] = std::move(resolved);
  }
}

// `node` with every resolved secure value shown as the reference it came from.
nlohmann::json unresolve_secrets(const nlohmann::json& node, const std::vector<engine::RunRequest::Secret>& secrets) {
  if (node.is_string()) {
    std::string text = node.get<std::string>();
    for (const auto& s : secrets) {
      if (s.value.empty()) continue;
      for (size_t at = text.find(s.value); at != std::string::npos; at = text.find(s.value, at + s.reference.size()))
        text.replace(at, s.value.size(), s.reference);
    }
    return text;
  }
  if (!node.is_array() && !node.is_object()) return node;
  nlohmann::json out = node;
  for (auto it = out.begin(); it != out.end(); ++it) *it = unresolve_secrets(*it, secrets);
  return out;
}

// The steps as --dry-run shows them: interpolated with the secret parameters masked, so
// a secret never shows whatever text surrounds it. Where a masked value fails the
// document's checks (an allowedPattern), the inputs of every step are hidden instead.
nlohmann::json dry_run_steps(const engine::RunRequest& req, const documents::Document& doc,
                             const documents::ParameterValues& values) {
  documents::ParameterValues shown = masked_values(values);
  bool any_secret = false;
  for (const auto& [name, v] : values) any_secret = any_secret || documents::looks_secret(name);
  nlohmann::json platforms = nlohmann::json::object();
  for (const auto& [platform, resolved] : req.documents) {
    std::vector<documents::Step> steps = resolved.steps;
    bool hidden = false;
    if (any_secret) {
      try {
        steps = documents::resolve(doc, shown, platform).steps;
      } catch (const InputError&) {
        hidden = true;
      }
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& step : steps) {
      nlohmann::json st = {{"Name", step.name}, {"Action", step.action},
                           {"Inputs", hidden ? nlohmann::json::object({{"hidden", "uses a secret parameter"}})
                                             : unresolve_secrets(step.inputs, req.secrets)},
                           {"TimeoutSeconds", step.timeout_seconds}};
      if (!step.skip_reason.empty()) st["Skipped"] = step.skip_reason;
      if (!step.failure_reason.empty()) st["FailsWith"] = step.failure_reason;
      out.push_back(std::move(st));
    }
    platforms[platform] = std::move(out);
  }
  return platforms;
}

// The steps a real run would skip as unsupported or fail without running, one warning line
// each (with their platform), so a dry run of a document sshm cannot fully run says so.
std::vector<std::string> dry_run_warnings(const engine::RunRequest& req) {
  std::vector<std::string> out;
  for (const auto& [platform, resolved] : req.documents) {
    for (const auto& step : resolved.steps) {
      std::string why = !step.failure_reason.empty() ? "would fail: " + step.failure_reason
                        : step.skip_reason.find("unsupported plugin") != std::string::npos
                            ? "would be skipped: " + step.skip_reason
                        : documents::plugin_support(step.action) == documents::PluginSupport::agent_only && step.skip_reason.empty()
                            ? "would fail: " + documents::agent_only_message(step.action, step.name)
                            : "";
      if (!why.empty())
        out.push_back(fmt::format("sshm: warning: {} step {} ({}) {}\n", platform, terminal_safe(step.name),
                                  terminal_safe(step.action), terminal_safe(why)));
    }
  }
  return out;
}

// --dry-run: what the run would do, in host counts; connects to nothing, records nothing.
int print_dry_run(const GlobalOptions& g, const engine::RunRequest& req, const documents::Document& doc,
                  const documents::ParameterValues& values) {
  engine::PlannedRun planned = engine::plan_run(req, {});
  std::vector<std::string> lines = engine::describe_plan(req.command, req.targets.size(), planned.plan);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, v] : masked_values(values)) params[name] = v;
  nlohmann::json platforms = dry_run_steps(req, doc, values);
  for (const auto& warning : dry_run_warnings(req)) SyncOut::instance().err(warning);
  std::vector<std::string> names;
  for (const auto& t : req.targets) names.push_back(t.name);

  if (structured_output(g)) {
    const auto& plan = planned.plan;
    nlohmann::json caps = nlohmann::json::array();
    for (const auto& cap : plan.caps) {
      nlohmann::json groups = nlohmann::json::object();
      size_t uncapped = 0;
      for (int gid : cap.group_of) {
        if (gid < 0) ++uncapped;
        else groups[cap.group_names[static_cast<size_t>(gid)]] = groups.value(cap.group_names[static_cast<size_t>(gid)], 0) + 1;
      }
      caps.push_back({{"Tag", cap.tag}, {"Limit", cap.limit}, {"Groups", groups}, {"Uncapped", uncapped}});
    }
    nlohmann::json j = {{"DryRun", true},
                        {"DocumentName", doc.name},
                        {"Targets", names},
                        {"TargetCount", names.size()},
                        {"MaxConcurrency", req.command.max_concurrency},
                        {"Concurrency", plan.concurrency},
                        {"Ramp", engine::ramp_waves(plan.concurrency, plan.targets, plan.ramp)},
                        {"MaxErrors", req.command.max_errors},
                        {"ErrorThreshold", plan.error_threshold},
                        {"StopsAtError", plan.error_threshold + 1},
                        {"ConcurrencyCaps", caps},
                        {"Parameters", params},
                        {"Steps", platforms},
                        {"Plan", lines}};
    print_structured(g, j);
    return k_exit_ok;
  }
  std::string out = "sshm: dry run: nothing is connected, nothing is recorded\n";
  out += fmt::format("document: {}{}\n", doc.name, doc.path.empty() ? "" : fmt::format(" ({})", doc.path));
  out += fmt::format("targets ({}): {}\n", names.size(), join(names, ", "));
  for (const auto& l : lines) out += l + "\n";
  if (!params.empty()) {
    out += "parameters:\n";
    for (const auto& [name, v] : params.items())
      out += fmt::format("  {} = {}\n", name, v.is_string() ? v.get<std::string>() : v.dump());
  }
  for (const auto& [platform, steps] : platforms.items()) {
    out += fmt::format("steps ({}):\n", platform);
    int k = 0;
    for (const auto& st : steps) {
      out += fmt::format("  {}. {} ({}), timeout {} s{}\n", ++k, st["Name"].get<std::string>(), st["Action"].get<std::string>(),
                         st["TimeoutSeconds"].get<int>(),
                         st.contains("Skipped")     ? " - skipped: " + st["Skipped"].get<std::string>()
                         : st.contains("FailsWith") ? " - fails: " + st["FailsWith"].get<std::string>()
                                                    : "");
      for (const auto& [key, v] : st["Inputs"].items())
        out += fmt::format("     {}: {}\n", key, v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  SyncOut::instance().out(out);
  return k_exit_ok;
}

// The inventory file `load_inventory` reads, as an absolute path ("" for none).
std::string inventory_path(const GlobalOptions& g) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!g.inventory.empty()) return fs::absolute(g.inventory, ec).string();
  for (const std::string& candidate : {std::string("inventory.yaml"), xdg_dir("XDG_CONFIG_HOME", ".config") + "/sshm/inventory.yaml"})
    if (fs::exists(candidate)) return fs::absolute(candidate, ec).string();
  return "";
}

// Everything `commands resume` needs to run the rest of a command as it was asked for.
nlohmann::json run_spec(const GlobalOptions& g, const RunOptions& o, const documents::Document& doc,
                        const documents::ParameterValues& values, const sinks::SinkOptions& so) {
  // Secrets are masked here too: a resume asks for them again.
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : masked_values(values)) params[k] = v;
  std::error_code ec;
  return {{"document",
           {{"name", doc.name},
            {"path", doc.path.empty() ? "" : std::filesystem::absolute(doc.path, ec).string()},
            {"source", doc.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(doc.source_text)}}},
          {"parameters", params},
          {"inventory", inventory_path(g)},
          {"ssh_config", g.ssh_config},
          {"host_key_policy", g.host_key_policy},
          {"connect_timeout", g.connect_timeout},
          {"params_backend", g.params_backend},
          {"run_as", o.run_as},
          {"timeout", o.timeout},
          {"execution_timeout", o.execution_timeout},
          {"ramp", !o.no_ramp},
          {"caps", o.caps},
          {"plugin_settings", o.plugin_settings},
          {"sinks",
           {{"s3_bucket", so.s3_bucket},
            {"s3_prefix", so.s3_prefix},
            {"cloudwatch", so.cloudwatch},
            {"log_group", so.log_group},
            {"notify", so.notify},
            {"notify_events", so.notify_events},
            {"notify_type", so.notify_type},
            {"profile", so.aws.profile},
            {"region", so.aws.region},
            {"endpoint_url", so.aws.endpoint_url}}}};
}

// Sets the run's `cancel` when it has gone on for `limit` (an association's Duration) or
// when the caller's own flag becomes true (a maintenance window cancelling its task; polled
// every 200 ms). Does nothing when given neither.
class CancelWatch {
public:
  CancelWatch(std::atomic<bool>& cancel, std::chrono::seconds limit, const std::atomic<bool>* external) {
    if (limit.count() <= 0 && !external) return;
    m_thread = std::thread([this, &cancel, limit, external] { watch(cancel, limit, external); });
  }
  ~CancelWatch() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_done = true;
    }
    m_done_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
  }
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

private:
  void watch(std::atomic<bool>& cancel, std::chrono::seconds limit, const std::atomic<bool>* external) {
    using clock = std::chrono::steady_clock;
    const clock::time_point start = clock::now();
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_done) {
      if (external && external->load()) break;
      clock::duration left = limit.count() > 0 ? limit - (clock::now() - start) : clock::duration::max();
      if (left <= clock::duration::zero()) break;
      if (external) left = std::min<clock::duration>(left, std::chrono::milliseconds(200));
      m_done_cv.wait_for(lock, left);
    }
    if (!m_done) cancel = true;
  }
  std::mutex m_mutex;
  std::condition_variable m_done_cv;
  bool m_done = false;
  std::thread m_thread;
};

// The part of a run shared by `run`, `exec` and `commands resume`: sinks, signals, the
// dispatch, outputs, the exit status.
int execute(const GlobalOptions& g, engine::RunRequest req, const sinks::SinkOptions& sink_options, RunDisplay display,
            const std::string& output_dir, const ssh::SshConfig& ssh_config, store::Store& store, size_t to_run,
            const ObserverFactory& make_observer = {}, std::chrono::seconds deadline = std::chrono::seconds(0),
            const std::atomic<bool>* external_cancel = nullptr, ShardRun* shard = nullptr) {
  // A resumed front-end run (`sshm patch install`) runs with the plugin settings it was recorded with.
  if (req.resume)
    if (auto saved = store.find_run_spec(req.command.command_id))
      req.plugin_settings = saved->spec.value("plugin_settings", nlohmann::json::object());
  auto transport = make_transport(g, ssh_config);
  // Results an earlier run could not deliver go first, so nothing waits forever.
  retry_spooled_outputs(sink_options, g.verbosity < 0);
  std::vector<std::unique_ptr<sinks::Sink>> sinks = sinks::make_sinks(sink_options);

  std::atomic<bool> cancel{false};
  // A caller with its own cancel flag owns Ctrl-C too: its runs go on side by side.
  std::optional<SignalGuard> guard;
  if (!external_cancel) guard.emplace(cancel);
  CancelWatch watch(cancel, deadline, external_cancel);
  std::unique_ptr<CliRunObserver> observer =
      make_observer ? make_observer(to_run) : make_run_observer(g, display, to_run);
  // A shard writes each host's start and result to its S3 record as well.
  if (shard && shard->publisher) observer = shard_observer(std::move(observer), *shard->publisher);
  const store::CommandRecord cmd = req.command;
  if (guard) guard->on_second([&store, cmd] {
    // Best effort: the command row says it was interrupted. Hosts not started stay Pending
    // and those in flight InProgress, so `commands resume` can continue it.
    store::CommandRecord c = cmd;
    c.status = "Cancelled";
    c.status_details = "Cancelled";
    c.stop_reason = "interrupted twice: exited at once (sshm commands resume " + c.command_id + " continues it)";
    try {
      store.save_command(c);
    } catch (...) {
    }
  });

  engine::RunResult result = engine::run_command(std::move(req), *transport, store, sinks, *observer, cancel);
  if (shard) end_shard(*shard, result, store, g.verbosity < 0);
  if (!output_dir.empty()) copy_outputs(store.outputs_dir(), output_dir, result.invocations);
  observer->finish(result);
  return observer->exit_code(result).value_or(exit_status(result));
}

// The selected hosts as the engine dials them; --run-as over each host's own run_as.
std::vector<engine::Target> targets_for(const std::vector<const fleet::Host*>& hosts,
                                        const std::vector<ssh::Endpoint>& endpoints, const std::string& run_as) {
  std::vector<engine::Target> out;
  for (size_t i = 0; i < hosts.size(); ++i) {
    engine::Target t;
    t.name = hosts[i]->name;
    t.endpoint = endpoints[i];
    t.run_as = !run_as.empty() ? run_as : hosts[i]->connection.run_as.value_or("");
    t.platform = hosts[i]->platform;
    t.tags = hosts[i]->tags;
    t.vars = hosts[i]->vars;
    out.push_back(std::move(t));
  }
  return out;
}

// --preflight: false (and why, on stderr) when any host key is unknown or changed.
bool host_keys_pass(const GlobalOptions& g, const std::vector<const fleet::Host*>& hosts,
                    const std::vector<ssh::Endpoint>& endpoints, const ssh::SshConfig& ssh_config) {
  KeyPreflight report = check_host_keys(hosts, endpoints, ssh_config, g);
  if (report.blocking > 0) {
    SyncOut::instance().err(key_preflight_text(report) +
                            fmt::format("sshm: --preflight: {} host key(s) unknown or changed; nothing was run\n",
                                        report.blocking));
    return false;
  }
  if (g.verbosity >= 0)
    SyncOut::instance().err(fmt::format("sshm: --preflight: host keys of {} hosts: {} known, {} unknown, {} unreachable\n",
                                        hosts.size(), report.known, report.unknown, report.unreachable));
  return true;
}

int run_document_on_fleet(const GlobalOptions& g, const RunOptions& o, const documents::Document& doc,
                          const documents::ParameterValues& values) {
  // Validate everything before touching the network: rate controls, targets, parameters.
  engine::validate_max_concurrency(o.max_concurrency);
  engine::validate_max_errors(o.max_errors);
  if (o.timeout != 0 && (o.timeout < 1 || o.timeout > 2592000))
    throw InputError(fmt::format("--timeout {} must be between 1 and 2592000 seconds", o.timeout));
  if (o.execution_timeout != 0 && (o.execution_timeout < 5 || o.execution_timeout > 172800))
    throw InputError(fmt::format("--execution-timeout {} must be between 5 and 172800 seconds", o.execution_timeout));
  std::vector<engine::TagCap> caps = parse_caps(o.caps);

  sinks::SinkOptions sink_options = o.sinks;
  sink_options.state_dir = state_dir(g);
  sinks::validate(sink_options);

  auto inv = load_inventory(g);
  std::optional<shard::ShardSpec> part = shard_spec(o.shard);
  auto selected = select(g, inv, o.targets);
  auto hosts = hosts_of_shard(selected, part);

  engine::RunRequest req;
  std::set<std::string> platforms;
  for (const auto* h : hosts) platforms.insert(h->platform);
  resolve_documents(g, sink_options.aws, doc, values, platforms, req);
  req.aws = sink_options.aws;

  auto ssh_config = load_ssh_config(g);
  auto endpoints = endpoints_for(hosts, ssh_config, resolve_options(g));
  req.targets = targets_for(hosts, endpoints, o.run_as);
  req.plugin_settings = o.plugin_settings;

  store::CommandRecord& cmd = req.command;
  cmd.command_id = o.shard.command_id.empty() ? new_uuid() : shard::validate_command_id(o.shard.command_id);
  cmd.document_name = doc.name;
  cmd.comment = o.comment;
  // The record never holds a secret: the resolved steps above carry the real values.
  cmd.parameters = masked_record(req.documents.begin()->second.parameters);
  cmd.targets = o.targets.targets;
  cmd.max_concurrency = o.max_concurrency;
  cmd.max_errors = o.max_errors;
  cmd.timeout_seconds = o.timeout != 0 ? o.timeout : 3600;  // SendCommand's default TimeoutSeconds
  req.execution_timeout = o.execution_timeout;
  req.delivery_timeout = o.timeout;
  req.ramp = !o.no_ramp;
  req.caps = caps;
  if (const char* r = std::getenv("AWS_REGION"); r && *r) req.region = r;

  cmd.output_s3_bucket_name = sink_options.s3_bucket;
  cmd.output_s3_key_prefix = sink_options.s3_prefix;
  if (sink_options.cloudwatch) cmd.cloudwatch_log_group = sink_options.log_group.empty()
                                                            ? sinks::default_log_group(doc.name)
                                                            : sink_options.log_group;

  // --dry-run stops here: the plan in host counts, and nothing connected or recorded.
  if (o.dry_run) return print_dry_run(g, req, doc, values);

  // --preflight: every host key checked before anything runs; one answer for all.
  if (o.preflight && !host_keys_pass(g, hosts, endpoints, ssh_config)) return k_exit_usage;

  prepare_key_passphrase(endpoints);
  if (o.on_command_id) o.on_command_id(cmd.command_id);
  auto store = open_state_store(g);
  nlohmann::json spec = run_spec(g, o, doc, values, sink_options);
  // One command over several controllers: its share of the errors, a resume of what ran.
  ShardRun sharded = begin_shard(o.shard, part, selected.size(), doc, sink_options, req, *store, spec);
  store->save_run_spec(cmd.command_id, {spec, engine::owner_of_this_process()});
  return execute(g, std::move(req), sink_options, {o.gather, o.raw}, o.output_dir, ssh_config, *store, hosts.size(),
                 o.make_observer, o.deadline, o.cancel, &sharded);
}

int run_run(const GlobalOptions& g, const RunOptions& o) {
  auto doc = documents::load(o.document);
  auto values = documents::parse_cli_parameters(doc, o.parameters, o.parameters_file);
  return run_document_on_fleet(g, o, doc, values);
}

int run_exec(const GlobalOptions& g, const RunOptions& o) {
  std::string commands = o.command;
  if (!o.script.empty()) {
    if (!commands.empty()) throw InputError("give either a command or --script, not both");
    if (o.script == "-") {
      if (std::find(o.targets.targets.begin(), o.targets.targets.end(), "-") != o.targets.targets.end())
        throw InputError("--script - and -t - both want stdin; give one of them as a file");
      commands = read_all(std::cin);
    } else {
      std::ifstream in(o.script);
      if (!in) throw InputError(fmt::format("cannot read script file '{}'", o.script));
      commands = read_all(in);
    }
  }
  if (trim(commands).empty()) throw InputError("nothing to run: give a command, e.g. sshm exec 'uptime' -t all");
  auto doc = documents::load("AWS-RunShellScript");
  documents::ParameterValues values;
  values["commands"] = nlohmann::json::array({commands});
  if (!o.working_directory.empty()) values["workingDirectory"] = o.working_directory;
  if (o.execution_timeout > 0) values["executionTimeout"] = std::to_string(o.execution_timeout);
  return run_document_on_fleet(g, o, doc, values);
}

} // namespace

int run_front_end(const GlobalOptions& g, const FrontEndRun& run) {
  RunOptions o;
  o.document = run.document;
  o.targets = run.targets;
  o.max_concurrency = run.max_concurrency;
  o.max_errors = run.max_errors;
  o.no_ramp = !run.ramp;
  o.plugin_settings = run.plugin_settings;
  o.make_observer = run.make_observer;
  o.sinks = run.sinks;
  o.comment = run.comment;
  o.on_command_id = run.on_command_id;
  o.deadline = run.deadline;
  o.timeout = run.timeout;
  o.cancel = run.cancel;
  return run_document_on_fleet(g, o, run.loaded ? *run.loaded : documents::load(run.document), run.values);
}

namespace {

void add_run_options(CLI::App* cmd, RunOptions& o) {
  add_target_options(cmd, o.targets);
  cmd->add_option("--max-concurrency", o.max_concurrency, "Hosts at once: N or P% of the targets (default 50)");
  cmd->add_option("--max-errors", o.max_errors, "Stop dispatching after more than N (or P%) errors (default 0)");
  cmd->add_option("--timeout", o.timeout, "Delivery timeout in seconds: connect and auth");
  cmd->add_option("--execution-timeout", o.execution_timeout, "Seconds each step may run (overrides the document)");
  cmd->add_option("--comment", o.comment, "Free text recorded with the command (max 100 chars)")
      ->check(CLI::Validator([](std::string& s) { return s.size() > 100 ? std::string("at most 100 characters") : std::string(); },
                             "TEXT"));
  cmd->add_option("--output-dir", o.output_dir, "Also write full outputs here, in SSM's S3 key layout");
  cmd->add_option("--run-as", o.run_as, "Run as this user on the hosts (sudo -n -u USER)");
  cmd->add_flag("--gather", o.gather, "Print each distinct output once with its hosts (like dshbak -c)");
  cmd->add_flag("--raw", o.raw,
                "Print the hosts' output bytes as they came (default: control characters shown as \\xNN)");
  cmd->add_option("--shard", o.shard.shard, "Run only shard I of N (1-based) of the selected hosts, by a hash of the name");
  cmd->add_flag("--shard-from-env", o.shard.from_env,
                "Shard JOB_COMPLETION_INDEX+1 of SSHM_SHARDS (a Kubernetes Indexed Job); needs --command-id");
  cmd->add_option("--command-id", o.shard.command_id,
                  "The command's ID (a UUID): shards of one command share it; an existing one resumes");
  cmd->add_option("--global-errors", o.shard.global_errors,
                  "s3://BUCKET/PREFIX where shards share error counts; stop when the fleet's passes --max-errors");
  cmd->add_flag("--no-ramp", o.no_ramp, "Start at full concurrency (default: SSM's ramp-up 1, 2, 4, ... hosts)");
  cmd->add_flag("--dry-run", o.dry_run, "Print targets, ramp, thresholds in host counts and the resolved steps; run nothing");
  cmd->add_flag("--preflight", o.preflight, "Check every host key first; refuse to start (exit 2) if any is unknown or changed");
  cmd->add_option("--max-concurrency-per", o.caps, "At most N hosts at once per value of a tag: TAG=N (repeatable)")
      ->allow_extra_args(false);
  add_sink_options(cmd, o.sinks);
}

// The parameters a resume runs with: as recorded, with those of --parameters-file on top.
// Secrets were recorded masked; a resume refuses to send "****" in their place.
documents::ParameterValues resume_values(const store::CommandRecord& cmd, const documents::Document& doc,
                                         const nlohmann::json& spec, const std::string& parameters_file) {
  documents::ParameterValues values;
  const nlohmann::json parameters = spec.value("parameters", nlohmann::json::object());
  for (const auto& [k, v] : parameters.items()) values[k] = v;
  if (!parameters_file.empty())
    for (auto& [k, v] : documents::parse_cli_parameters(doc, {}, parameters_file)) values[k] = std::move(v);
  std::vector<std::string> missing;
  for (const auto& [k, v] : values)
    if (documents::looks_secret(k) && was_masked(v)) missing.push_back(k);
  if (!missing.empty())
    throw InputError(fmt::format("command {} was recorded with its secret parameter(s) masked ({}): sshm does not "
                                 "keep secrets; give the value(s) again with `sshm commands resume {} "
                                 "--parameters-file FILE` (or - for stdin)",
                                 cmd.command_id, join(missing, ", "), cmd.command_id.substr(0, 8)));
  return values;
}

// The record of how the command was asked for, once it is certain that no live sshm still
// runs it.
store::RunSpec resumable_spec(store::Store& store, const store::CommandRecord& cmd) {
  std::optional<store::RunSpec> saved = store.find_run_spec(cmd.command_id);
  if (!saved)
    throw InputError(fmt::format("command {} cannot be resumed: it was recorded without what a resume needs "
                                 "(by an sshm without `commands resume`)",
                                 cmd.command_id));
  if (engine::owner_state(saved->owner) == engine::OwnerState::alive)
    throw InputError(fmt::format("command {} is still running (sshm process {}); stop it or let it finish first",
                                 cmd.command_id, saved->owner["pid"].get<long>()));
  return std::move(*saved);
}

// The hosts a resume runs (never started) and those it leaves alone (started, then cut off).
struct HostsLeft {
  std::vector<std::string> pending, in_flight;
};

HostsLeft hosts_left(const std::vector<store::InvocationRecord>& invs) {
  HostsLeft left;
  for (const auto& inv : invs) {
    if (engine::never_started(inv)) left.pending.push_back(inv.instance_id);
    else if (!engine::is_terminal(inv.status) && inv.status_details != engine::k_in_flight_at_interruption)
      left.in_flight.push_back(inv.instance_id);
  }
  return left;
}

// The run as it was asked for: the recorded inventory, ssh config and policy unless given now.
GlobalOptions recorded_globals(const GlobalOptions& global, const nlohmann::json& spec) {
  GlobalOptions g = global;
  if (g.inventory.empty()) g.inventory = spec.value("inventory", "");
  if (g.ssh_config.empty()) g.ssh_config = spec.value("ssh_config", "");
  if (g.host_key_policy.empty()) g.host_key_policy = spec.value("host_key_policy", "");
  if (g.connect_timeout == 0) g.connect_timeout = spec.value("connect_timeout", 0);
  if (g.params_backend.empty()) g.params_backend = spec.value("params_backend", "");
  return g;
}

// A document from a file was recorded with its text, so a resume runs what the first run ran.
documents::Document recorded_document(const nlohmann::json& spec, const store::CommandRecord& cmd) {
  const nlohmann::json& d = spec["document"];
  return d.contains("source") && d["source"].is_string()
             ? documents::load_text(d["source"].get<std::string>(), d.value("path", ""), d.value("name", ""))
             : documents::load(d.value("name", cmd.document_name));
}

// The inverse of the "sinks" part of `run_spec`.
sinks::SinkOptions recorded_sinks(const nlohmann::json& spec, const GlobalOptions& g) {
  sinks::SinkOptions so;
  const nlohmann::json& sj = spec.value("sinks", nlohmann::json::object());
  so.s3_bucket = sj.value("s3_bucket", "");
  so.s3_prefix = sj.value("s3_prefix", "");
  so.cloudwatch = sj.value("cloudwatch", false);
  so.log_group = sj.value("log_group", "");
  so.notify = sj.value("notify", std::vector<std::string>{});
  so.notify_events = sj.value("notify_events", std::vector<std::string>{"All"});
  so.notify_type = sj.value("notify_type", "Command");
  so.aws.profile = sj.value("profile", "");
  so.aws.region = sj.value("region", "");
  so.aws.endpoint_url = sj.value("endpoint_url", "");
  so.state_dir = state_dir(g);
  return so;
}

// Each recorded invocation's host in the inventory, in the recorded order (null for a host
// that has gone); the ones still to run must be there.
std::vector<const fleet::Host*> recorded_hosts(const fleet::Inventory& inventory, const store::CommandRecord& cmd,
                                               const std::vector<store::InvocationRecord>& invs) {
  std::vector<std::string> missing;
  std::vector<const fleet::Host*> hosts;
  for (const auto& inv : invs) {
    const fleet::Host* h = inventory.find(inv.instance_id);
    if (!h && engine::never_started(inv)) missing.push_back(inv.instance_id);
    hosts.push_back(h);
  }
  if (!missing.empty())
    throw InputError(fmt::format("cannot resume command {}: hosts still to run are no longer in the inventory: {}",
                                 cmd.command_id, join(missing, ", ")));
  return hosts;
}

// One target per recorded invocation; a host no longer in the inventory keeps only its name
// (it finished before, so the engine does not run it).
std::vector<engine::Target> resume_targets(const std::vector<store::InvocationRecord>& invs,
                                           const std::vector<const fleet::Host*>& hosts,
                                           const std::vector<ssh::Endpoint>& endpoints, const std::string& run_as) {
  std::vector<engine::Target> targets;
  size_t e = 0;
  for (size_t i = 0; i < invs.size(); ++i) {
    engine::Target t;
    t.name = invs[i].instance_id;
    t.endpoint.name = t.name;
    if (const auto* h = hosts[i]) {
      t.endpoint = endpoints[e++];
      t.run_as = !run_as.empty() ? run_as : h->connection.run_as.value_or("");
      t.platform = h->platform;
      t.tags = h->tags;
      t.vars = h->vars;
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

void announce_resume(const store::CommandRecord& cmd, const HostsLeft& left) {
  std::string text = fmt::format("sshm: resuming command {}: {} host(s) never started run now", cmd.command_id,
                                 left.pending.size());
  if (!left.in_flight.empty())
    text += fmt::format("; {} were in flight when it was interrupted and are NOT run again: {}", left.in_flight.size(),
                        left.in_flight.size() <= 20 ? join(left.in_flight, ",")
                                                    : std::to_string(left.in_flight.size()) + " hosts");
  SyncOut::instance().err(text + "\n");
}

} // namespace

int resume_command(const GlobalOptions& global, const std::string& id_or_prefix, const ResumeDisplay& display) {
  auto store = store::Store::open(state_dir(global));
  store::CommandRecord cmd = *store->get_command(id_or_prefix);
  store::RunSpec saved = resumable_spec(*store, cmd);
  std::vector<store::InvocationRecord> invs = store->get_invocations(cmd.command_id);
  HostsLeft left = hosts_left(invs);
  if (left.pending.empty() && left.in_flight.empty()) {
    if (global.verbosity >= 0)
      SyncOut::instance().err(fmt::format("sshm: nothing to resume: every host of command {} has finished ({} [{}])\n",
                                          cmd.command_id, cmd.status, cmd.status_details));
    if (structured_output(global)) print_structured(global, store::command_report_json(cmd, invs));
    return k_exit_ok;
  }

  const nlohmann::json& spec = saved.spec;
  GlobalOptions g = recorded_globals(global, spec);
  documents::Document doc = recorded_document(spec, cmd);
  documents::ParameterValues values = resume_values(cmd, doc, spec, display.parameters_file);
  std::vector<std::string> cap_specs = spec.value("caps", std::vector<std::string>{});
  sinks::SinkOptions so = recorded_sinks(spec, g);

  auto inventory = load_inventory(g);
  auto ssh_config = load_ssh_config(g);
  std::vector<const fleet::Host*> hosts = recorded_hosts(inventory, cmd, invs);
  std::vector<const fleet::Host*> present;
  for (const auto* h : hosts)
    if (h) present.push_back(h);
  auto endpoints = endpoints_for(present, ssh_config, resolve_options(g));

  engine::RunRequest req;
  std::set<std::string> platforms;
  for (const auto* h : present) platforms.insert(h->platform);
  resolve_documents(g, so.aws, doc, values, platforms, req);
  req.aws = so.aws;
  req.targets = resume_targets(invs, hosts, endpoints, spec.value("run_as", ""));
  req.command = cmd;
  req.resume = true;
  req.recorded = std::move(invs);
  req.execution_timeout = spec.value("execution_timeout", 0);
  req.delivery_timeout = spec.value("timeout", 0);
  req.ramp = spec.value("ramp", true);
  req.caps = parse_caps(cap_specs);
  if (const char* r = std::getenv("AWS_REGION"); r && *r) req.region = r;

  if (global.verbosity >= 0) announce_resume(cmd, left);
  prepare_key_passphrase(endpoints);
  store->save_run_spec(cmd.command_id, {spec, engine::owner_of_this_process()});
  return execute(g, std::move(req), so, {display.gather, display.raw}, display.output_dir, ssh_config, *store,
                 left.pending.size());
}

void setup_run(CLI::App& app, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* run = app.add_subcommand("run", "Send a command document to the fleet (SSM send-command), wait and summarise");
  run->add_option("document", o->document, "Built-in document name (sshm documents list) or a file path")->required();
  run->add_option("-p,--parameters", o->parameters, "name=value (repeat for lists; JSON arrays accepted)")
      ->allow_extra_args(false);
  run->add_option("--parameters-file", o->parameters_file,
                  "JSON or YAML map of name -> value or list (- reads stdin); keeps secrets off the command line");
  add_run_options(run, *o);
  run->callback([&global, &action, o] { action = [&global, o] { return run_run(global, *o); }; });

  auto e = std::make_shared<RunOptions>();
  auto* exec = app.add_subcommand("exec", "Run a shell command on the fleet (AWS-RunShellScript)");
  exec->add_option("command", e->command, "The shell command (quote it)");
  exec->add_option("--script", e->script, "Run this script file instead (- reads stdin)");
  exec->add_option("--working-directory", e->working_directory, "Directory to run in on the hosts");
  add_run_options(exec, *e);
  exec->callback([&global, &action, e] { action = [&global, e] { return run_exec(global, *e); }; });
}

} // namespace sshm::cli
