#include "engine/rate.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <regex>

namespace sshm::engine {

namespace {

// Returns {value, is_percent}.
std::pair<int, bool> parse(const std::string& spec) {
  bool pct = !spec.empty() && spec.back() == '%';
  return {std::stoi(pct ? spec.substr(0, spec.size() - 1) : spec), pct};
}

} // namespace

void validate_max_concurrency(const std::string& spec) {
  static const std::regex re("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$");
  if (spec.size() > 7 || !std::regex_match(spec, re))
    throw InputError(fmt::format("--max-concurrency '{}' must be a number from 1 or a percentage 1%..100% (SSM's rule)", spec));
}

void validate_max_errors(const std::string& spec) {
  static const std::regex re("^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
  if (spec.size() > 7 || !std::regex_match(spec, re))
    throw InputError(fmt::format("--max-errors '{}' must be a number from 0 or a percentage 0%..100% (SSM's rule)", spec));
}

int concurrency_for(const std::string& spec, int targets) {
  auto [v, pct] = parse(spec);
  long long n = pct ? static_cast<long long>(v) * targets / 100 : v;
  return static_cast<int>(std::clamp<long long>(n, 1, std::max(1, targets)));
}

int error_threshold_for(const std::string& spec, int targets) {
  auto [v, pct] = parse(spec);
  return pct ? static_cast<int>(static_cast<long long>(v) * targets / 100) : v;
}

bool counts_as_error(const store::InvocationRecord& inv) { return inv.status == "Failed" || inv.status == "TimedOut"; }

bool is_terminal(const std::string& s) { return s != "Pending" && s != "InProgress" && s != "Delayed"; }

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
