// sshm commands import s3://BUCKET/PREFIX/COMMANDID: one command run as shards on several
// controllers (--shard-from-env in a Kubernetes Indexed Job), joined from the shards' records
// in S3 into the local history.
#include "cli/run_shard.hpp"

#include "cli/output.hpp"
#include "cli/sink_options.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/terminal_safe.hpp"

#include <fmt/format.h>

namespace sshm::cli {

namespace {

// One object of the command's sshm/ folder: nullopt when it does not exist.
std::optional<std::string> fetch(aws::S3Client& s3, const std::string& bucket, const std::string& key) {
  std::string body;
  if (auto e = s3.get_object(bucket, key, body, 256LL * 1024 * 1024)) {
    if (e->http_status == 404) return std::nullopt;
    throw RuntimeError(fmt::format("cannot read s3://{}/{}: {}", bucket, key, e->text()));
  }
  return body;
}

// The number of shards the command was split into, from its command.json.
int shard_count(aws::S3Client& s3, const std::string& bucket, const std::string& key) {
  std::optional<std::string> body = fetch(s3, bucket, key);
  if (!body)
    throw InputError(fmt::format("no sshm command at s3://{}/{} (its shards write that object when they start)",
                                 bucket, key));
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, false);
  if (!j.is_object() || !j.contains("Shards") || !j["Shards"].is_number_integer() || j["Shards"].get<int>() < 1 ||
      j["Shards"].get<int>() > 100000)
    throw RuntimeError(fmt::format("s3://{}/{} is not an sshm command record", bucket, key));
  return j["Shards"].get<int>();
}

struct ImportOptions {
  std::string url;
  aws::AwsOptions aws;
};

} // namespace

int import_command(const GlobalOptions& g, const std::string& url, const aws::AwsOptions& options) {
  std::string bucket, path;
  shard::parse_s3_prefix(url, "commands import", bucket, path);
  const auto slash = path.rfind('/');
  const std::string id = shard::validate_command_id(slash == std::string::npos ? path : path.substr(slash + 1));
  const std::string prefix = slash == std::string::npos ? "" : path.substr(0, slash);

  aws::AwsContext context(options);
  aws::S3Client s3(context);
  const int count = shard_count(s3, bucket, shard::command_key(prefix, id));
  std::vector<std::optional<shard::ShardRecord>> records;
  std::string latest;
  for (int k = 1; k <= count; ++k) {
    const std::string key = shard::record_key(prefix, id, {k, count});
    std::optional<std::string> body = fetch(s3, bucket, key);
    records.push_back(body ? std::optional(shard::record_from_json(*body, "s3://" + bucket + "/" + key)) : std::nullopt);
    if (records.back()) latest = std::max(latest, records.back()->updated);
  }
  shard::Combined all = shard::combine(records);
  store::CommandRecord& cmd = all.command;
  cmd.command_id = id;
  if (cmd.status != "InProgress") cmd.completed_date_time = latest;
  for (auto& inv : all.invocations) inv.command_id = id;

  // A second import updates the same record.
  auto db = open_state_store(g);
  if (db->find_command(id)) {
    db->save_command(cmd);
    db->save_invocations(all.invocations);
  } else {
    db->begin_command(cmd, all.invocations);
  }
  for (int m : all.missing)
    if (g.verbosity >= 0)
      SyncOut::instance().err(fmt::format("sshm: warning: shard {} of {} has no record in s3://{}/{}: its hosts are "
                                          "missing from the command\n",
                                          m, count, bucket, prefix.empty() ? id : prefix + "/" + id));
  if (structured_output(g)) {
    nlohmann::json j = store::command_to_json(cmd);
    j["Shards"] = count;
    j["MissingShards"] = all.missing;
    j["Invocations"] = all.invocations.size();
    print_structured(g, j);
    return k_exit_ok;
  }
  SyncOut::instance().out(terminal_safe(fmt::format(
      "imported command {}: {} invocations from {} of {} shard(s); {} ({})\n", id, all.invocations.size(),
      count - static_cast<int>(all.missing.size()), count, cmd.status, cmd.status_details)));
  return k_exit_ok;
}

void add_commands_import(CLI::App* commands, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ImportOptions>();
  auto* import = commands->add_subcommand(
      "import", "Join a command run as shards (--shard-from-env) from their records in S3 into the local history");
  import->add_option("url", o->url, "s3://BUCKET/PREFIX/COMMANDID (the runs' --s3-bucket and --s3-prefix)")->required();
  add_aws_options(import, o->aws);
  import->callback([&global, &action, o] {
    action = [&global, o] { return import_command(global, o->url, o->aws); };
  });
}

} // namespace sshm::cli
