#pragma once
// What other command groups use of `run`: continuing an interrupted command.
#include "cli/app.hpp"

#include <string>

namespace sshm::cli {

// `sshm commands resume ID`: runs the hosts of an interrupted command that never started,
// reports those that were in flight (never re-run), and updates the same record.
struct ResumeDisplay {
  bool gather = false;
  bool raw = false;              // --raw: the hosts' bytes as they came
  std::string output_dir;
  std::string parameters_file;   // values of secret parameters, which are never recorded
};
int resume_command(const GlobalOptions& global, const std::string& id_or_prefix, const ResumeDisplay& display);

} // namespace sshm::cli
