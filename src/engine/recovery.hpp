#pragma once
// Commands whose sshm died while they ran (crash, kill -9, power loss): found when the store
// is next opened, by the process recorded as their owner no longer existing, and marked
// Failed (Interrupted) so the history never shows them Pending or InProgress forever.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::engine {

// This process as a run spec's owner: pid, its start time (clock ticks after boot, from
// /proc), the boot id and the host name, so a pid reused after a reboot or by another
// process is never mistaken for the owner.
nlohmann::json owner_of_this_process();

enum class OwnerState { alive, gone, unknown };
// Whether the recorded owner still runs: gone when the host rebooted, the pid does not
// exist (kill(pid, 0)) or belongs to a process started at another time; unknown when the
// record has no pid or names another host (a state dir shared over the network).
OwnerState owner_state(const nlohmann::json& owner);

// Marks every Pending or InProgress command whose owner is gone: Status Failed,
// StatusDetails Interrupted, a stop reason naming `sshm commands resume`. Invocations stay
// as recorded (Pending ones never started; InProgress ones with a start may have run), so
// a resume continues exactly. Returns the command IDs marked. Never throws: a store that
// cannot be read or written now is left for the next sshm.
std::vector<std::string> recover_interrupted(store::Store& store);

} // namespace sshm::engine
