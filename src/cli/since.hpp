#pragma once
// --since, shared by `commands list` and `report`.
#include <string>

namespace sshm::cli {

// --since: an ISO 8601 time, or an age such as 30m, 24h, 7d, 2w (before now), as the
// ISO 8601 time (with milliseconds) it means. Throws InputError for anything else.
std::string since_time(const std::string& since);

} // namespace sshm::cli
