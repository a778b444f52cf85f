#pragma once
// A shard's record in S3, under the command's output prefix:
// `<prefix>/<CommandId>/sshm/shard-<I>-of-<N>.json`. It holds the shard's invocations in
// GetCommandInvocation's shape (plus CommandPlugins, as ListCommandInvocations --details),
// the whole command (ListCommands' shape) and a summary. A restarted shard resumes from it;
// `sshm commands import` joins the shards' records into one command.
#include "shard/shard.hpp"
#include "store/records.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sshm::shard {

struct ShardRecord {
  ShardSpec shard;
  // The whole command as asked for: its ID, document, parameters, targets and MaxErrors
  // (not this shard's share).
  store::CommandRecord command;
  std::string command_hash;  // of the document, parameters, targets and rate controls
  int total_targets = 0;     // hosts selected over all shards
  bool finished = false;     // the shard's run ended (else it runs, or its controller died)
  bool stopped_by_threshold = false;
  bool cancelled = false;
  std::string updated;  // ISO 8601, when written
  std::vector<store::InvocationRecord> invocations;  // this shard's hosts
};

// `<prefix>/<CommandId>/sshm/shard-<I>-of-<N>.json`, joined as SSM joins output keys.
std::string record_key(const std::string& prefix, const std::string& command_id, const ShardSpec& shard);
// `<prefix>/<CommandId>/sshm/command.json`: {"CommandId", "Shards", "CommandHash"}, written
// by every shard as it starts (the same bytes from each), so an import knows how many to read.
std::string command_key(const std::string& prefix, const std::string& command_id);
// `<prefix>/<CommandId>/sshm/errors-<I>-of-<N>.json` (--global-errors).
std::string errors_key(const std::string& prefix, const std::string& command_id, const ShardSpec& shard);

nlohmann::json record_to_json(const ShardRecord& record);
// The inverse of record_to_json. Throws RuntimeError naming `where` for a body that is not one.
ShardRecord record_from_json(const std::string& body, const std::string& where);

// The rows a shard starts from, one per target in order: a finished host as either record
// has it; one that started in either (the S3 record marks a host before it is dialled) as
// InProgress (InFlightAtInterruption), reported and never run again; the others Pending.
std::vector<store::InvocationRecord> resume_rows(const std::vector<std::string>& targets,
                                                 const store::CommandRecord& command,
                                                 const std::vector<store::InvocationRecord>& local,
                                                 const std::vector<store::InvocationRecord>& remote);

// The whole command from its shards' records (nullopt for a shard with no record): the
// invocations of all, aggregated as one command is (engine::aggregate). A missing shard's hosts
// are absent; the command then counts the whole fleet's targets and is Failed (Incomplete),
// or InProgress while a shard that has a record still runs; `missing` names them.
struct Combined {
  store::CommandRecord command;
  std::vector<store::InvocationRecord> invocations;
  std::vector<int> missing;
};
Combined combine(const std::vector<std::optional<ShardRecord>>& records);

} // namespace sshm::shard
