#pragma once
// State Manager associations (SSM's CreateAssociation / AssociationDescription): the
// definition, its checks, and when it is due. Pure: every question takes the time it is
// asked at and the facts it needs; nothing here reads the clock, the store or the network.
#include "schedule/schedule.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sshm::schedule {

// The fields of CreateAssociation that sshm keeps. Targets are sshm's -t expressions
// (every form sshm has; SSM's Key=...,Values=... among them).
struct Association {
  std::string association_id;    // AssociationId, a UUID
  std::string association_name;  // AssociationName, ^[a-zA-Z0-9_\-.]{3,128}$
  std::string name;              // Name: the document
  std::string document_version = "$DEFAULT";
  nlohmann::json parameters = nlohmann::json::object();  // name -> list of strings, as SSM
  std::vector<std::string> targets;
  std::string schedule_expression;  // "" runs only on create, edits and start-once
  int schedule_offset = 0;          // days, 1-6; needs ApplyOnlyAtCronInterval
  bool apply_only_at_cron_interval = false;
  std::string max_concurrency;      // "" is SSM's default (all at once)
  std::string max_errors;           // "" is SSM's default (no threshold)
  std::string compliance_severity = "UNSPECIFIED";
  std::string sync_compliance = "AUTO";
  std::string output_s3_bucket_name;
  std::string output_s3_key_prefix;
  std::string output_s3_region;
  int duration = 0;                 // hours, 1-24; needs ApplyOnlyAtCronInterval
  int association_version = 1;
  std::string date;                 // the creation time (ISO 8601)
  std::string last_update_association_date;
};

// Checks a definition as CreateAssociation / UpdateAssociation would. The message starts
// with SSM's exception name: "InvalidSchedule: ...", "InvalidParameters: ...",
// "ValidationException: ...". Empty when it is fine.
std::optional<std::string> check_association(const Association& a);

// Whether an update changes what a run does, so it runs again (SSM: edits to the document
// version, parameters, schedule or output location).
bool edit_reruns(const Association& before, const Association& after);

// The association's schedule, parsed (nullopt when it has none). Throws nothing: the
// definition was checked when stored.
std::optional<Schedule> association_schedule(const Association& a);

// What a host's state is for one association between runs: Success and Failed are final
// for the interval; Pending means it never got the association (unreachable) and is retried.
struct HostState {
  std::string status;  // Pending, Success, Failed
  std::string detailed_status;
};

// What the tick remembers of an association between ticks.
struct RunState {
  bool run_requested = false;  // created (unless ApplyOnlyAtCronInterval), edited, start-once
  bool has_run = false;        // it ran at least once
  std::optional<SysSeconds> schedule_from;  // fire times after this are still to come
  std::optional<SysSeconds> anchor;         // what rate intervals count from (the create time)
  std::string parameters_digest;           // of the Parameter Store values it ran with
};

// Everything a tick knows when it asks whether an association is due.
struct DueQuestion {
  SysSeconds now;
  std::vector<std::string> target_hosts;        // the hosts its targets select now
  std::map<std::string, HostState> host_states; // per host, from earlier runs
  std::string parameters_digest;               // of the referenced values now ("" when none)
};

// The answer: which hosts run now and why, and the fire times passed over.
struct DueAnswer {
  bool full_run = false;               // every target host runs (a new interval)
  std::vector<std::string> hosts;      // the hosts to run on now, in target order
  std::string reason;                  // "created", "scheduled", "pending hosts", ...
  std::optional<SysSeconds> fire_time; // the scheduled time this run is for
  std::vector<SysSeconds> missed;      // earlier fire times that will not run (controller off)
  std::optional<SysSeconds> next_schedule_from;  // the RunState.schedule_from after this tick
};

// Decides what of an association is due at q.now. Scheduled fire times after
// state.schedule_from up to now run once (the latest), the others are missed; create, edit,
// start-once and changed Parameter Store values run every target host; otherwise hosts
// still Pending and hosts that newly match the targets run. At most `max_missed` missed
// times are listed.
DueAnswer decide_due(const Association& a, const RunState& state, const DueQuestion& q, size_t max_missed = 1000);

// The state of a host after one run, from its Run Command status: a host that never got the
// command (Undeliverable, DeliveryTimedOut, Cancelled before start) stays Pending.
HostState host_state_after(const std::string& invocation_status);

} // namespace sshm::schedule
