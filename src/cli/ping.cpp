// sshm ping: reachability of each host, with the failure kind and an actionable message.
#include "cli/common.hpp"

namespace sshm::cli {

void setup_ping(CLI::App& app, GlobalOptions& global, Action& action) {
  (void)app;
  (void)global;
  (void)action;
}

} // namespace sshm::cli
