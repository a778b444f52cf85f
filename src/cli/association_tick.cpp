// The associations part of `sshm tick`: for each association, decide what is due (the
// rules of SSM's "About State Manager": on create, on schedule, after edits, StartAssociationsOnce,
// nodes that come back online, changed Parameter Store values), run it through the Run
// Command engine, and record the execution, its targets, each host's status and compliance.
#include "aws/http.hpp"
#include "cli/associations.hpp"
#include "cli/global_options.hpp"
#include "cli/run.hpp"
#include "cli/tick_lock.hpp"
#include "params/crypto.hpp"
#include "params/resolver.hpp"
#include "store/association_tables.hpp"
#include "store/compliance_tables.hpp"
#include "util/error.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>

namespace sshm::cli {

namespace {

namespace chr = std::chrono;

schedule::SysSeconds seconds_of(SystemTime t) { return chr::floor<chr::seconds>(t); }

std::string iso(schedule::SysSeconds t) { return iso8601_s(SystemTime{t}); }

std::optional<schedule::SysSeconds> parse_stored_time(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return seconds_of(parse_iso8601(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A digest of the Parameter Store values the association's document and parameters refer
// to ({{ssm:NAME}}), through the same resolver `sshm run` uses; never the values themselves.
// "" when nothing is referenced.
std::string parameters_digest(const GlobalOptions& g, const documents::Document& doc, const nlohmann::json& params) {
  static const std::regex reference("\\{\\{\\s*ssm:([^}\\s]+)\\s*\\}\\}");
  std::set<std::string> names;
  for (const std::string& text : {doc.source_text, params.dump()})
    for (auto it = std::sregex_iterator(text.begin(), text.end(), reference); it != std::sregex_iterator(); ++it)
      names.insert((*it)[1].str());
  if (names.empty()) return "";
  params::SsmLookup lookup = params::make_local_ssm_resolver(state_dir(g) / "params.db", params::default_key_file());
  std::string material;
  for (const std::string& name : names) {
    try {
      material += name + "=" + lookup(name, true).dump() + "\n";
    } catch (const std::exception& e) {
      material += name + " unresolved: " + e.what() + "\n";
    }
  }
  return aws::sha256_hex(material);
}

// The hosts the association's targets select now; none (rather than an error) when no host
// matches, as SSM's associations wait for matching nodes.
std::vector<std::string> target_hosts(const GlobalOptions& g, const fleet::Inventory& inv,
                                      const schedule::Association& a) {
  TargetOptions t;
  t.targets = a.targets;
  std::vector<std::string> names;
  try {
    for (const fleet::Host* h : select(g, inv, t)) names.push_back(h->name);
  } catch (const InputError&) {
  }
  return names;
}

schedule::RunState run_state_of(const store::AssociationRow& row) {
  schedule::RunState st;
  st.run_requested = row.run_requested;
  st.has_run = row.has_run;
  st.schedule_from = parse_stored_time(row.schedule_from);
  st.anchor = parse_stored_time(row.anchor);
  st.parameters_digest = row.parameters_digest;
  return st;
}

// The missed fire times, recorded as executions SSM never made (Status Skipped), so
// `associations executions` shows them.
void record_skipped(store::Store& store, const store::AssociationRow& row,
                    const std::vector<schedule::SysSeconds>& times, const std::string& why) {
  for (schedule::SysSeconds t : times) {
    store::AssociationExecutionRow e;
    e.association_id = row.association_id;
    e.association_version = row.association_version;
    e.execution_id = new_uuid();
    e.status = "Skipped";
    e.detailed_status = why;
    e.created_time = iso(t);
    e.trigger = "scheduled";
    store::save_association_execution(store, e);
  }
}

std::string display_name(const store::AssociationRow& row) {
  return row.association_name.empty() ? row.association_id : row.association_name;
}

// An execution left InProgress while no process holds the association's lock was cut short
// (the tick was killed, the machine stopped): it is Failed, and says so.
void close_interrupted(const TickContext& ctx, const std::string& id) {
  for (auto& e : store::list_association_executions(ctx.store, id, 20)) {
    if (e.status != "InProgress") continue;
    e.status = "Failed";
    e.detailed_status = "Interrupted";
    store::save_association_execution(ctx.store, e);
  }
}

// What one claimed run is to do.
struct Claim {
  store::AssociationRow row;
  schedule::Association assoc;
  documents::Document doc;
  std::vector<std::string> hosts;
  store::AssociationExecutionRow execution;
};

// Under the tick lock: decides what is due, records missed and skipped times, and claims the
// run (an InProgress execution, the run memory moved on). Returns whether there is a run.
bool claim_due(const TickContext& ctx, const fleet::Inventory& inv, const std::string& id, bool running_elsewhere,
               Claim& claim, int& actions) {
  auto row = store::find_association(ctx.store, id);
  if (!row) return false;  // deleted meanwhile
  if (!running_elsewhere) close_interrupted(ctx, id);
  claim.row = *row;
  claim.assoc = association_from_definition(row->definition);
  claim.doc = documents::load(claim.assoc.name);
  schedule::DueQuestion q;
  q.now = seconds_of(ctx.clock.now());
  q.target_hosts = target_hosts(ctx.global, inv, claim.assoc);
  for (const auto& h : store::list_association_hosts(ctx.store, id)) q.host_states[h.resource_id] = {h.status, h.detailed_status};
  q.parameters_digest = parameters_digest(ctx.global, claim.doc, claim.assoc.parameters);
  schedule::DueAnswer due = schedule::decide_due(claim.assoc, run_state_of(*row), q);
  const std::string name = display_name(*row);

  if (!due.missed.empty()) {
    record_skipped(ctx.store, *row, due.missed, "MissedWhileStopped");
    ctx.log.line(fmt::format("association {}: {} scheduled time(s) missed while no tick ran ({} to {}); runs once now",
                             name, due.missed.size(), iso(due.missed.front()), iso(due.missed.back())));
    ++actions;
  }
  if (running_elsewhere) {
    // Never two runs at once: a new scheduled time is skipped; requests and Pending hosts wait.
    if (due.fire_time) {
      record_skipped(ctx.store, *row, {*due.fire_time}, "PreviousExecutionStillRunning");
      ctx.log.line(fmt::format("association {}: skipped the run due at {}: its previous execution is still running",
                               name, iso(*due.fire_time)));
      row->schedule_from = due.next_schedule_from ? iso(*due.next_schedule_from) : "";
      store::save_association(ctx.store, *row, false);
      ++actions;
    }
    return false;
  }
  if (due.hosts.empty()) {
    // A request (create, edit, start-once) waits for hosts to match; a scheduled time passes.
    const std::string from = due.next_schedule_from ? iso(*due.next_schedule_from) : "";
    if (due.fire_time)
      ctx.log.line(fmt::format("association {}: due at {} but its targets match no host", name, iso(*due.fire_time)));
    if (from != row->schedule_from) {
      row->schedule_from = from;
      store::save_association(ctx.store, *row, false);
    }
    return false;
  }

  claim.hosts = due.hosts;
  claim.execution.association_id = id;
  claim.execution.association_version = row->association_version;
  claim.execution.execution_id = new_uuid();
  claim.execution.status = "InProgress";
  claim.execution.detailed_status = "InProgress";
  claim.execution.created_time = iso8601_ms(ctx.clock.now());
  claim.execution.trigger = due.reason == "requested" ? row->request_reason : due.reason;
  store::save_association_execution(ctx.store, claim.execution);

  row->run_requested = false;
  row->request_reason.clear();
  row->has_run = true;
  row->schedule_from = due.next_schedule_from ? iso(*due.next_schedule_from) : "";
  row->parameters_digest = q.parameters_digest;
  row->last_execution_date = claim.execution.created_time;
  store::save_association(ctx.store, *row, false);
  claim.row = *row;
  ctx.log.line(fmt::format("association {}: started ({}) on {} host(s), execution {}", name, claim.execution.trigger,
                           claim.hosts.size(), claim.execution.execution_id));
  return true;
}

// Keeps what the run engine reports, and prints nothing: the tick logs one line per run.
class CollectObserver final : public CliRunObserver {
public:
  explicit CollectObserver(std::vector<store::InvocationRecord>& out) : m_out(out) {}
  void finish(const engine::RunResult& result) override { m_out = result.invocations; }
  std::optional<int> exit_code(const engine::RunResult&) const override { return k_exit_ok; }

private:
  std::vector<store::InvocationRecord>& m_out;
};

// SyncCompliance AUTO: one Association compliance item per host that ran (SSM's
// PutComplianceItems for the association: COMPLIANT on success, else NON_COMPLIANT).
void record_association_compliance(store::Store& store, const schedule::Association& a, const std::string& execution_id,
                                   const std::string& time, const std::vector<store::AssociationHostRow>& hosts) {
  if (a.sync_compliance != "AUTO") return;
  for (const auto& h : hosts) {
    if (h.status == "Pending") continue;
    store::ComplianceItem item;
    item.id = a.association_id;
    item.title = a.association_name.empty() ? a.name : a.association_name;
    item.status = h.status == "Success" ? "COMPLIANT" : "NON_COMPLIANT";
    item.severity = a.compliance_severity;
    item.details = {{"DocumentName", a.name}, {"DocumentVersion", a.document_version}};
    store::put_compliance_items(store, h.resource_id, "Association", execution_id, time, {item}, false);
  }
}

// Runs the claimed hosts as one Run Command; every invocation's status as a host status.
std::vector<store::InvocationRecord> run_claim(const TickContext& ctx, Claim& claim) {
  std::vector<store::InvocationRecord> invocations;
  FrontEndRun run;
  run.loaded = claim.doc;
  run.values = documents::typed_parameters(claim.doc, claim.assoc.parameters,
                                           "association " + display_name(claim.row) + " Parameters");
  run.targets.targets = {join(claim.hosts, ",")};
  run.max_concurrency = claim.assoc.max_concurrency.empty() ? "100%" : claim.assoc.max_concurrency;
  run.max_errors = claim.assoc.max_errors.empty() ? "100%" : claim.assoc.max_errors;
  run.sinks.s3_bucket = claim.assoc.output_s3_bucket_name;
  run.sinks.s3_prefix = claim.assoc.output_s3_key_prefix;
  if (!claim.assoc.output_s3_region.empty()) run.sinks.aws.region = claim.assoc.output_s3_region;
  run.comment = fmt::format("association {}", claim.assoc.association_id).substr(0, 100);
  // Duration: SSM cancels the association's commands once it has run this many hours.
  run.deadline = std::chrono::hours(claim.assoc.duration);
  run.make_observer = [&invocations](size_t) { return std::make_unique<CollectObserver>(invocations); };
  run.on_command_id = [&](const std::string& command_id) {
    claim.execution.command_id = command_id;
    store::save_association_execution(ctx.store, claim.execution);
  };
  run_front_end(ctx.global, run);
  return invocations;
}

// Records the outcome: targets, host statuses, the execution's counts, compliance.
void record_outcome(const TickContext& ctx, Claim& claim, const std::vector<store::InvocationRecord>& invocations) {
  std::vector<store::AssociationExecutionTargetRow> targets;
  std::vector<store::AssociationHostRow> hosts;
  std::map<std::string, int> counts;
  const std::string now = iso8601_ms(ctx.clock.now());
  for (const auto& inv : invocations) {
    schedule::HostState st = schedule::host_state_after(inv.status);
    targets.push_back({claim.row.association_id, claim.row.association_version, claim.execution.execution_id,
                       inv.instance_id, st.status, st.detailed_status, now, inv.command_id});
    hosts.push_back({claim.row.association_id, inv.instance_id, st.status, st.detailed_status, now});
    ++counts[st.status];
  }
  store::save_association_targets(ctx.store, targets, hosts);
  const bool all_ok = !invocations.empty() && counts["Success"] == static_cast<int>(invocations.size());
  claim.execution.status = all_ok ? "Success" : "Failed";
  claim.execution.detailed_status = all_ok ? "Success" : (counts["Failed"] > 0 ? "Failed" : "Pending");
  claim.execution.last_execution_date = now;
  for (const auto& [k, v] : counts)
    if (v > 0) claim.execution.resource_count_by_status[k] = v;
  store::save_association_execution(ctx.store, claim.execution);
  if (all_ok) {
    if (auto row = store::find_association(ctx.store, claim.row.association_id)) {
      row->last_successful_execution_date = now;
      store::save_association(ctx.store, *row, false);
    }
  }
  record_association_compliance(ctx.store, claim.assoc, claim.execution.execution_id, now, hosts);
  std::string summary;
  for (const auto& [k, v] : counts)
    if (v > 0) summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", v, k);
  ctx.log.line(fmt::format("association {}: finished {}: {} (command {})", display_name(claim.row),
                           claim.execution.status, summary, claim.execution.command_id));
}

// One association: its own lock (held while it runs), the tick lock while deciding.
int tick_one(const TickContext& ctx, const fleet::Inventory& inv, const std::string& id) {
  const std::filesystem::path locks = state_dir(ctx.global) / "locks";
  std::error_code ec;
  std::filesystem::create_directories(locks, ec);
  FileLock mine(locks / ("association-" + id + ".lock"), false);
  Claim claim;
  int actions = 0;
  {
    FileLock tick(locks / "tick.lock", true);
    if (!claim_due(ctx, inv, id, !mine.held(), claim, actions)) return actions;
  }
  try {
    std::vector<store::InvocationRecord> invocations = run_claim(ctx, claim);
    record_outcome(ctx, claim, invocations);
  } catch (const std::exception& e) {
    claim.execution.status = "Failed";
    claim.execution.detailed_status = std::string("ExecutionError: ") + e.what();
    claim.execution.last_execution_date = iso8601_ms(ctx.clock.now());
    store::save_association_execution(ctx.store, claim.execution);
    ctx.log.line(fmt::format("association {}: failed: {}", display_name(claim.row), e.what()));
  }
  return actions + 1;
}

} // namespace

int tick_associations(const TickContext& ctx) {
  std::vector<store::AssociationRow> rows = store::list_associations(ctx.store);
  if (rows.empty()) return 0;
  const fleet::Inventory inv = load_inventory(ctx.global);
  int actions = 0;
  for (const auto& row : rows) {
    try {
      actions += tick_one(ctx, inv, row.association_id);
    } catch (const InputError& e) {
      // One broken association (its document gone, a bad parameter) never stops the others.
      ctx.log.line(fmt::format("association {}: not run: {}", display_name(row), e.formatted()));
    }
  }
  return actions;
}

} // namespace sshm::cli
