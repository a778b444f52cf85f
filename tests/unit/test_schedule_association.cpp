// State Manager associations: CreateAssociation's checks and when an association runs,
// driven tick by tick through simulated time with a FakeClock.
#include "schedule/association.hpp"

#include "fake_clock.hpp"
#include "util/time.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>

using namespace sshm::schedule;
using sshm::test::FakeClock;

namespace {

Association make(const std::string& schedule, bool apply_only = false) {
  Association a;
  a.association_id = "11111111-2222-3333-4444-555555555555";
  a.association_name = "nightly";
  a.name = "AWS-RunShellScript";
  a.targets = {"all"};
  a.schedule_expression = schedule;
  a.apply_only_at_cron_interval = apply_only;
  return a;
}

// What `sshm tick` keeps between ticks, and what it did: the same updates as the tick's
// claim and record steps, with hosts reachable or not as the test says.
struct Simulation {
  Association assoc;
  RunState state;
  std::map<std::string, HostState> hosts;
  std::vector<std::string> targets = {"web-1", "web-2", "web-3"};
  std::set<std::string> down;
  int runs = 0;
  size_t missed = 0;
  std::map<std::string, int> runs_per_host;
  std::string digest;

  Simulation(Association a, SysSeconds created) : assoc(std::move(a)) {
    state.run_requested = !assoc.apply_only_at_cron_interval;
    state.anchor = created;
    state.schedule_from = created;
  }

  void tick(SysSeconds now) {
    DueQuestion q{now, targets, hosts, digest};
    DueAnswer due = decide_due(assoc, state, q);
    missed += due.missed.size();
    state.schedule_from = due.next_schedule_from;
    if (due.hosts.empty()) return;
    ++runs;
    state.run_requested = false;
    state.has_run = true;
    state.parameters_digest = digest;
    for (const auto& h : due.hosts) {
      HostState st = host_state_after(down.contains(h) ? "Undeliverable" : "Success");
      hosts[h] = st;
      if (st.status == "Success") ++runs_per_host[h];
    }
  }
};

SysSeconds utc(const char* text) { return std::chrono::floor<std::chrono::seconds>(sshm::parse_iso8601(text)); }
SysSeconds now_of(const FakeClock& c) { return std::chrono::floor<std::chrono::seconds>(c.now()); }

} // namespace

TEST_CASE("rate(30 minutes) over a simulated day of minute ticks runs 48 times") {
  FakeClock clock(sshm::SystemTime{utc("2026-03-01T00:00:00Z")});
  Simulation sim(make("rate(30 minutes)"), now_of(clock));
  for (int minute = 0; minute < 24 * 60; ++minute) {
    sim.tick(now_of(clock));
    clock.advance(std::chrono::minutes(1));
  }
  CHECK(sim.runs == 48);
  CHECK(sim.missed == 0);
  CHECK(sim.runs_per_host["web-2"] == 48);
}

TEST_CASE("a host down for the first 3 runs gets it on the 4th and is never run twice in an interval") {
  FakeClock clock(sshm::SystemTime{utc("2026-03-01T00:00:00Z")});
  Simulation sim(make("cron(0 2 * * ? *)", true), now_of(clock));
  sim.down = {"web-3"};
  // Run 1 is the cron time: web-1 and web-2 get it; web-3 stays Pending and runs 2 and 3
  // (the next two ticks) retry it there alone, still down.
  clock.set(sshm::SystemTime{utc("2026-03-01T02:00:00Z")});
  sim.tick(now_of(clock));
  CHECK(sim.hosts["web-3"].status == "Pending");
  CHECK(sim.hosts["web-3"].detailed_status == "Undeliverable");
  for (int i = 0; i < 2; ++i) {
    clock.advance(std::chrono::minutes(1));
    sim.tick(now_of(clock));
  }
  CHECK(sim.runs == 3);
  CHECK(sim.runs_per_host["web-1"] == 1);
  CHECK(sim.runs_per_host["web-3"] == 0);
  // It comes back: run 4 reaches it, and only it.
  sim.down.clear();
  clock.advance(std::chrono::minutes(1));
  sim.tick(now_of(clock));
  CHECK(sim.runs == 4);
  CHECK(sim.runs_per_host["web-3"] == 1);
  CHECK(sim.runs_per_host["web-1"] == 1);
  // Nothing more until the next cron time, then every host once.
  for (int i = 0; i < 60; ++i) {
    clock.advance(std::chrono::minutes(1));
    sim.tick(now_of(clock));
  }
  CHECK(sim.runs == 4);
  clock.set(sshm::SystemTime{utc("2026-03-02T02:00:00Z")});
  sim.tick(now_of(clock));
  CHECK(sim.runs == 5);
  CHECK(sim.runs_per_host["web-1"] == 2);
  CHECK(sim.runs_per_host["web-3"] == 2);
}

TEST_CASE("a failed host is not retried before the next interval; a new host gets it at the next tick") {
  FakeClock clock(sshm::SystemTime{utc("2026-03-01T00:00:00Z")});
  Simulation sim(make("rate(1 day)"), now_of(clock));
  sim.tick(now_of(clock));
  sim.hosts["web-2"] = host_state_after("Failed");
  clock.advance(std::chrono::minutes(1));
  sim.tick(now_of(clock));
  CHECK(sim.runs == 1);
  sim.targets.push_back("web-4");
  clock.advance(std::chrono::minutes(1));
  sim.tick(now_of(clock));
  CHECK(sim.runs == 2);
  CHECK(sim.runs_per_host["web-4"] == 1);
  CHECK(sim.runs_per_host["web-1"] == 1);
}

TEST_CASE("missed fire times while no tick ran: one run, the others reported missed") {
  FakeClock clock(sshm::SystemTime{utc("2026-03-01T00:00:00Z")});
  Simulation sim(make("rate(30 minutes)"), now_of(clock));
  sim.tick(now_of(clock));
  CHECK(sim.runs == 1);
  clock.advance(std::chrono::hours(5) + std::chrono::minutes(10));  // 10 fire times passed
  sim.tick(now_of(clock));
  CHECK(sim.runs == 2);
  CHECK(sim.missed == 9);
  clock.advance(std::chrono::minutes(1));
  sim.tick(now_of(clock));
  CHECK(sim.runs == 2);
}

TEST_CASE("ApplyOnlyAtCronInterval: no run on create, the first run at the cron time") {
  FakeClock clock(sshm::SystemTime{utc("2026-03-01T10:00:00Z")});
  Simulation sim(make("cron(0 12 * * ? *)", true), now_of(clock));
  for (int i = 0; i < 120; ++i) {
    sim.tick(now_of(clock));
    clock.advance(std::chrono::minutes(1));
  }
  CHECK(sim.runs == 0);
  sim.tick(now_of(clock));  // 12:00
  CHECK(sim.runs == 1);

  Simulation eager(make("cron(0 12 * * ? *)", false), utc("2026-03-01T10:00:00Z"));
  eager.tick(utc("2026-03-01T10:00:00Z"));
  CHECK(eager.runs == 1);
}

TEST_CASE("changed Parameter Store values run it again at the next tick") {
  Simulation sim(make("rate(1 day)"), utc("2026-03-01T00:00:00Z"));
  sim.digest = "aaa";
  sim.tick(utc("2026-03-01T00:00:00Z"));
  sim.tick(utc("2026-03-01T00:01:00Z"));
  CHECK(sim.runs == 1);
  sim.digest = "bbb";
  sim.tick(utc("2026-03-01T00:02:00Z"));
  CHECK(sim.runs == 2);
  CHECK(sim.runs_per_host["web-1"] == 2);
}

TEST_CASE("CreateAssociation checks with SSM's error names") {
  Association a = make("rate(30 minutes)");
  CHECK_FALSE(check_association(a).has_value());
  a.association_name = "ab";
  CHECK(check_association(a).value().rfind("ValidationException: AssociationName", 0) == 0);
  a = make("rate(1 hours)");
  CHECK(check_association(a).value().rfind("InvalidSchedule:", 0) == 0);
  a = make("rate(30 minutes)", true);
  CHECK(check_association(a).value() == "InvalidSchedule: ApplyOnlyAtCronInterval is not supported for rate expressions");
  a = make("cron(0 2 ? * THU#3 *)");
  a.schedule_offset = 2;
  CHECK(check_association(a).value() == "ValidationException: ScheduleOffset needs ApplyOnlyAtCronInterval");
  a.apply_only_at_cron_interval = true;
  CHECK_FALSE(check_association(a).has_value());
  a.duration = 25;
  CHECK(check_association(a).value().find("Duration 25") != std::string::npos);
  a = make("rate(30 minutes)");
  a.compliance_severity = "SEVERE";
  CHECK(check_association(a).value().rfind("ValidationException: ComplianceSeverity", 0) == 0);
  a = make("rate(30 minutes)");
  a.parameters = {{"commands", "echo"}};
  CHECK(check_association(a).value().rfind("InvalidParameters:", 0) == 0);
  a = make("rate(30 minutes)");
  a.max_concurrency = "0";
  CHECK(check_association(a).has_value());
}

TEST_CASE("edits that change what a run does run it again; others do not") {
  Association a = make("rate(30 minutes)");
  Association b = a;
  b.compliance_severity = "HIGH";
  CHECK_FALSE(edit_reruns(a, b));
  b.parameters = {{"commands", {"echo hi"}}};
  CHECK(edit_reruns(a, b));
  b = a;
  b.output_s3_bucket_name = "bucket";
  CHECK(edit_reruns(a, b));
}
