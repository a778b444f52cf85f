// sshm ping: reachability of each host, with the failure kind and an actionable message.
#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "cli/select.hpp"
#include "cli/signals.hpp"
#include "engine/dispatch.hpp"
#include "ssh/libssh_transport.hpp"
#include "util/strings.hpp"

#include <atomic>
#include <climits>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

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

nlohmann::json result_json(const PingResult& r) {
  return {{"Host", r.host},
          {"Status", r.failure ? "failed" : "ok"},
          {"Failure", r.failure ? nlohmann::json(ssh::to_string(r.failure->kind)) : nlohmann::json(nullptr)},
          {"Message", r.failure ? nlohmann::json(r.failure->message) : nlohmann::json(nullptr)},
          {"ConnectMs", r.reached ? nlohmann::json(r.connect_ms) : nlohmann::json(nullptr)}};
}

// Connects, and with --sudo checks that `sudo -n true` works.
PingResult ping_one(ssh::Transport& transport, const ssh::Endpoint& e, bool sudo, const std::atomic<bool>& cancel) {
  PingResult r;
  r.host = e.name;
  auto session = transport.connect(e, &cancel);
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
    req.cancel = &cancel;
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

  // Connect to every host through the fleet engine, printing each result as it comes. A
  // look-up, not a change: no ramp, and a failed host never stops the others.
  ssh::LibsshTransport transport(config, options);
  std::vector<PingResult> results(endpoints.size());
  size_t width = 0;
  for (const auto& e : endpoints) width = std::max(width, e.name.size());
  const bool text = !structured_output(g);
  auto report = [&](const PingResult& r) {
    if (text) SyncOut::instance().out(result_line(r, width));
    else if (g.output == "jsonl") print_structured(g, result_json(r));
  };
  engine::DispatchPlan plan;
  plan.targets = endpoints.size();
  plan.concurrency = static_cast<size_t>(std::max(1, o.max_concurrency));
  plan.ramp = false;
  plan.error_threshold = INT_MAX;
  std::atomic<bool> cancel{false};
  auto work = [&](size_t i, engine::Acknowledge&) {
    results[i] = ping_one(transport, endpoints[i], o.sudo, cancel);
    results[i].done = true;
    report(results[i]);
    return results[i].failure.has_value();
  };
  // Hosts Ctrl-C left out are reported too, so every selected host has a line.
  auto not_started = [&](size_t i) {
    results[i].host = endpoints[i].name;
    results[i].failure = ssh::Failure{ssh::FailureKind::cancelled, "not contacted: interrupted"};
    report(results[i]);
  };
  {
    SignalGuard guard(cancel);
    engine::dispatch(plan, work, not_started, cancel);
  }

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
    print_structured(g, arr);
  }
  if (cancel.load()) return k_exit_interrupted;
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
