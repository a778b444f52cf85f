// sshm run DOC / sshm exec 'cmd': send a command document to the fleet (SSM send-command),
// wait, stream, summarise, record.
#include "cli/common.hpp"
#include "cli/run_output.hpp"
#include "documents/document.hpp"
#include "scheduler/rate.hpp"
#include "scheduler/run.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"

#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <pthread.h>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace sshm::cli {

namespace {

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
  std::string shard;
  // exec only
  std::string command;
  std::string script;
  std::string working_directory;
};

// Ctrl-C and SIGTERM: the first stops dispatching and cancels in-flight hosts; the second
// records what it can and exits at once.
class SignalGuard {
public:
  explicit SignalGuard(std::atomic<bool>& cancel) : m_cancel(cancel) {
    // A shell starts background jobs with SIGINT ignored, and an ignored signal is never
    // delivered to sigwait: take the default disposition back (the signals stay blocked).
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &m_old);
    m_thread = std::thread([this, set] {
      int count = 0;
      while (true) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (m_done.load()) return;
        if (++count == 1) {
          m_cancel.store(true);
          SyncOut::instance().err("\nsshm: interrupted: cancelling in-flight hosts (press Ctrl-C again to exit now)\n");
        } else {
          if (m_on_second) m_on_second();
          std::_Exit(k_exit_interrupted);
        }
      }
    });
  }
  ~SignalGuard() {
    m_done.store(true);
    pthread_kill(m_thread.native_handle(), SIGTERM);
    m_thread.join();
    pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
  }
  void on_second(std::function<void()> f) { m_on_second = std::move(f); }

private:
  std::atomic<bool>& m_cancel;
  std::atomic<bool> m_done{false};
  std::function<void()> m_on_second;
  sigset_t m_old;
  std::thread m_thread;
};

std::string read_all(std::istream& in) { return std::string(std::istreambuf_iterator<char>(in), {}); }

// --shard I/N keeps every N-th host starting at the I-th (1-based), for splitting a fleet
// across several controllers.
std::vector<const inventory::Host*> apply_shard(std::vector<const inventory::Host*> hosts, const std::string& shard) {
  if (shard.empty()) return hosts;
  unsigned i = 0, n = 0;
  char slash = 0;
  std::istringstream in(shard);
  if (!(in >> i >> slash >> n) || slash != '/' || n == 0 || i == 0 || i > n || !in.eof())
    throw InputError(fmt::format("--shard '{}' must be I/N with 1 <= I <= N, e.g. 2/4", shard));
  std::vector<const inventory::Host*> out;
  for (size_t k = 0; k < hosts.size(); ++k)
    if (k % n == i - 1) out.push_back(hosts[k]);
  if (out.empty()) throw InputError(fmt::format("--shard {} selects no host of {}", shard, hosts.size()));
  return out;
}

int exit_status(const scheduler::RunResult& r) {
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
        std::error_code ec;
        fs::create_directories(dest.parent_path(), ec);
        fs::copy_file(file, dest, fs::copy_options::overwrite_existing, ec);
        if (ec) throw RuntimeError(fmt::format("cannot write {}: {}", dest.string(), ec.message()));
      }
    }
  }
}

int run_document_on_fleet(const GlobalOptions& g, const RunOptions& o, const documents::Document& doc,
                          const documents::ParameterValues& values) {
  // Validate everything before touching the network: rate controls, targets, parameters.
  scheduler::validate_max_concurrency(o.max_concurrency);
  scheduler::validate_max_errors(o.max_errors);
  if (o.timeout != 0 && (o.timeout < 1 || o.timeout > 2592000))
    throw InputError(fmt::format("--timeout {} must be between 1 and 2592000 seconds", o.timeout));
  if (o.execution_timeout != 0 && (o.execution_timeout < 5 || o.execution_timeout > 172800))
    throw InputError(fmt::format("--execution-timeout {} must be between 5 and 172800 seconds", o.execution_timeout));

  auto inv = load_inventory(g);
  auto hosts = apply_shard(select(inv, o.targets), o.shard);

  scheduler::RunRequest req;
  std::set<std::string> platforms;
  for (const auto* h : hosts) platforms.insert(h->platform);
  for (const auto& p : platforms) req.documents[p] = documents::resolve(doc, values, p);

  auto ssh_config = load_ssh_config(g);
  auto endpoints = endpoints_for(hosts, ssh_config, resolve_options(g));
  prepare_key_passphrase(endpoints);
  for (size_t i = 0; i < hosts.size(); ++i) {
    scheduler::Target t;
    t.name = hosts[i]->name;
    t.endpoint = std::move(endpoints[i]);
    t.run_as = !o.run_as.empty() ? o.run_as : hosts[i]->connection.run_as.value_or("");
    t.platform = hosts[i]->platform;
    req.targets.push_back(std::move(t));
  }

  store::CommandRecord& cmd = req.command;
  cmd.command_id = new_uuid();
  cmd.document_name = doc.name;
  cmd.comment = o.comment;
  cmd.parameters = req.documents.begin()->second.parameters;
  cmd.targets = o.targets.targets;
  cmd.max_concurrency = o.max_concurrency;
  cmd.max_errors = o.max_errors;
  cmd.timeout_seconds = o.timeout;
  req.execution_timeout = o.execution_timeout;
  req.delivery_timeout = o.timeout;
  if (const char* r = std::getenv("AWS_REGION"); r && *r) req.region = r;

  auto store = store::Store::open(state_dir(g));
  auto transport = make_transport(g, ssh_config);
  std::vector<std::unique_ptr<sinks::Sink>> sinks;

  std::atomic<bool> cancel{false};
  SignalGuard guard(cancel);
  auto observer = make_run_observer(g, o.gather, hosts.size());
  guard.on_second([&] {
    // Best effort: the command row says it was interrupted.
    store::CommandRecord c = cmd;
    c.status = "Cancelled";
    c.status_details = "Cancelled";
    c.stop_reason = "interrupted twice: exited at once";
    try {
      store->save_command(c);
    } catch (...) {
    }
  });

  scheduler::RunResult result = scheduler::run_command(std::move(req), *transport, *store, sinks, *observer, cancel);
  if (!o.output_dir.empty()) copy_outputs(store->outputs_dir(), o.output_dir, result.invocations);
  observer->finish(result);
  return exit_status(result);
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
  cmd->add_option("--shard", o.shard, "Run only shard I of N of the selected hosts (I/N)");
}

} // namespace

void setup_run(CLI::App& app, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* run = app.add_subcommand("run", "Send a command document to the fleet (SSM send-command), wait and summarise");
  run->add_option("document", o->document, "Built-in document name (sshm documents list) or a file path")->required();
  run->add_option("-p,--parameters", o->parameters, "name=value (repeat for lists; JSON arrays accepted)")
      ->allow_extra_args(false);
  run->add_option("--parameters-file", o->parameters_file, "JSON or YAML map of parameters");
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
