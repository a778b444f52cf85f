#include "engine/run.hpp"

#include "plugins/executor.hpp"
#include "engine/builtin_plugins.hpp"
#include "engine/rate.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sshm::engine {

namespace {

std::string now_iso() { return iso8601_ms(std::chrono::system_clock::now()); }

// Saves finished invocations in batches from one thread, so store writes stay out of
// the workers' hot path.
class BatchWriter {
public:
  BatchWriter(store::Store& store, std::vector<store::InvocationRecord>& invocations)
      : m_store(store), m_invocations(invocations), m_thread([this] { loop(); }) {}
  ~BatchWriter() { finish(); }

  void done(size_t index) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_queue.push_back(index);
    if (m_queue.size() >= 256) m_cv.notify_one();
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

private:
  void loop() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (true) {
      m_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return m_finished || m_queue.size() >= 256; });
      std::vector<size_t> batch;
      batch.swap(m_queue);
      bool last = m_finished;
      lock.unlock();
      if (!batch.empty()) {
        std::vector<store::InvocationRecord> rows;
        rows.reserve(batch.size());
        // Each index is finished: no worker writes it any more.
        for (size_t i : batch) rows.push_back(m_invocations[i]);
        m_store.save_invocations(rows);
      }
      lock.lock();
      if (last && m_queue.empty()) return;
    }
  }

  store::Store& m_store;
  std::vector<store::InvocationRecord>& m_invocations;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<size_t> m_queue;
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
    if (!request.resume || (i < invocations.size() && invocations[i].status == "Pending")) out.todo.push_back(i);
    else if (i < invocations.size() && counts_as_error(invocations[i])) ++out.plan.initial_errors;
  }
  DispatchPlan& plan = out.plan;
  plan.targets = out.todo.size();
  // Percentages are of the command's whole target set, also when resuming.
  plan.concurrency = static_cast<size_t>(concurrency_for(cmd.max_concurrency, total));
  plan.error_threshold = error_threshold_for(cmd.max_errors, total);
  plan.ramp = request.ramp;
  plan.reserve_batch = std::clamp<size_t>(2 * plan.concurrency, 8, 256);
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

RunResult run_command(RunRequest request, ssh::Transport& transport, store::Store& store,
                      std::vector<std::unique_ptr<sinks::Sink>>& sinks, RunObserver& observer,
                      const std::atomic<bool>& cancel) {
  register_builtin_plugins();
  RunResult result;
  store::CommandRecord& cmd = request.command;
  if (cmd.requested_date_time.empty()) cmd.requested_date_time = now_iso();
  const size_t n = request.targets.size();

  std::vector<store::InvocationRecord>& invs = result.invocations;
  if (request.resume) {
    // The record stays one command: its invocations are updated in place.
    invs = std::move(request.recorded);
    invs.resize(n);
    std::vector<store::InvocationRecord> in_flight;
    for (auto& inv : invs)
      if (!is_terminal(inv.status) && inv.status != "Pending") {
        inv.status_details = k_in_flight_at_interruption;
        in_flight.push_back(inv);
      }
    store.save_invocations(in_flight);
  } else {
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

  auto work = [&](size_t k, Acknowledge& acknowledged) -> bool {
    const size_t i = todo[k];
    const Target& target = request.targets[i];
    store::InvocationRecord& inv = invs[i];
    observer.on_invocation_start(target.name);
    inv.status = "InProgress";
    inv.status_details = "InProgress";
    inv.execution_start_date_time = now_iso();

    ssh::Endpoint endpoint = target.endpoint;
    if (request.delivery_timeout > 0)
      endpoint.connect_timeout_s = std::min(endpoint.connect_timeout_s, request.delivery_timeout);
    auto session = transport.connect(endpoint, &cancel);
    acknowledged();  // delivered or not: either is an answer, and the ramp moves on
    if (!session) {
      delivery_failure(inv, session.error());
    } else {
      auto docs = request.documents.find(target.platform);
      plugins::HostContext ctx;
      ctx.session = session->get();
      ctx.endpoint = &endpoint;
      ctx.tags = target.tags;
      ctx.store = &store;
      ctx.command_id = cmd.command_id;
      ctx.host = target.name;
      ctx.document_name = cmd.document_name;
      ctx.platform = target.platform;
      ctx.region = request.region;
      ctx.run_as = target.run_as;
      ctx.outputs_root = store.outputs_dir();
      ctx.cancel = &cancel;
      ctx.execution_timeout_override = request.execution_timeout;
      ctx.on_output = [&](const std::string& step, bool is_err, std::string_view data) {
        observer.on_output(target.name, step, is_err, data);
        if (sinks.empty()) return;
        sinks::OutputChunk chunk{cmd.command_id, cmd.document_name, target.name, step, is_err, data};
        for (auto& s : sinks) s->on_output(chunk);
      };
      ctx.on_step_done = [&](const documents::Step& step, store::PluginRecord& rec, const plugins::OutputCapture&) {
        if (sinks.empty()) return;
        sinks::StepOutput out{cmd.command_id, cmd.document_name, target.name, step.action, step.name,
                              rec.stdout_path, rec.stderr_path};
        for (auto& s : sinks) s->on_step_done(out, rec);
      };
      plugins::DocumentResult r = plugins::run_document(ctx, docs->second);
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
      // SSM fills the invocation's URLs only when the document has one plugin.
      if (inv.plugins.size() == 1) {
        inv.standard_output_url = inv.plugins[0].standard_output_url;
        inv.standard_error_url = inv.plugins[0].standard_error_url;
      }
    }
    inv.execution_end_date_time = now_iso();
    for (auto& s : sinks) s->on_invocation(inv);
    observer.on_invocation_done(inv);
    writer.done(i);
    return counts_as_error(inv);
  };

  auto not_dispatched = [&](size_t k) {
    const size_t i = todo[k];
    store::InvocationRecord& inv = invs[i];
    if (cancel.load()) {
      inv.status = "Cancelled";
      inv.status_details = "Cancelled";
    } else {
      inv.status = "Terminated";
      inv.status_details = "Terminated";
    }
    observer.on_invocation_done(inv);
    writer.done(i);
  };

  // Hosts are marked InProgress in the store, a batch at a time, before any of them starts:
  // a controller that dies leaves a record `commands resume` can continue exactly.
  auto reserve = [&](size_t first, size_t last) {
    std::vector<store::InvocationRecord> rows;
    rows.reserve(last - first);
    for (size_t k = first; k < last; ++k) {
      rows.push_back(invs[todo[k]]);
      rows.back().status = "InProgress";
      rows.back().status_details = "InProgress";
    }
    store.save_invocations(rows);
  };

  result.dispatch = dispatch(plan, work, not_dispatched, cancel, reserve);
  writer.finish();

  aggregate(cmd, invs, result.dispatch.stopped_by_threshold, result.dispatch.cancelled || cancel.load());
  if (result.dispatch.stopped_by_threshold)
    cmd.stop_reason = "error threshold exceeded: " + std::to_string(result.dispatch.errors) + " errors > max-errors " +
                      cmd.max_errors + " (" + std::to_string(plan.error_threshold) + " of " + std::to_string(n) + ")";
  else if (cancel.load())
    cmd.stop_reason = "interrupted";
  cmd.completed_date_time = now_iso();
  for (auto& s : sinks) s->on_command(cmd);
  for (auto& s : sinks) result.sink_reports.push_back(s->finish());
  store.save_command(cmd);
  result.command = cmd;
  return result;
}

} // namespace sshm::engine
