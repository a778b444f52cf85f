#pragma once
// `run`/`exec` split over controllers (--shard, --shard-from-env, --command-id,
// --global-errors): which hosts this controller runs, where its command resumes from (the
// local store and the shard's record in S3), and the S3 writes while it runs.
#include "cli/app.hpp"
#include "cli/global_options.hpp"
#include "cli/run_output.hpp"
#include "documents/document.hpp"
#include "engine/run.hpp"
#include "fleet/inventory.hpp"
#include "shard/publisher.hpp"
#include "sinks/sinks.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::cli {

struct ShardOptions {
  std::string shard;          // --shard I/N
  bool from_env = false;      // --shard-from-env
  std::string command_id;     // --command-id
  std::string global_errors;  // --global-errors s3://BUCKET/PREFIX
};

// What a sharded run (or one with --command-id) adds to a plain one.
struct ShardRun {
  std::optional<shard::ShardSpec> spec;
  std::string command_hash;
  std::unique_ptr<shard::Publisher> publisher;
  std::unique_ptr<shard::GlobalErrors> global;
};

// The shard the flags ask for, or nullopt (no --shard, no --shard-from-env). Checks the
// combinations before anything runs (InputError).
std::optional<shard::ShardSpec> shard_spec(const ShardOptions& o);
// The hosts of `spec` among the selected ones (shard::shard_of), in their selected order.
// Throws InputError when the shard has none.
std::vector<const fleet::Host*> hosts_of_shard(const std::vector<const fleet::Host*>& hosts,
                                               const std::optional<shard::ShardSpec>& spec);

// Makes `request` a sharded run: MaxErrors becomes the shard's share, an existing command
// with this ID (in the local store, or the shard's record in S3) is resumed (refused, exit 2,
// when it was asked for with another document, parameters, targets or rate controls), and
// the S3 record and --global-errors are set up. `total` is the fleet's selected host count.
// `spec_json` gets the command hash (run_spec).
ShardRun begin_shard(const ShardOptions& o, const std::optional<shard::ShardSpec>& spec, size_t total,
                     const documents::Document& doc, const sinks::SinkOptions& sinks, engine::RunRequest& request,
                     store::Store& store, nlohmann::json& spec_json);

// The run's observer, also writing each host's start and result to the shard's S3 record.
std::unique_ptr<CliRunObserver> shard_observer(std::unique_ptr<CliRunObserver> inner, shard::Publisher& publisher);

// After the run: the final record and error count in S3; warnings on stderr.
void end_shard(ShardRun& run, engine::RunResult& result, store::Store& store, bool quiet);

// sshm commands import s3://BUCKET/PREFIX/COMMANDID: the shards' records joined into one
// command of the local history (a second import updates it).
int import_command(const GlobalOptions& g, const std::string& url, const aws::AwsOptions& options);
// Registers `commands import` under `commands`.
void add_commands_import(CLI::App* commands, GlobalOptions& global, Action& action);

} // namespace sshm::cli
