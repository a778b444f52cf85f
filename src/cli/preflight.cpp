#include "cli/preflight.hpp"

#include "cli/global_options.hpp"
#include "cli/signals.hpp"
#include "engine/dispatch.hpp"
#include "ssh/libssh_transport.hpp"

#include <climits>
#include <fmt/format.h>

namespace sshm::cli {

namespace {

// Counts each state, and the hosts a run would fail on.
void tally(KeyPreflight& report) {
  for (const auto& e : report.entries) {
    switch (e.check.state) {
    case ssh::HostKeyCheck::State::known: ++report.known; break;
    case ssh::HostKeyCheck::State::unknown:
      ++report.unknown;
      if (e.endpoint.host_key_policy == ssh::HostKeyPolicy::strict) ++report.blocking;
      break;
    case ssh::HostKeyCheck::State::changed:
      ++report.changed;
      ++report.blocking;
      break;
    case ssh::HostKeyCheck::State::unreachable: ++report.unreachable; break;
    }
  }
}

} // namespace

KeyPreflight check_host_keys(const std::vector<const fleet::Host*>& hosts, const std::vector<ssh::Endpoint>& endpoints,
                             const ssh::SshConfig& config, const GlobalOptions& global,
                             const std::atomic<bool>& cancel, size_t concurrency) {
  KeyPreflight report;
  report.entries.resize(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    report.entries[i].host = hosts[i]->name;
    report.entries[i].endpoint = endpoints[i];
  }
  ssh::LibsshTransport transport(config, resolve_options(global));
  // A look-up, not a change: no ramp, and an unreachable host never stops the others.
  engine::DispatchPlan plan;
  plan.targets = hosts.size();
  plan.concurrency = concurrency;
  plan.ramp = false;
  plan.error_threshold = INT_MAX;
  auto work = [&](size_t i, engine::Acknowledge&) {
    report.entries[i].check = transport.check_host_key(endpoints[i], &cancel);
    return false;
  };
  auto not_checked = [&](size_t i) {
    report.entries[i].check.state = ssh::HostKeyCheck::State::unreachable;
    report.entries[i].check.message = "not checked: interrupted";
  };
  engine::DispatchReport dispatched = engine::dispatch(plan, work, not_checked, cancel);
  report.cancelled = dispatched.cancelled || cancel.load();
  tally(report);
  return report;
}

KeyPreflight check_host_keys(const std::vector<const fleet::Host*>& hosts, const std::vector<ssh::Endpoint>& endpoints,
                             const ssh::SshConfig& config, const GlobalOptions& global) {
  std::atomic<bool> cancel{false};
  KeyPreflight report;
  {
    SignalGuard guard(cancel, "stopping the host key pre-flight");
    report = check_host_keys(hosts, endpoints, config, global, cancel);
  }
  if (report.cancelled) throw Interrupted("host key pre-flight interrupted: nothing was run");
  return report;
}

namespace {

const char* state_name(ssh::HostKeyCheck::State s) {
  switch (s) {
  case ssh::HostKeyCheck::State::known: return "known";
  case ssh::HostKeyCheck::State::unknown: return "unknown";
  case ssh::HostKeyCheck::State::changed: return "changed";
  case ssh::HostKeyCheck::State::unreachable: return "unreachable";
  }
  return "unknown";
}

std::string keyscan_command(const KeyPreflight::Entry& e) {
  return fmt::format("ssh-keyscan -p {} {} >> {}", e.endpoint.port, e.endpoint.hostname, e.check.file);
}

std::string keygen_command(const KeyPreflight::Entry& e) {
  return fmt::format("ssh-keygen -R '{}' -f {}", e.check.known_hosts_name, e.check.file);
}

} // namespace

std::string key_preflight_text(const KeyPreflight& r) {
  std::string out = fmt::format("sshm: host keys of {} hosts: {} known, {} unknown, {} changed, {} unreachable\n",
                                r.entries.size(), r.known, r.unknown, r.changed, r.unreachable);
  std::string unknown, changed, unreachable, fixes;
  bool strict_unknown = false;
  for (const auto& e : r.entries) {
    const auto& c = e.check;
    switch (c.state) {
    case ssh::HostKeyCheck::State::known: break;
    case ssh::HostKeyCheck::State::unknown:
      unknown += fmt::format("  {}  {}  {} {}{}\n", e.host, c.known_hosts_name, c.key_type, c.fingerprint,
                             e.endpoint.host_key_policy == ssh::HostKeyPolicy::strict
                                 ? ""
                                 : fmt::format(" (policy {}: recorded on first connect)",
                                               ssh::to_string(e.endpoint.host_key_policy)));
      if (e.endpoint.host_key_policy == ssh::HostKeyPolicy::strict) {
        strict_unknown = true;
        fixes += fmt::format("  {}\n", keyscan_command(e));
      }
      break;
    case ssh::HostKeyCheck::State::changed:
      changed += fmt::format("  {}  {}  known {}, offered {} {}\n", e.host, c.known_hosts_name, c.known_fingerprint,
                             c.key_type, c.fingerprint);
      fixes = fmt::format("  {}\n", keygen_command(e)) + fixes;
      break;
    case ssh::HostKeyCheck::State::unreachable:
      unreachable += fmt::format("  {}  {}\n", e.host, c.message);
      break;
    }
  }
  if (!changed.empty())
    out += "changed (known_hosts holds another key for these hosts: this may be an attack):\n" + changed;
  if (!unknown.empty()) out += "unknown (not in known_hosts):\n" + unknown;
  if (!unreachable.empty()) out += "unreachable (key not checked):\n" + unreachable;
  if (!fixes.empty()) {
    // Changed entries must go before the new keys are scanned in.
    out += "to fix, after checking the fingerprints with the hosts' owners:\n" + fixes;
    if (strict_unknown) out += "  (or accept unknown keys on first connect: --host-key-policy accept-new)\n";
  }
  if (r.blocking == 0 && r.unknown + r.changed == 0) out += "sshm: every reachable host key is known\n";
  return out;
}

nlohmann::json key_preflight_json(const KeyPreflight& r) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& e : r.entries) {
    const auto& c = e.check;
    nlohmann::json h = {{"Host", e.host},      {"KnownHostsName", c.known_hosts_name}, {"State", state_name(c.state)},
                        {"KeyType", c.key_type}, {"Fingerprint", c.fingerprint},         {"KnownHostsFile", c.file},
                        {"HostKeyPolicy", ssh::to_string(e.endpoint.host_key_policy)}};
    if (c.state == ssh::HostKeyCheck::State::changed) {
      h["KnownFingerprint"] = c.known_fingerprint;
      h["Fix"] = keygen_command(e);
    } else if (c.state == ssh::HostKeyCheck::State::unknown) {
      h["Fix"] = keyscan_command(e);
    } else if (c.state == ssh::HostKeyCheck::State::unreachable) {
      h["Message"] = c.message;
    }
    hosts.push_back(std::move(h));
  }
  return {{"Known", r.known}, {"Unknown", r.unknown}, {"Changed", r.changed}, {"Unreachable", r.unreachable},
          {"Blocking", r.blocking}, {"Hosts", std::move(hosts)}};
}

} // namespace sshm::cli
