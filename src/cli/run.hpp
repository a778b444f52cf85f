#pragma once
// What other command groups use of `run`: continuing an interrupted command.
#include "cli/app.hpp"

#include <string>

namespace sshm::cli {

// `sshm commands resume ID`: runs the hosts of an interrupted command that never started,
// reports those that were in flight (never re-run), and updates the same record.
int resume_command(const GlobalOptions& global, const std::string& id_or_prefix, bool gather,
                   const std::string& output_dir);

} // namespace sshm::cli
