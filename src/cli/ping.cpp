// sshm ping: reachability of each host, with the failure kind and an actionable message.
#include "cli/common.hpp"
#include "ssh/libssh_transport.hpp"
#include "util/strings.hpp"

#include <atomic>
#include <csignal>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

namespace sshm::cli {

namespace {

struct PingOptions {
  TargetOptions targets;
  bool sudo = false;
  int max_concurrency = 50;
};

// What one host answered.
struct PingResult {
  std::string host;
  bool done = false;
  bool reached = false;  // connected and authenticated
  std::optional<ssh::Failure> failure;
  long connect_ms = 0;
};

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

nlohmann::json result_json(const PingResult& r) {
  return {{"host", r.host},
          {"status", r.failure ? "failed" : "ok"},
          {"failure", r.failure ? nlohmann::json(ssh::to_string(r.failure->kind)) : nlohmann::json(nullptr)},
          {"message", r.failure ? nlohmann::json(r.failure->message) : nlohmann::json(nullptr)},
          {"connect_ms", r.reached ? nlohmann::json(r.connect_ms) : nlohmann::json(nullptr)}};
}

// Connects, and with --sudo checks that `sudo -n true` works.
PingResult ping_one(ssh::Transport& transport, const ssh::Endpoint& e, bool sudo) {
  PingResult r;
  r.host = e.name;
  auto session = transport.connect(e, &g_interrupted);
  if (!session) {
    r.failure = session.error();
    return r;
  }
  r.reached = true;
  r.connect_ms = static_cast<long>((*session)->connect_time().count());
  if (sudo) {
    std::string err;
    ssh::ExecRequest req;
    req.command = "sudo -n true";
    req.timeout = std::chrono::seconds(std::max(5, e.connect_timeout_s));
    req.cancel = &g_interrupted;
    req.on_stderr = [&err](std::string_view s) {
      if (err.size() < 1000) err.append(s);
    };
    auto res = (*session)->exec(req);
    if (!res) {
      r.failure = res.error();
    } else if (res->cancelled) {
      r.failure = ssh::Failure{ssh::FailureKind::cancelled, "cancelled while checking sudo"};
    } else if (res->timed_out) {
      r.failure = ssh::Failure{ssh::FailureKind::sudo, "`sudo -n true` did not finish in time"};
    } else if (res->exit_status != 0) {
      std::string first = trim(err.substr(0, err.find('\n')));
      if (first.empty()) first = fmt::format("exit status {}", res->exit_status);
      r.failure = ssh::Failure{ssh::FailureKind::sudo,
                               fmt::format("`sudo -n true` as {} refused: {}; add a NOPASSWD sudoers rule for {} "
                                           "or leave out --sudo",
                                           e.user, first, e.user)};
    }
  }
  return r;
}

std::string result_line(const PingResult& r, size_t width) {
  if (!r.failure) return fmt::format("{:<{}}  ok  {} ms\n", r.host, width, r.connect_ms);
  return fmt::format("{:<{}}  FAILED {}: {}\n", r.host, width, ssh::to_string(r.failure->kind), r.failure->message);
}

int run_ping(const GlobalOptions& g, const PingOptions& o) {
  // Load the inventory and the ssh config once, pick the hosts, resolve their settings.
  auto inv = load_inventory(g);
  auto hosts = select(g, inv, o.targets);
  auto config = load_ssh_config(g);
  auto options = resolve_options(g);
  auto endpoints = endpoints_for(hosts, config, options);
  // Ask for a key passphrase once, before any connection.
  prepare_key_passphrase(endpoints);

  // Connect to every host from a pool of workers, printing each result as it comes.
  ssh::LibsshTransport transport(config, options);
  std::vector<PingResult> results(endpoints.size());
  size_t width = 0;
  for (const auto& e : endpoints) width = std::max(width, e.name.size());
  auto old_handler = std::signal(SIGINT, on_interrupt);
  std::atomic<size_t> next{0};
  const bool text = g.output != "json" && g.output != "yaml" && g.output != "jsonl";
  auto worker = [&] {
    for (size_t i = next++; i < endpoints.size(); i = next++) {
      results[i] = ping_one(transport, endpoints[i], o.sudo);
      results[i].done = true;
      if (text) SyncOut::instance().out(result_line(results[i], width));
      else if (g.output == "jsonl") SyncOut::instance().out(result_json(results[i]).dump() + "\n");
    }
  };
  size_t workers = std::min<size_t>(static_cast<size_t>(std::max(1, o.max_concurrency)), endpoints.size());
  std::vector<std::thread> pool;
  for (size_t i = 0; i < workers; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  std::signal(SIGINT, old_handler);

  // Summarise: counts per failure kind, and the exit status.
  size_t ok = 0, reached = 0;
  std::map<std::string, size_t> kinds;
  for (const auto& r : results) {
    if (!r.failure) ++ok;
    else ++kinds[ssh::to_string(r.failure->kind)];
    if (r.reached) ++reached;
  }
  if (text) {
    std::string summary = fmt::format("{} hosts: {} ok, {} failed", results.size(), ok, results.size() - ok);
    std::vector<std::string> parts;
    for (const auto& [k, n] : kinds) parts.push_back(fmt::format("{} {}", n, k));
    if (!parts.empty()) summary += " (" + join(parts, ", ") + ")";
    SyncOut::instance().out(summary + "\n");
  } else if (g.output != "jsonl") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : results) arr.push_back(result_json(r));
    SyncOut::instance().out(arr.dump(2) + "\n");
  }
  if (g_interrupted.load()) return k_exit_interrupted;
  if (ok == results.size()) return k_exit_ok;
  if (reached == 0) return k_exit_unreachable;
  return k_exit_failed;
}

} // namespace

void setup_ping(CLI::App& app, GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<PingOptions>();
  auto* ping = app.add_subcommand("ping", "Check that hosts are reachable: DNS, TCP, host key, auth (and sudo)");
  add_target_options(ping, opts->targets, true);
  ping->add_flag("--sudo", opts->sudo, "Also check that `sudo -n true` works");
  ping->add_option("--max-concurrency", opts->max_concurrency, "Hosts contacted at once (default 50)")
      ->check(CLI::Range(1, 100000));
  ping->callback([&global, &action, opts] { action = [&global, opts] { return run_ping(global, *opts); }; });
}

} // namespace sshm::cli
