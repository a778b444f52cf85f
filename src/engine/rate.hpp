#pragma once
// SSM's rate controls: MaxConcurrency and MaxErrors as a number or a percentage of the
// targets, and how a command's status follows from its invocations.
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

// StatusDetails of an invocation that was in flight when its controller died: the
// command may or may not have run on the host; a resume reports it and never re-runs it.
// Its Status stays as recorded (InProgress); the command counts it as completed.
inline constexpr const char* k_in_flight_at_interruption = "InFlightAtInterruption";

// Invocation statuses that count against MaxErrors (Failed and execution TimedOut).
bool counts_as_error(const store::InvocationRecord& inv);
bool is_terminal(const std::string& status);

// Sets Status, StatusDetails and the counts of `command` from its invocations, as SSM
// aggregates them (see ../shared/reference/ssm.md §4.5).
void aggregate(store::CommandRecord& command, const std::vector<store::InvocationRecord>& invocations,
               bool stopped_by_threshold, bool cancelled);

} // namespace sshm::engine
