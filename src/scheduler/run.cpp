#include "scheduler/run.hpp"

#include "plugins/executor.hpp"
#include "scheduler/rate.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace sshm::scheduler {

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

RunResult run_command(RunRequest request, ssh::Transport& transport, store::Store& store,
                      std::vector<std::unique_ptr<sinks::Sink>>& sinks, RunObserver& observer,
                      const std::atomic<bool>& cancel) {
  RunResult result;
  store::CommandRecord& cmd = request.command;
  if (cmd.requested_date_time.empty()) cmd.requested_date_time = now_iso();
  const size_t n = request.targets.size();

  std::vector<store::InvocationRecord>& invs = result.invocations;
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

  DispatchPlan plan;
  plan.targets = n;
  plan.concurrency = static_cast<size_t>(concurrency_for(cmd.max_concurrency, static_cast<int>(n)));
  plan.error_threshold = error_threshold_for(cmd.max_errors, static_cast<int>(n));
  cmd.status = "InProgress";
  cmd.status_details = "InProgress";
  for (auto& s : sinks) s->on_command(cmd);
  observer.on_start(cmd, plan);

  BatchWriter writer(store, invs);

  auto work = [&](size_t i) -> bool {
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
    if (!session) {
      delivery_failure(inv, session.error());
    } else {
      auto docs = request.documents.find(target.platform);
      plugins::HostContext ctx;
      ctx.session = session->get();
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

  auto not_dispatched = [&](size_t i) {
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

  result.dispatch = dispatch(plan, work, not_dispatched, cancel);
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

} // namespace sshm::scheduler
