#pragma once
// SSM's rate controls: MaxConcurrency and MaxErrors as a number or a percentage of the
// targets. (How a command's status follows from its invocations is in engine/status.hpp,
// included here for the callers that find it through this header.)
#include "engine/status.hpp"
#include "store/records.hpp"

#include <string>
#include <vector>

namespace sshm::engine {

// Validates "N" or "P%" as SSM does; throws InputError naming the option otherwise.
void validate_max_concurrency(const std::string& spec);
void validate_max_errors(const std::string& spec);
// floor(p·N/100) for percentages; concurrency is at least 1 and at most N.
int concurrency_for(const std::string& spec, int targets);
int error_threshold_for(const std::string& spec, int targets);

} // namespace sshm::engine
