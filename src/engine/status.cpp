#include "engine/status.hpp"

#include "engine/rate.hpp"

namespace sshm::engine {

bool counts_as_error(const store::InvocationRecord& inv) { return inv.status == "Failed" || inv.status == "TimedOut"; }

bool is_terminal(const std::string& s) { return s != "Pending" && s != "InProgress" && s != "Delayed"; }

bool never_started(const store::InvocationRecord& inv) {
  if (inv.status == "Pending") return true;
  return !is_terminal(inv.status) && inv.execution_start_date_time.empty() &&
         inv.status_details != k_in_flight_at_interruption;
}

void aggregate(store::CommandRecord& c, const std::vector<store::InvocationRecord>& invs, bool stopped_by_threshold,
               bool cancelled) {
  int success = 0, failed = 0, exec_timed_out = 0, delivery_timed_out = 0, undeliverable = 0, completed = 0,
      cancelled_n = 0, terminated = 0, pending = 0;
  for (const auto& i : invs) {
    if (is_terminal(i.status) || i.status_details == k_in_flight_at_interruption) ++completed;
    else ++pending;
    if (i.status == "Success") ++success;
    else if (i.status == "Failed") ++failed;
    else if (i.status == "TimedOut") ++exec_timed_out;
    else if (i.status == "DeliveryTimedOut") ++delivery_timed_out;
    else if (i.status == "Undeliverable") ++undeliverable;
    else if (i.status == "Cancelled") ++cancelled_n;
    else if (i.status == "Terminated") ++terminated;
  }
  c.target_count = static_cast<int>(invs.size());
  c.completed_count = completed;
  c.error_count = failed + exec_timed_out;
  c.delivery_timed_out_count = delivery_timed_out;
  const int threshold = error_threshold_for(c.max_errors, c.target_count);

  auto set = [&](const char* status, const char* details) {
    c.status = status;
    c.status_details = details;
  };
  if (invs.empty()) return set("Failed", "NoInstancesInTag");
  if (pending > 0) return set("InProgress", "InProgress");
  if (cancelled) return set("Cancelled", "Cancelled");
  if (stopped_by_threshold || c.error_count > threshold)
    return set("Failed", exec_timed_out > failed ? "ExecutionTimedOut" : "Failed");
  if (delivery_timed_out > threshold) return set("TimedOut", "DeliveryTimedOut");
  if (undeliverable == c.target_count) return set("Failed", "Undeliverable");
  if (success + undeliverable == c.target_count) return set("Success", "Success");
  return set("Failed", "Incomplete");
}

} // namespace sshm::engine
