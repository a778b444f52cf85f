// The parts of a tick, in the order they run: associations first (they start quickly and
// never hold a tick for long), then maintenance windows, whose executions run to their end
// in the tick that starts them.
#include "cli/associations.hpp"
#include "cli/tick.hpp"
#include "cli/windows.hpp"

namespace sshm::cli {

std::vector<TickPart> tick_parts() {
  return {
      {"associations", tick_associations},
      {"windows", tick_windows},
  };
}

} // namespace sshm::cli
