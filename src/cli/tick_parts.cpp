// The parts of a tick, in the order they run.
#include "cli/associations.hpp"
#include "cli/tick.hpp"

namespace sshm::cli {

std::vector<TickPart> tick_parts() {
  return {
      {"associations", tick_associations},
  };
}

} // namespace sshm::cli
