#include "cli/run_shard.hpp"

#include "aws/http.hpp"
#include "cli/output.hpp"
#include "engine/recovery.hpp"
#include "engine/status.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace sshm::cli {

namespace {

std::string env_var(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

// What every shard of one command must agree on: the document (its text for a file), the
// recorded parameters, the -t expressions, the rate controls as asked, the timeout and the
// number of shards. The shard's own index is not in it.
std::string command_hash(const store::CommandRecord& cmd, const documents::Document& doc, int shards) {
  nlohmann::json j = {{"document", doc.name},   {"source", doc.path.empty() ? "" : doc.source_text},
                      {"parameters", cmd.parameters}, {"targets", cmd.targets},
                      {"max_concurrency", cmd.max_concurrency}, {"max_errors", cmd.max_errors},
                      {"timeout", cmd.timeout_seconds}, {"shards", shards}};
  return aws::sha256_hex(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The shard's record in S3, or nullopt when there is none yet. A record that cannot be read
// (other than not existing) stops the run: resuming without it could run hosts twice.
std::optional<shard::ShardRecord> fetch_record(aws::AwsContext& context, const std::string& bucket,
                                               const std::string& prefix, const std::string& id,
                                               const shard::ShardSpec& spec) {
  aws::S3Client s3(context);
  const std::string key = shard::record_key(prefix, id, spec);
  std::string body;
  if (auto e = s3.get_object(bucket, key, body, 256LL * 1024 * 1024)) {
    if (e->http_status == 404) return std::nullopt;
    throw RuntimeError(fmt::format("cannot read the shard record s3://{}/{}: {}", bucket, key, e->text()));
  }
  return shard::record_from_json(body, fmt::format("s3://{}/{}", bucket, key));
}

// The local record of this command ID, checked: same command, not running elsewhere.
std::optional<store::CommandRecord> local_command(store::Store& store, const std::string& id, const std::string& hash) {
  std::optional<store::CommandRecord> local = store.find_command(id);
  if (!local) return local;
  std::optional<store::RunSpec> saved = store.find_run_spec(id);
  if (!saved || saved->spec.value("command_hash", "") != hash)
    throw InputError(fmt::format("--command-id {}: this state dir holds that command with another document, "
                                 "parameters, targets or rate controls; give a new ID (uuidgen)",
                                 id));
  if (engine::owner_state(saved->owner) == engine::OwnerState::alive)
    throw InputError(fmt::format("--command-id {}: that command is still running (sshm process {})", id,
                                 saved->owner.value("pid", 0L)));
  return local;
}

// Forwards to the run's own observer; each host's start reaches S3 before it is dialled.
class ShardObserver final : public CliRunObserver {
public:
  ShardObserver(std::unique_ptr<CliRunObserver> inner, shard::Publisher& publisher)
      : m_inner(std::move(inner)), m_publisher(publisher) {}
  void on_start(const store::CommandRecord& c, const engine::DispatchPlan& p) override { m_inner->on_start(c, p); }
  void on_output(const std::string& host, const std::string& step, bool is_stderr, std::string_view data) override {
    m_inner->on_output(host, step, is_stderr, data);
  }
  void on_invocation_start(const std::string& host) override {
    m_publisher.started(host);
    m_inner->on_invocation_start(host);
  }
  void on_invocation_done(const store::InvocationRecord& inv) override {
    m_publisher.done(inv);
    m_inner->on_invocation_done(inv);
  }
  void on_progress(const std::string& host, const std::string& note) override { m_inner->on_progress(host, note); }
  void on_result(const std::string& host, const std::any& result) override { m_inner->on_result(host, result); }
  void finish(const engine::RunResult& result) override { m_inner->finish(result); }
  std::optional<int> exit_code(const engine::RunResult& result) const override { return m_inner->exit_code(result); }

private:
  std::unique_ptr<CliRunObserver> m_inner;
  shard::Publisher& m_publisher;
};

// What a resumed shard runs and what it leaves, on stderr (as `commands resume` says it).
void announce(const std::string& id, const std::optional<shard::ShardSpec>& spec,
              const std::vector<store::InvocationRecord>& rows, const char* from) {
  size_t pending = 0, in_flight = 0, done = 0;
  for (const auto& r : rows) {
    if (engine::never_started(r)) ++pending;
    else if (engine::is_terminal(r.status)) ++done;
    else ++in_flight;
  }
  SyncOut::instance().err(fmt::format(
      "sshm: resuming {}command {} from {}: {} host(s) finished, {} never started run now, {} were in flight and "
      "are NOT run again\n",
      spec ? fmt::format("shard {}/{} of ", spec->index, spec->count) : "", id,
      from, done, pending, in_flight));
}

} // namespace

std::optional<shard::ShardSpec> shard_spec(const ShardOptions& o) {
  if (o.from_env && !o.shard.empty()) throw InputError("give --shard or --shard-from-env, not both");
  if (o.from_env && o.command_id.empty())
    throw InputError("--shard-from-env needs --command-id: every pod of the Job must run the same command");
  std::optional<shard::ShardSpec> spec;
  if (o.from_env) spec = shard::shard_from_env(env_var);
  else if (!o.shard.empty()) spec = shard::parse_shard(o.shard);
  if (!o.global_errors.empty() && (!spec || o.command_id.empty()))
    throw InputError("--global-errors needs --command-id and --shard or --shard-from-env");
  return spec;
}

std::vector<const fleet::Host*> hosts_of_shard(const std::vector<const fleet::Host*>& hosts,
                                               const std::optional<shard::ShardSpec>& spec) {
  if (!spec) return hosts;
  std::vector<const fleet::Host*> out;
  for (const auto* h : hosts)
    if (shard::shard_of(h->name, spec->count) == spec->index) out.push_back(h);
  if (out.empty())
    throw InputError(fmt::format("shard {}/{} holds no host of the {} selected", spec->index, spec->count, hosts.size()));
  return out;
}

ShardRun begin_shard(const ShardOptions& o, const std::optional<shard::ShardSpec>& spec, size_t total,
                     const documents::Document& doc, const sinks::SinkOptions& sinks, engine::RunRequest& request,
                     store::Store& store, nlohmann::json& spec_json) {
  ShardRun run;
  run.spec = spec;
  if (o.command_id.empty() && !spec) return run;
  store::CommandRecord& cmd = request.command;
  const int count = spec ? spec->count : 1;
  run.command_hash = command_hash(cmd, doc, count);
  spec_json["command_hash"] = run.command_hash;
  const std::string asked = cmd.max_errors;
  const int targets = static_cast<int>(request.targets.size());
  const int fleet_threshold = engine::error_threshold_for(asked, static_cast<int>(total));
  if (spec) cmd.max_errors = o.global_errors.empty() ? shard::error_share(asked, targets, static_cast<int>(total))
                                                      : std::to_string(fleet_threshold);

  std::optional<store::CommandRecord> local = local_command(store, cmd.command_id, run.command_hash);
  std::optional<shard::ShardRecord> remote;
  auto context = std::make_shared<aws::AwsContext>(sinks.aws);
  if (spec && !sinks.s3_bucket.empty()) {
    remote = fetch_record(*context, sinks.s3_bucket, sinks.s3_prefix, cmd.command_id, *spec);
    if (remote && remote->command_hash != run.command_hash)
      throw InputError(fmt::format("--command-id {}: its shard record in S3 was written for another document, "
                                   "parameters, targets, rate controls or number of shards; give a new ID",
                                   cmd.command_id));
  }
  cmd.requested_date_time = local ? local->requested_date_time : remote ? remote->command.requested_date_time : iso8601_ms(std::chrono::system_clock::now());
  std::vector<store::InvocationRecord> rows;
  if (local || remote) {
    std::vector<std::string> names;
    for (const auto& t : request.targets) names.push_back(t.name);
    rows = shard::resume_rows(names, cmd, local ? store.get_invocations(cmd.command_id) : std::vector<store::InvocationRecord>{},
                              remote ? remote->invocations : std::vector<store::InvocationRecord>{});
    request.resume = true;
    request.recorded = rows;
    announce(cmd.command_id, spec, rows, !local ? "its record in S3" : remote ? "the local history and S3" : "the local history");
    cmd.target_count = targets;
    cmd.status = cmd.status_details = "InProgress";
    if (local) store.save_invocations(rows);
    else store.begin_command(cmd, rows);
  } else {
    for (const auto& t : request.targets) {
      store::InvocationRecord inv;
      inv.command_id = cmd.command_id;
      inv.instance_id = t.name;
      inv.document_name = cmd.document_name;
      inv.requested_date_time = cmd.requested_date_time;
      rows.push_back(std::move(inv));
    }
  }
  if (spec && !sinks.s3_bucket.empty()) {
    shard::ShardRecord record;
    record.shard = *spec;
    record.command = cmd;
    record.command.max_errors = asked;
    record.command_hash = run.command_hash;
    record.total_targets = static_cast<int>(total);
    record.invocations = rows;
    run.publisher = std::make_unique<shard::Publisher>(context, sinks.s3_bucket, sinks.s3_prefix, std::move(record));
    // The import reads how many shards to join from here; every shard writes the same bytes.
    nlohmann::json head = {{"CommandId", cmd.command_id}, {"Shards", spec->count}, {"CommandHash", run.command_hash}};
    const std::string key = shard::command_key(sinks.s3_prefix, cmd.command_id);
    if (auto e = aws::S3Client(*context).put_object(sinks.s3_bucket, key, head.dump()))
      throw RuntimeError(fmt::format("s3://{}/{}: {}: nothing was run", sinks.s3_bucket, key, e->text()));
    if (std::string why = run.publisher->publish_now(); !why.empty())
      throw RuntimeError(fmt::format("{}: nothing was run (a restarted shard could not know what ran)", why));
  }
  if (!o.global_errors.empty()) {
    std::string bucket, prefix;
    shard::parse_s3_prefix(o.global_errors, "--global-errors", bucket, prefix);
    run.global = std::make_unique<shard::GlobalErrors>(context, bucket, prefix, cmd.command_id, *spec, fleet_threshold);
    shard::GlobalErrors* global = run.global.get();
    request.stop_dispatch = [global](int errors) { return global->exceeded(errors); };
  }
  return run;
}

std::unique_ptr<CliRunObserver> shard_observer(std::unique_ptr<CliRunObserver> inner, shard::Publisher& publisher) {
  return std::make_unique<ShardObserver>(std::move(inner), publisher);
}

void end_shard(ShardRun& run, engine::RunResult& result, store::Store& store, bool quiet) {
  std::vector<std::string> warnings;
  if (run.global) {
    if (std::string why = run.global->publish(result.dispatch.errors); !why.empty()) warnings.push_back(why);
    if (result.dispatch.stopped_by_threshold && run.global->exceeded(result.dispatch.errors)) {
      result.command.stop_reason = fmt::format(
          "fleet-wide error threshold exceeded (--global-errors): {} errors here + {} in the other shards > {}",
          result.dispatch.errors, run.global->others(), run.global->threshold());
      try {
        store.save_command(result.command);
      } catch (const std::exception&) {
        // The run's own reason stays recorded.
      }
    }
  }
  if (run.publisher) {
    if (std::string why = run.publisher->finish(result.dispatch.stopped_by_threshold, result.dispatch.cancelled);
        !why.empty())
      warnings.push_back(why);
    else if (std::string earlier = run.publisher->error(); !earlier.empty())
      warnings.push_back(earlier + " (a later write succeeded)");
  }
  if (quiet) return;
  for (const auto& w : warnings) SyncOut::instance().err("sshm: warning: " + w + "\n");
}

} // namespace sshm::cli
