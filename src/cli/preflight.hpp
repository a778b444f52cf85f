#pragma once
// Host key pre-flight (`hosts keys`, `run --preflight`): every host's key looked up,
// connecting only up to the key exchange, in parallel, never a prompt; one consolidated answer.
#include "cli/app.hpp"
#include "fleet/inventory.hpp"
#include "ssh/config.hpp"
#include "ssh/libssh_transport.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace sshm::cli {

struct KeyPreflight {
  struct Entry {
    std::string host;
    ssh::Endpoint endpoint;
    ssh::HostKeyCheck check;
  };
  std::vector<Entry> entries;  // target order
  size_t known = 0, unknown = 0, changed = 0, unreachable = 0;
  // Hosts whose run would fail on the key: changed, and unknown under the strict policy.
  size_t blocking = 0;
  // Cut short by `cancel`: hosts never checked count as unreachable ("not checked").
  bool cancelled = false;
};

// Hosts whose keys are looked up at once.
inline constexpr size_t k_preflight_concurrency = 32;

// The pre-flight through the fleet engine's dispatch; `cancel` stops it.
KeyPreflight check_host_keys(const std::vector<const fleet::Host*>& hosts, const std::vector<ssh::Endpoint>& endpoints,
                             const ssh::SshConfig& config, const GlobalOptions& global,
                             const std::atomic<bool>& cancel, size_t concurrency = k_preflight_concurrency);
// The same with Ctrl-C handled as every fleet command does; an interrupted pre-flight
// proves nothing, so it throws Interrupted rather than answer.
KeyPreflight check_host_keys(const std::vector<const fleet::Host*>& hosts, const std::vector<ssh::Endpoint>& endpoints,
                             const ssh::SshConfig& config, const GlobalOptions& global);
// "host keys: N known ..." and, for unknown and changed keys, the exact commands that fix them.
std::string key_preflight_text(const KeyPreflight& report);
nlohmann::json key_preflight_json(const KeyPreflight& report);

} // namespace sshm::cli
