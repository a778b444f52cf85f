#pragma once
// How an invocation's status counts, and how a command's status follows from its
// invocations, as SSM aggregates them; plus the states sshm adds for runs that were
// interrupted or could not be recorded (documented in the README's status table).
#include "store/records.hpp"

#include <string>
#include <vector>

namespace sshm::engine {

// StatusDetails of an invocation that was in flight when its controller died: the
// command may or may not have run on the host; a resume reports it and never re-runs it.
// Its Status stays as recorded (InProgress); the command counts it as completed.
inline constexpr const char* k_in_flight_at_interruption = "InFlightAtInterruption";
// StatusDetails of a command whose sshm died (crash, kill -9, power loss) while it ran, as
// the next sshm that opens the store finds it. Status is Failed; `commands resume` continues it.
inline constexpr const char* k_interrupted = "Interrupted";
// StatusDetails of an invocation (Status Failed) whose full output could not be written
// (disk full, I/O error): the command ran, but part of what it printed is gone.
inline constexpr const char* k_output_lost = "OutputLost";
// StatusDetails of an invocation (Status Failed) the state store could not record.
inline constexpr const char* k_store_error = "StoreError";
// StatusDetails of an invocation (Status Failed) that sshm itself failed on (an exception
// in a plugin or a sink): the message is in the invocation's failure message.
inline constexpr const char* k_internal_error = "InternalError";

// Invocation statuses that count against MaxErrors (Failed and execution TimedOut).
bool counts_as_error(const store::InvocationRecord& inv);
bool is_terminal(const std::string& status);
// Whether an unfinished invocation certainly never started on its host, so a resume may
// run it: Pending, or InProgress without an ExecutionStartDateTime (a reservation by an
// older sshm). An invocation with a start time may have run: never run it again.
bool never_started(const store::InvocationRecord& inv);

// Sets Status, StatusDetails and the counts of `command` from its invocations, as SSM
// aggregates them (SSM user guide: "Understanding command statuses").
void aggregate(store::CommandRecord& command, const std::vector<store::InvocationRecord>& invocations,
               bool stopped_by_threshold, bool cancelled);

} // namespace sshm::engine
