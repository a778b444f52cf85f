// The parts of `sshm tick`, in the order a tick runs them.
#include "cli/tick.hpp"
#include "cli/windows.hpp"

namespace sshm::cli {

std::vector<TickPart> tick_parts() {
  return {{"windows", tick_windows}};
}

} // namespace sshm::cli
