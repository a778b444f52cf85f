#include "shard/record.hpp"

#include "engine/status.hpp"
#include "sinks/layout.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"

#include <fmt/format.h>

#include <map>

namespace sshm::shard {

namespace {

std::string joined(const std::string& prefix, const std::string& command_id, const std::string& name) {
  std::string out;
  for (const std::string& part : {prefix, command_id, std::string("sshm"), name}) {
    std::string p = part;
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (p.empty()) continue;
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

store::PluginRecord plugin_from_json(const nlohmann::json& j) {
  store::PluginRecord p;
  p.name = json_string(j, "Name");
  p.plugin = json_string(j, "Plugin");
  p.status = json_string(j, "Status");
  p.status_details = json_string(j, "StatusDetails");
  p.response_code = json_int(j, "ResponseCode", -1);
  p.response_start_date_time = json_string(j, "ResponseStartDateTime");
  p.response_finish_date_time = json_string(j, "ResponseFinishDateTime");
  p.output = json_string(j, "Output");
  p.standard_output_url = json_string(j, "StandardOutputUrl");
  p.standard_error_url = json_string(j, "StandardErrorUrl");
  return p;
}

store::InvocationRecord invocation_from_json(const nlohmann::json& j) {
  store::InvocationRecord r;
  r.command_id = json_string(j, "CommandId");
  r.instance_id = json_string(j, "InstanceId");
  r.document_name = json_string(j, "DocumentName");
  r.status = json_string(j, "Status");
  r.status_details = json_string(j, "StatusDetails");
  r.response_code = json_int(j, "ResponseCode", -1);
  r.requested_date_time = json_string(j, "RequestedDateTime");
  r.execution_start_date_time = json_string(j, "ExecutionStartDateTime");
  r.execution_end_date_time = json_string(j, "ExecutionEndDateTime");
  r.standard_output_content = json_string(j, "StandardOutputContent");
  r.standard_error_content = json_string(j, "StandardErrorContent");
  r.standard_output_url = json_string(j, "StandardOutputUrl");
  r.standard_error_url = json_string(j, "StandardErrorUrl");
  r.failure_kind = json_string(j, "FailureKind");
  r.failure_message = json_string(j, "FailureMessage");
  if (r.status.empty()) r.status = "Pending";
  if (r.status_details.empty()) r.status_details = r.status;
  if (auto it = j.find("CommandPlugins"); it != j.end() && it->is_array())
    for (const auto& p : *it)
      if (p.is_object()) r.plugins.push_back(plugin_from_json(p));
  return r;
}

// The fields of the command the record keeps beyond ListCommands' shape, which sshm needs
// back exactly (its -t expressions and recorded parameters).
store::CommandRecord command_from_json(const nlohmann::json& j, const nlohmann::json& sshm) {
  store::CommandRecord c;
  c.command_id = json_string(j, "CommandId");
  c.document_name = json_string(j, "DocumentName");
  c.comment = json_string(j, "Comment");
  c.requested_date_time = json_string(j, "RequestedDateTime");
  c.max_concurrency = json_string(j, "MaxConcurrency");
  c.max_errors = json_string(j, "MaxErrors");
  c.timeout_seconds = json_int(j, "TimeoutSeconds");
  c.output_s3_bucket_name = json_string(j, "OutputS3BucketName");
  c.output_s3_key_prefix = json_string(j, "OutputS3KeyPrefix");
  if (auto it = sshm.find("Parameters"); it != sshm.end() && it->is_object()) c.parameters = *it;
  if (auto it = sshm.find("Targets"); it != sshm.end() && it->is_array())
    for (const auto& t : *it)
      if (t.is_string()) c.targets.push_back(t.get<std::string>());
  c.cloudwatch_log_group = json_string(sshm, "CloudWatchLogGroup");
  return c;
}

} // namespace

std::string record_key(const std::string& prefix, const std::string& command_id, const ShardSpec& shard) {
  return joined(prefix, command_id, fmt::format("shard-{}-of-{}.json", shard.index, shard.count));
}

std::string command_key(const std::string& prefix, const std::string& command_id) {
  return joined(prefix, command_id, "command.json");
}

std::string errors_key(const std::string& prefix, const std::string& command_id, const ShardSpec& shard) {
  return joined(prefix, command_id, fmt::format("errors-{}-of-{}.json", shard.index, shard.count));
}

nlohmann::json record_to_json(const ShardRecord& r) {
  nlohmann::json invs = nlohmann::json::array();
  int errors = 0, done = 0;
  for (const auto& inv : r.invocations) {
    nlohmann::json j = store::invocation_to_json(inv, &r.command);
    for (size_t k = 0; k < inv.plugins.size() && k < j["CommandPlugins"].size(); ++k)
      j["CommandPlugins"][k]["Plugin"] = inv.plugins[k].plugin;
    if (!inv.failure_kind.empty()) j["FailureKind"] = inv.failure_kind;
    if (!inv.failure_message.empty()) j["FailureMessage"] = inv.failure_message;
    invs.push_back(std::move(j));
    if (engine::counts_as_error(inv)) ++errors;
    if (engine::is_terminal(inv.status)) ++done;
  }
  return {{"Command", store::command_to_json(r.command)},
          {"Sshm",
           {{"Targets", r.command.targets},
            {"Parameters", r.command.parameters},
            {"CloudWatchLogGroup", r.command.cloudwatch_log_group},
            {"CommandHash", r.command_hash}}},
          {"Summary",
           {{"Shard", r.shard.index},
            {"Shards", r.shard.count},
            {"TotalTargets", r.total_targets},
            {"ShardTargets", r.invocations.size()},
            {"Completed", done},
            {"Errors", errors},
            {"Finished", r.finished},
            {"StoppedByThreshold", r.stopped_by_threshold},
            {"Cancelled", r.cancelled},
            {"Updated", r.updated}}},
          {"Invocations", invs}};
}

ShardRecord record_from_json(const std::string& body, const std::string& where) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("Command") || !j.contains("Summary") || !j["Summary"].is_object() ||
      !j["Command"].is_object() || !j.contains("Invocations") || !j["Invocations"].is_array())
    throw RuntimeError(fmt::format("{} is not an sshm shard record", where));
  const nlohmann::json& s = j["Summary"];
  const nlohmann::json sshm = j.value("Sshm", nlohmann::json::object());
  ShardRecord r;
  r.shard = {json_int(s, "Shard", 1), json_int(s, "Shards", 1)};
  r.command = command_from_json(j["Command"], sshm.is_object() ? sshm : nlohmann::json::object());
  r.command_hash = sshm.is_object() ? json_string(sshm, "CommandHash") : "";
  r.total_targets = json_int(s, "TotalTargets");
  r.finished = s.value("Finished", false);
  r.stopped_by_threshold = s.value("StoppedByThreshold", false);
  r.cancelled = s.value("Cancelled", false);
  r.updated = json_string(s, "Updated");
  for (const auto& inv : j["Invocations"])
    if (inv.is_object()) r.invocations.push_back(invocation_from_json(inv));
  for (auto& inv : r.invocations) inv.command_id = r.command.command_id;
  return r;
}

std::vector<store::InvocationRecord> resume_rows(const std::vector<std::string>& targets,
                                                 const store::CommandRecord& command,
                                                 const std::vector<store::InvocationRecord>& local,
                                                 const std::vector<store::InvocationRecord>& remote) {
  std::map<std::string, const store::InvocationRecord*> by_local, by_remote;
  for (const auto& inv : local) by_local[inv.instance_id] = &inv;
  for (const auto& inv : remote) by_remote[inv.instance_id] = &inv;
  auto find = [](const auto& map, const std::string& host) -> const store::InvocationRecord* {
    auto it = map.find(host);
    return it == map.end() ? nullptr : it->second;
  };
  std::vector<store::InvocationRecord> rows;
  for (const std::string& host : targets) {
    const store::InvocationRecord* l = find(by_local, host);
    const store::InvocationRecord* r = find(by_remote, host);
    store::InvocationRecord row;
    if (l && engine::is_terminal(l->status)) row = *l;
    else if (r && engine::is_terminal(r->status)) row = *r;
    else if ((l && !engine::never_started(*l)) || (r && r->status != "Pending")) {
      row = l && !engine::never_started(*l) ? *l : *r;
      row.status = "InProgress";
      row.status_details = engine::k_in_flight_at_interruption;
      // A start the S3 record holds may lack its time: it still may have run.
      if (row.execution_start_date_time.empty()) row.execution_start_date_time = command.requested_date_time;
    } else {
      row.status = row.status_details = "Pending";
    }
    row.command_id = command.command_id;
    row.instance_id = host;
    row.document_name = command.document_name;
    if (row.requested_date_time.empty()) row.requested_date_time = command.requested_date_time;
    rows.push_back(std::move(row));
  }
  return rows;
}

Combined combine(const std::vector<std::optional<ShardRecord>>& records) {
  Combined out;
  bool threshold = false, cancelled = false, running = false, first = true;
  int total = 0;
  for (size_t k = 0; k < records.size(); ++k) {
    if (!records[k]) {
      out.missing.push_back(static_cast<int>(k) + 1);
      continue;
    }
    const ShardRecord& r = *records[k];
    if (first) out.command = r.command;
    first = false;
    total = std::max(total, r.total_targets);
    threshold = threshold || r.stopped_by_threshold;
    cancelled = cancelled || r.cancelled;
    running = running || !r.finished;
    out.invocations.insert(out.invocations.end(), r.invocations.begin(), r.invocations.end());
  }
  store::CommandRecord& c = out.command;
  engine::aggregate(c, out.invocations, threshold, cancelled);
  if (out.missing.empty()) return out;
  c.target_count = std::max(total, c.target_count);
  std::vector<std::string> names;
  for (int m : out.missing) names.push_back(std::to_string(m));
  c.stop_reason = fmt::format("shard(s) {} of {} have no record in S3: their hosts are missing", fmt::join(names, ", "),
                              records.size());
  if (running || c.status == "InProgress") {
    c.status = c.status_details = "InProgress";
  } else {
    c.status = "Failed";
    c.status_details = "Incomplete";
  }
  return out;
}

} // namespace sshm::shard
