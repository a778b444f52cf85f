#pragma once
// `sshm sessions list | show | replay`: the history of `sshm session`.
#include "cli/app.hpp"

namespace sshm::store {
class Store;
}

namespace sshm::cli {

// Sessions whose sshm died while they ran (kill -9, a closed terminal): marked Terminated
// with the reason, so the history never shows them Connected forever.
void mark_orphaned_sessions(store::Store& store);

void setup_sessions_history(CLI::App& app, GlobalOptions& global, Action& action);

} // namespace sshm::cli
