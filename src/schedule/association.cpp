// State Manager associations: CreateAssociation's checks and the rules of when one runs
// (SSM user guide, "About State Manager" and "Working with associations").
#include "schedule/association.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <regex>
#include <set>

namespace sshm::schedule {

namespace {

namespace chr = std::chrono;

// AssociationName's pattern in the CreateAssociation API reference.
bool valid_association_name(const std::string& name) {
  static const std::regex pattern("^[a-zA-Z0-9_\\-.]{3,128}$");
  return std::regex_match(name, pattern);
}

// MaxConcurrency / MaxErrors: a number or a percentage, as the API's pattern
// ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$ (MaxConcurrency has no 0).
bool valid_rate_control(const std::string& value, bool allow_zero) {
  static const std::regex pattern("^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$");
  if (value.empty()) return true;
  if (!std::regex_match(value, pattern)) return false;
  return allow_zero || (value != "0" && value != "0%");
}

std::optional<std::string> check_enums(const Association& a) {
  static const std::set<std::string> severities = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"};
  if (!severities.contains(a.compliance_severity))
    return fmt::format("ValidationException: ComplianceSeverity '{}' must be one of CRITICAL, HIGH, MEDIUM, LOW, "
                       "UNSPECIFIED",
                       a.compliance_severity);
  if (a.sync_compliance != "AUTO" && a.sync_compliance != "MANUAL")
    return fmt::format("ValidationException: SyncCompliance '{}' must be AUTO or MANUAL", a.sync_compliance);
  if (!valid_rate_control(a.max_concurrency, false))
    return fmt::format("ValidationException: MaxConcurrency '{}' must be a number (1 or more) or a percentage",
                       a.max_concurrency);
  if (!valid_rate_control(a.max_errors, true))
    return fmt::format("ValidationException: MaxErrors '{}' must be a number or a percentage", a.max_errors);
  return std::nullopt;
}

std::optional<std::string> check_schedule_fields(const Association& a) {
  std::optional<Schedule> parsed;
  if (!a.schedule_expression.empty()) {
    if (a.schedule_expression.size() > 256)
      return std::string("InvalidSchedule: ScheduleExpression must be at most 256 characters");
    auto s = parse(a.schedule_expression, Kind::association);
    if (!s) return "InvalidSchedule: " + s.error().message;
    parsed = *s;
  }
  const bool is_rate = parsed && std::holds_alternative<Rate>(parsed->form);
  if (a.apply_only_at_cron_interval && is_rate)
    return std::string("InvalidSchedule: ApplyOnlyAtCronInterval is not supported for rate expressions");
  if (a.apply_only_at_cron_interval && !parsed)
    return std::string("InvalidSchedule: ApplyOnlyAtCronInterval needs a ScheduleExpression");
  if (a.schedule_offset != 0) {
    if (!a.apply_only_at_cron_interval)
      return std::string("ValidationException: ScheduleOffset needs ApplyOnlyAtCronInterval");
    if (auto problem = check_offset(*parsed, a.schedule_offset)) return "InvalidSchedule: " + problem->message;
  }
  if (a.duration != 0) {
    if (a.duration < 1 || a.duration > 24)
      return fmt::format("ValidationException: Duration {} must be between 1 and 24 hours", a.duration);
    if (!a.apply_only_at_cron_interval)
      return std::string("ValidationException: Duration needs ApplyOnlyAtCronInterval");
  }
  return std::nullopt;
}

std::optional<std::string> check_parameters(const Association& a) {
  if (!a.parameters.is_object()) return std::string("InvalidParameters: Parameters must be a map of name to values");
  for (const auto& [key, value] : a.parameters.items()) {
    if (key.empty()) return std::string("InvalidParameters: a parameter name is empty");
    if (!value.is_array()) return fmt::format("InvalidParameters: parameter '{}' must be a list of strings", key);
    for (const auto& v : value)
      if (!v.is_string()) return fmt::format("InvalidParameters: parameter '{}' must be a list of strings", key);
  }
  return std::nullopt;
}

// The fire times of a schedule in (from, now]: at most `keep` of the latest are kept; the
// last kept one is the latest. `base_out` is the cron (or rate) time of the latest one,
// which the next question counts from.
std::deque<SysSeconds> fires_between(const Schedule& s, const Association& a, const RunState& state, SysSeconds from,
                                     SysSeconds now, size_t keep, SysSeconds& base_out) {
  std::deque<SysSeconds> fires;
  Zone utc = *find_time_zone("");
  if (const auto* rate = std::get_if<Rate>(&s.form)) {
    // Rate intervals count from the create time: fires at anchor + k * interval.
    const SysSeconds anchor = state.anchor.value_or(from);
    if (now <= from || rate->interval.count() <= 0) return fires;
    const long long first_k = (from - anchor) / rate->interval + 1;
    const long long last_k = (now - anchor) / rate->interval;
    const long long start_k = std::max(first_k, last_k - static_cast<long long>(keep) + 1);
    for (long long k = start_k; k <= last_k; ++k) fires.push_back(anchor + k * rate->interval);
    if (!fires.empty()) base_out = fires.back();
    return fires;
  }
  SysSeconds cursor = from;
  for (int guard = 0; guard < 1000000; ++guard) {
    auto base = next_after(s, cursor, utc, 0);
    if (!base) break;
    SysSeconds fire = *base;
    if (a.schedule_offset != 0) fire = next_after(s, *base - chr::seconds(1), utc, a.schedule_offset).value_or(*base);
    if (fire > now) break;
    fires.push_back(fire);
    if (fires.size() > keep) fires.pop_front();
    base_out = *base;
    cursor = *base;
  }
  return fires;
}

} // namespace

std::optional<std::string> check_association(const Association& a) {
  if (a.name.empty()) return std::string("ValidationException: Name (the document) is required");
  if (!a.association_name.empty() && !valid_association_name(a.association_name))
    return fmt::format("ValidationException: AssociationName '{}' must match ^[a-zA-Z0-9_\\-.]{{3,128}}$",
                       a.association_name);
  if (a.targets.empty()) return std::string("InvalidTarget: Targets are required (for example -t all)");
  if (a.targets.size() > 5) return std::string("InvalidTarget: an association has at most 5 Targets");
  if (auto problem = check_enums(a)) return problem;
  if (auto problem = check_schedule_fields(a)) return problem;
  return check_parameters(a);
}

bool edit_reruns(const Association& before, const Association& after) {
  return before.document_version != after.document_version || before.name != after.name ||
         before.parameters != after.parameters || before.schedule_expression != after.schedule_expression ||
         before.output_s3_bucket_name != after.output_s3_bucket_name ||
         before.output_s3_key_prefix != after.output_s3_key_prefix ||
         before.output_s3_region != after.output_s3_region;
}

std::optional<Schedule> association_schedule(const Association& a) {
  if (a.schedule_expression.empty()) return std::nullopt;
  auto s = parse(a.schedule_expression, Kind::association);
  if (!s) return std::nullopt;
  return *s;
}

DueAnswer decide_due(const Association& a, const RunState& state, const DueQuestion& q, size_t max_missed) {
  DueAnswer answer;
  answer.next_schedule_from = state.schedule_from;
  if (auto s = association_schedule(a)) {
    const SysSeconds from = state.schedule_from.value_or(q.now);
    SysSeconds base = from;
    std::deque<SysSeconds> fires = fires_between(*s, a, state, from, q.now, max_missed + 1, base);
    if (!fires.empty()) {
      answer.fire_time = fires.back();
      fires.pop_back();
      answer.missed.assign(fires.begin(), fires.end());
      answer.next_schedule_from = base;
      answer.full_run = true;
      answer.reason = "scheduled";
    }
  }
  if (!answer.full_run && state.run_requested) {
    answer.full_run = true;
    answer.reason = "requested";
  }
  if (!answer.full_run && state.has_run && q.parameters_digest != state.parameters_digest) {
    answer.full_run = true;
    answer.reason = "Parameter Store values changed";
  }
  if (answer.full_run) {
    answer.hosts = q.target_hosts;
    return answer;
  }
  // Between runs: hosts that never got it (Pending) and hosts new to the targets.
  if (!state.has_run) return answer;
  bool any_new = false;
  for (const std::string& host : q.target_hosts) {
    auto it = q.host_states.find(host);
    if (it == q.host_states.end()) any_new = true;
    if (it == q.host_states.end() || it->second.status == "Pending") answer.hosts.push_back(host);
  }
  if (!answer.hosts.empty()) answer.reason = any_new ? "new or pending hosts" : "pending hosts";
  return answer;
}

HostState host_state_after(const std::string& invocation_status) {
  if (invocation_status == "Success") return {"Success", "Success"};
  if (invocation_status == "Undeliverable" || invocation_status == "DeliveryTimedOut" ||
      invocation_status == "Pending")
    return {"Pending", invocation_status};
  return {"Failed", invocation_status};
}

} // namespace sshm::schedule
