#include "engine/recovery.hpp"

#include "engine/status.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>

namespace sshm::engine {

namespace {

// Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot.
std::string proc_start_time(long pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return "";
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i)
    if (i == 22) return f;
  return "";
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::string host_name() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof(buf) - 1);
  return buf;
}

} // namespace

nlohmann::json owner_of_this_process() {
  long pid = static_cast<long>(::getpid());
  return {{"pid", pid}, {"start", proc_start_time(pid)}, {"boot", boot_id()}, {"host", host_name()}};
}

OwnerState owner_state(const nlohmann::json& owner) {
  if (!owner.is_object() || !owner.contains("pid") || !owner["pid"].is_number_integer()) return OwnerState::unknown;
  if (owner.value("host", "") != host_name()) return OwnerState::unknown;
  if (owner.value("boot", "") != boot_id()) return OwnerState::gone;
  long pid = owner["pid"].get<long>();
  if (pid <= 0) return OwnerState::unknown;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return OwnerState::gone;
  std::string start = proc_start_time(pid);
  // A pid that exists but started at another time is another process.
  if (!start.empty() && start != owner.value("start", "")) return OwnerState::gone;
  return OwnerState::alive;
}

std::vector<std::string> recover_interrupted(store::Store& store) {
  std::vector<std::string> marked;
  try {
    std::vector<store::CommandRecord> open;
    for (const char* status : {"Pending", "InProgress"}) {
      store::CommandFilter filter;
      filter.status = status;
      filter.limit = 0;
      for (auto& c : store.list_commands(filter))
        if (c.status == status) open.push_back(std::move(c));
    }
    for (store::CommandRecord& c : open) {
      std::optional<store::RunSpec> spec = store.find_run_spec(c.command_id);
      if (!spec || owner_state(spec->owner) != OwnerState::gone) continue;
      std::vector<store::InvocationRecord> invs = store.get_invocations(c.command_id);
      aggregate(c, invs, false, false);
      c.status = "Failed";
      c.status_details = k_interrupted;
      c.stop_reason = fmt::format("the sshm that ran it (pid {}) ended while it ran (crash, kill -9 or power loss); "
                                  "`sshm commands resume {}` runs the hosts never started",
                                  spec->owner["pid"].get<long>(), c.command_id);
      store.save_command(c);
      marked.push_back(c.command_id);
    }
  } catch (const std::exception&) {
    // Left for the next sshm: the caller's own work reports a store it cannot use.
  }
  return marked;
}

} // namespace sshm::engine
