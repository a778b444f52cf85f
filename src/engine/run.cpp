#include "engine/run.hpp"

#include "plugins/executor.hpp"
#include "engine/builtin_plugins.hpp"
#include "engine/rate.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/terminal_safe.hpp"
#include "util/time.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace sshm::engine {

namespace {

std::string now_iso() { return iso8601_ms(std::chrono::system_clock::now()); }

// Says something to the user on stderr, a whole line at a time (from any thread).
void say(const std::string& line) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fputs(("sshm: " + line + "\n").c_str(), stderr);
  std::fflush(stderr);
}

// The store's writes for one run, from one thread, so they stay out of the workers' hot path:
// finished invocations in batches, and starts, which a worker waits for (a group commit) so
// that a host is known to have started before its command is sent. A write that fails is
// remembered, never thrown into a worker: the run marks what it lost at the end.
class BatchWriter {
public:
  BatchWriter(store::Store& store, std::vector<store::InvocationRecord>& invocations)
      : m_store(store), m_invocations(invocations), m_start_failed(invocations.size(), 0),
        m_thread([this] { loop(); }) {}
  ~BatchWriter() { finish(); }

  void done(size_t index) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_queue.push_back(index);
    if (m_queue.size() >= 256) m_cv.notify_one();
  }

  // Records that invocation `index` starts (its row as it is now) and waits until the store
  // has it; false when the store could not record it (then the host must not run).
  bool started(size_t index) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_starts.push_back(index);
    const unsigned long long mine = m_start_batch;
    m_cv.notify_one();
    m_started_cv.wait(lock, [&] { return m_start_committed >= mine; });
    return m_start_failed[index] == 0;
  }

  void finish() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (m_finished) return;
      m_finished = true;
    }
    m_cv.notify_one();
    m_thread.join();
  }

  // After finish(): finished invocations whose rows could not be saved, and why.
  const std::vector<size_t>& lost() const { return m_lost; }
  const std::string& error() const { return m_error; }

private:
  // Saves rows; on failure remembers the first error and returns false.
  bool save(const std::vector<store::InvocationRecord>& rows) {
    try {
      m_store.save_invocations(rows);
      return true;
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (m_error.empty()) m_error = e.what();
      return false;
    }
  }

  void loop() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (true) {
      m_cv.wait_for(lock, std::chrono::milliseconds(250),
                    [&] { return m_finished || m_queue.size() >= 256 || !m_starts.empty(); });
      std::vector<size_t> starts, batch;
      starts.swap(m_starts);
      batch.swap(m_queue);
      const unsigned long long start_batch = m_start_batch++;
      bool last = m_finished;
      lock.unlock();
      // A starting worker waits for its row, and does not touch it meanwhile.
      if (!starts.empty()) {
        std::vector<store::InvocationRecord> rows;
        for (size_t i : starts) rows.push_back(m_invocations[i]);
        if (!save(rows)) {
          std::lock_guard<std::mutex> guard(m_mutex);
          for (size_t i : starts) m_start_failed[i] = 1;
        }
      }
      lock.lock();
      m_start_committed = start_batch;
      m_started_cv.notify_all();
      lock.unlock();
      if (!batch.empty()) {
        // Each index is finished: no worker writes it any more.
        std::vector<store::InvocationRecord> rows;
        rows.reserve(batch.size());
        for (size_t i : batch) rows.push_back(m_invocations[i]);
        if (!save(rows)) m_lost.insert(m_lost.end(), batch.begin(), batch.end());
      }
      lock.lock();
      if (last && m_queue.empty() && m_starts.empty()) return;
    }
  }

  store::Store& m_store;
  std::vector<store::InvocationRecord>& m_invocations;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::condition_variable m_started_cv;
  std::vector<size_t> m_queue;
  std::vector<size_t> m_starts;
  unsigned long long m_start_batch = 1;      // the batch of starts being collected
  unsigned long long m_start_committed = 0;  // the last batch of starts written (or failed)
  std::vector<char> m_start_failed;
  std::vector<size_t> m_lost;
  std::string m_error;
  bool m_finished = false;
  std::thread m_thread;
};

void delivery_failure(store::InvocationRecord& inv, const ssh::Failure& f) {
  inv.failure_kind = ssh::to_string(f.kind);
  inv.failure_message = f.message;
  inv.response_code = -1;
  if (f.kind == ssh::FailureKind::cancelled) {
    inv.status = "Cancelled";
    inv.status_details = "Cancelled";
  } else if (f.kind == ssh::FailureKind::connect_timeout) {
    inv.status = "DeliveryTimedOut";
    inv.status_details = "DeliveryTimedOut";
  } else {
    inv.status = "Undeliverable";
    inv.status_details = "Undeliverable";
  }
}

} // namespace

PlannedRun plan_run(const RunRequest& request, const std::vector<store::InvocationRecord>& invocations) {
  PlannedRun out;
  const size_t n = request.targets.size();
  const int total = static_cast<int>(n);
  const store::CommandRecord& cmd = request.command;
  for (size_t i = 0; i < n; ++i) {
    if (!request.resume || (i < invocations.size() && never_started(invocations[i]))) out.todo.push_back(i);
    else if (i < invocations.size() && counts_as_error(invocations[i])) ++out.plan.initial_errors;
  }
  DispatchPlan& plan = out.plan;
  plan.targets = out.todo.size();
  // Percentages are of the command's whole target set, also when resuming.
  plan.concurrency = static_cast<size_t>(concurrency_for(cmd.max_concurrency, total));
  plan.error_threshold = error_threshold_for(cmd.max_errors, total);
  plan.ramp = request.ramp;
  plan.reserve_batch = std::clamp<size_t>(2 * plan.concurrency, 8, 256);
  plan.stop_check = request.stop_dispatch;
  for (const TagCap& tc : request.caps) {
    ConcurrencyCap cap;
    cap.tag = tc.tag;
    cap.limit = tc.limit;
    std::map<std::string, int> ids;
    cap.group_of.reserve(out.todo.size());
    for (size_t i : out.todo) {
      auto it = request.targets[i].tags.find(tc.tag);
      if (it == request.targets[i].tags.end()) {
        cap.group_of.push_back(-1);
        continue;
      }
      auto [slot, added] = ids.emplace(it->second, static_cast<int>(cap.group_names.size()));
      if (added) cap.group_names.push_back(it->second);
      cap.group_of.push_back(slot->second);
    }
    plan.caps.push_back(std::move(cap));
  }
  return out;
}

namespace {

std::string ordinal(int n) {
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    else if (n % 10 == 2) suffix = "nd";
    else if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

// "10% of 50" for a percentage, "3" for a number.
std::string spec_of(const std::string& spec, size_t targets) {
  return spec.empty() || spec.back() != '%' ? spec : fmt::format("{} of {}", spec, targets);
}

} // namespace

std::vector<std::string> describe_plan(const store::CommandRecord& cmd, size_t targets, const DispatchPlan& plan) {
  std::vector<std::string> lines;
  std::vector<size_t> waves = ramp_waves(plan.concurrency, plan.targets, plan.ramp);
  std::string ramp;
  if (plan.concurrency <= 1) ramp = "one at a time";
  else if (!plan.ramp) ramp = "no ramp (--no-ramp): all at once";
  else ramp = fmt::format("ramp {}", fmt::join(waves, ", "));
  lines.push_back(fmt::format("max-concurrency {} → {} at once; {}", spec_of(cmd.max_concurrency, targets), plan.concurrency,
                              ramp));
  std::string errors = fmt::format("max-errors {} → dispatch stops at the {} error", spec_of(cmd.max_errors, targets),
                                   ordinal(plan.error_threshold + 1));
  if (static_cast<size_t>(plan.error_threshold) + 1 > targets)
    errors += fmt::format(" (with {} targets it never stops early)", targets);
  lines.push_back(errors);
  for (const auto& cap : plan.caps) {
    std::map<std::string, size_t> sizes;
    size_t uncapped = 0;
    for (int g : cap.group_of) {
      if (g < 0) ++uncapped;
      else ++sizes[cap.group_names[static_cast<size_t>(g)]];
    }
    std::vector<std::string> groups;
    for (const auto& [value, count] : sizes) groups.push_back(fmt::format("{} ({} hosts)", value, count));
    std::string line = fmt::format("max-concurrency-per {}={} → at most {} at once per {} value: {}", cap.tag, cap.limit,
                                   cap.limit, cap.tag, groups.empty() ? "no host has the tag" : fmt::format("{}", fmt::join(groups, ", ")));
    if (uncapped > 0) line += fmt::format("; {} hosts without {} are not capped by it", uncapped, cap.tag);
    lines.push_back(line);
  }
  return lines;
}

namespace {

// What every host of one run shares.
struct RunContext {
  RunRequest& request;
  std::vector<store::InvocationRecord>& invs;
  ssh::Transport& transport;
  store::Store& store;
  std::vector<std::unique_ptr<sinks::Sink>>& sinks;
  RunObserver& observer;
  const std::atomic<bool>& cancel;
  BatchWriter& writer;
  // What aws:downloadContent fetched, shared by every host of the command.
  std::shared_ptr<plugins::ContentCache> content;
};

void fail_invocation(store::InvocationRecord& inv, const char* details, const std::string& kind,
                     const std::string& message) {
  inv.status = "Failed";
  inv.status_details = details;
  inv.failure_kind = kind;
  inv.failure_message = message;
  inv.standard_error_content += "sshm: " + message + "\n";
}

void take_document_result(store::InvocationRecord& inv, plugins::DocumentResult r) {
  inv.status = r.status;
  inv.status_details = r.status_details;
  inv.response_code = r.response_code;
  inv.standard_output_content = std::move(r.stdout_content);
  inv.standard_error_content = std::move(r.stderr_content);
  inv.plugins = std::move(r.plugins);
  if (r.connection_lost) {
    inv.failure_kind = ssh::to_string(ssh::FailureKind::dropped);
    inv.failure_message = "the connection dropped while the command ran";
  }
  if (!r.output_lost.empty()) {
    inv.failure_kind = "output";
    inv.failure_message = r.output_lost;
    // On stderr too, whatever the output format: a lost output is never a silent one.
    say(fmt::format("{}: {}", terminal_safe(inv.instance_id, false), r.output_lost));
  }
  // SSM fills the invocation's URLs only when the document has one plugin.
  if (inv.plugins.size() == 1) {
    inv.standard_output_url = inv.plugins[0].standard_output_url;
    inv.standard_error_url = inv.plugins[0].standard_error_url;
  }
}

// Connects, records the start (the host is known to have started before its command is
// sent, so a resume never runs it twice), runs the document. May throw (a plugin, a sink):
// the caller turns that into a Failed invocation.
void run_on_host(RunContext& rc, size_t i, Acknowledge& acknowledged) {
  const RunRequest& request = rc.request;
  const store::CommandRecord& cmd = request.command;
  const Target& target = request.targets[i];
  store::InvocationRecord& inv = rc.invs[i];

  ssh::Endpoint endpoint = target.endpoint;
  if (request.delivery_timeout > 0)
    endpoint.connect_timeout_s = std::min(endpoint.connect_timeout_s, request.delivery_timeout);
  auto session = rc.transport.connect(endpoint, &rc.cancel);
  acknowledged();  // delivered or not: either is an answer, and the ramp moves on
  if (!session) return delivery_failure(inv, session.error());
  inv.status = "InProgress";
  inv.status_details = "InProgress";
  inv.execution_start_date_time = now_iso();
  if (!rc.writer.started(i))
    return fail_invocation(inv, k_store_error, "store",
                           "not run: the state store could not record that it starts, so a resume could not "
                           "know whether it ran");

  auto docs = request.documents.find(target.platform);
  if (docs == request.documents.end())
    return fail_invocation(inv, k_internal_error, "internal", "no document resolved for platform " + target.platform);
  plugins::HostContext ctx;
  ctx.session = session->get();
  ctx.endpoint = &endpoint;
  ctx.tags = target.tags;
  ctx.store = &rc.store;
  ctx.command_id = cmd.command_id;
  ctx.host = target.name;
  ctx.document_name = cmd.document_name;
  ctx.platform = target.platform;
  ctx.region = request.region;
  ctx.run_as = target.run_as;
  ctx.outputs_root = rc.store.outputs_dir();
  ctx.cancel = &rc.cancel;
  ctx.execution_timeout_override = request.execution_timeout;
  for (const auto& s : request.secrets) ctx.secrets.push_back(s.value);
  ctx.plugins = request.plugins ? request.plugins : &plugin_table();
  ctx.transport = &rc.transport;
  ctx.content = rc.content;
  ctx.vars = target.vars;
  ctx.run_settings = request.plugin_settings;
  ctx.on_progress = [&](const std::string& note) { rc.observer.on_progress(target.name, note); };
  ctx.on_result = [&](const std::any& result) { rc.observer.on_result(target.name, result); };
  ctx.on_output = [&](const std::string& step, bool is_err, std::string_view data) {
    rc.observer.on_output(target.name, step, is_err, data);
    sinks::OutputChunk chunk{cmd.command_id, cmd.document_name, target.name, step, is_err, data};
    for (auto& s : rc.sinks) s->on_output(chunk);
  };
  ctx.on_step_done = [&](const documents::Step& step, store::PluginRecord& rec, const plugins::OutputCapture&) {
    sinks::StepOutput out{cmd.command_id, cmd.document_name, target.name, step.action, step.name,
                          rec.stdout_path, rec.stderr_path};
    for (auto& s : rc.sinks) s->on_step_done(out, rec);
  };
  take_document_result(inv, plugins::run_document(ctx, docs->second));
}

// The work for dispatch item k: never throws. Whatever goes wrong on one host (a plugin or a
// sink that throws) becomes that invocation's Failed status with the message.
bool work_on_host(RunContext& rc, size_t i, Acknowledge& acknowledged) {
  store::InvocationRecord& inv = rc.invs[i];
  const std::string& host = rc.request.targets[i].name;
  try {
    rc.observer.on_invocation_start(host);
    run_on_host(rc, i, acknowledged);
  } catch (const std::exception& e) {
    fail_invocation(inv, k_internal_error, "internal", std::string("sshm failed on this host: ") + e.what());
  } catch (...) {
    fail_invocation(inv, k_internal_error, "internal", "sshm failed on this host with an unknown error");
  }
  acknowledged();
  inv.execution_end_date_time = now_iso();
  for (auto& s : rc.sinks) {
    try {
      s->on_invocation(inv);
    } catch (const std::exception& e) {
      say(fmt::format("a sink failed on {}: {}", host, e.what()));
    } catch (...) {
      say(fmt::format("a sink failed on {}", host));
    }
  }
  try {
    rc.observer.on_invocation_done(inv);
  } catch (...) {
    // Printing failed (a closed pipe): the record below still keeps the result.
  }
  rc.writer.done(i);
  return counts_as_error(inv);
}

// Invocations whose finished rows the store could not save: Failed (StoreError), said on
// stderr, and saved once more without their inline outputs, so a disk with a little room
// again (the partial output files are gone by now) records at least what happened.
void mark_store_losses(std::vector<store::InvocationRecord>& invs, const BatchWriter& writer, store::Store& store) {
  if (writer.lost().empty()) return;
  std::vector<store::InvocationRecord> rows;
  std::vector<std::string> hosts;
  for (size_t i : writer.lost()) {
    fail_invocation(invs[i], k_store_error, "store",
                    "the state store could not record this result: " + writer.error());
    store::InvocationRecord row = invs[i];
    row.standard_output_content.clear();
    row.standard_error_content = "sshm: " + row.failure_message + " (the inline output was not kept)\n";
    for (auto& p : row.plugins) p.output.clear();
    rows.push_back(std::move(row));
    hosts.push_back(invs[i].instance_id);
  }
  say(fmt::format("the state store could not record the results of {} host(s) ({}): {}", hosts.size(),
                  hosts.size() <= 10 ? fmt::format("{}", fmt::join(hosts, ", ")) : "see the summary", writer.error()));
  try {
    store.save_invocations(rows);
  } catch (const std::exception&) {
    // Already said: the history of these hosts is incomplete.
  }
}

// The invocation rows of a new command (Pending), or of a resumed one: hosts that may have
// run are reported InFlightAtInterruption, the others stay to run.
void prepare_invocations(RunRequest& request, std::vector<store::InvocationRecord>& invs, store::Store& store) {
  store::CommandRecord& cmd = request.command;
  const size_t n = request.targets.size();
  if (request.resume) {
    // The record stays one command: its invocations are updated in place.
    invs = std::move(request.recorded);
    invs.resize(n);
    std::vector<store::InvocationRecord> in_flight;
    for (auto& inv : invs)
      if (!is_terminal(inv.status) && !never_started(inv) && inv.status_details != k_in_flight_at_interruption) {
        inv.status_details = k_in_flight_at_interruption;
        in_flight.push_back(inv);
      }
    store.save_invocations(in_flight);
    return;
  }
  invs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    invs[i].command_id = cmd.command_id;
    invs[i].instance_id = request.targets[i].name;
    invs[i].document_name = cmd.document_name;
    invs[i].requested_date_time = cmd.requested_date_time;
  }
  cmd.target_count = static_cast<int>(n);
  cmd.status = "Pending";
  cmd.status_details = "Pending";
  store.begin_command(cmd, invs);
}

} // namespace

RunResult run_command(RunRequest request, ssh::Transport& transport, store::Store& store,
                      std::vector<std::unique_ptr<sinks::Sink>>& sinks, RunObserver& observer,
                      const std::atomic<bool>& cancel) {
  RunResult result;
  store::CommandRecord& cmd = request.command;
  if (cmd.requested_date_time.empty()) cmd.requested_date_time = now_iso();
  const size_t n = request.targets.size();
  std::vector<store::InvocationRecord>& invs = result.invocations;
  // A store that cannot take the command at all stops here, before any host runs.
  prepare_invocations(request, invs, store);

  PlannedRun planned = plan_run(request, invs);
  const DispatchPlan& plan = planned.plan;
  const std::vector<size_t>& todo = planned.todo;
  cmd.status = "InProgress";
  cmd.status_details = "InProgress";
  cmd.completed_date_time.clear();
  cmd.stop_reason.clear();
  if (request.resume) store.save_command(cmd);
  for (auto& s : sinks) s->on_command(cmd);
  observer.on_start(cmd, plan);

  BatchWriter writer(store, invs);
  auto content = std::make_shared<plugins::ContentCache>(request.fetch ? request.fetch
                                                                       : plugins::controller_fetch(request.aws));
  RunContext rc{request, invs, transport, store, sinks, observer, cancel, writer, content};
  auto work = [&](size_t k, Acknowledge& acknowledged) { return work_on_host(rc, todo[k], acknowledged); };
  auto not_dispatched = [&](size_t k) {
    store::InvocationRecord& inv = invs[todo[k]];
    inv.status = cancel.load() ? "Cancelled" : "Terminated";
    inv.status_details = inv.status;
    try {
      observer.on_invocation_done(inv);
    } catch (...) {
      // Printing failed: the record keeps the result.
    }
    writer.done(todo[k]);
  };
  // No reservation: a host's row says Pending until its worker records the start (see
  // run_on_host), so a controller that dies leaves a record `commands resume` continues exactly.
  result.dispatch = dispatch(plan, work, not_dispatched, cancel);
  writer.finish();
  mark_store_losses(invs, writer, store);

  aggregate(cmd, invs, result.dispatch.stopped_by_threshold, result.dispatch.cancelled || cancel.load());
  if (result.dispatch.stopped_by_threshold)
    cmd.stop_reason = "error threshold exceeded: " + std::to_string(result.dispatch.errors) + " errors > max-errors " +
                      cmd.max_errors + " (" + std::to_string(plan.error_threshold) + " of " + std::to_string(n) + ")";
  else if (cancel.load())
    cmd.stop_reason = "interrupted";
  cmd.completed_date_time = now_iso();
  for (auto& s : sinks) s->on_command(cmd);
  for (auto& s : sinks) result.sink_reports.push_back(s->finish());
  result.command = cmd;
  try {
    store.save_command(cmd);
  } catch (const std::exception& e) {
    throw RuntimeError(fmt::format("the state store could not record the result of command {} ({} [{}]): {}; "
                                   "the history will show it Interrupted",
                                   cmd.command_id, cmd.status, cmd.status_details, e.what()));
  }
  return result;
}

} // namespace sshm::engine
