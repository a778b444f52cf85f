#pragma once
// Nothing lost: a result that could not be delivered waits under <state-dir>/spool/ with
// everything needed to deliver it later (the bytes, the destination; never a credential),
// until `sshm outputs flush` or the start of the next run delivers it.
#include "aws/config.hpp"
#include "aws/logs.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::sinks {

// One waiting delivery, as `commands show` and `outputs flush` present it.
struct PendingItem {
  std::string id;           // the spool entry's directory name
  std::string kind;         // "s3", "logs", "webhook", "exec"
  std::string command_id;
  std::string host;         // "" for command-level items
  std::string destination;  // "s3://bucket/key", "logs:group:stream", "webhook https://host/...", "exec"
  std::uint64_t bytes = 0;
  int attempts = 0;
  std::string last_error;
};

class Spool {
public:
  explicit Spool(std::filesystem::path state_dir);

  // Where the entries live: <state-dir>/spool.
  const std::filesystem::path& dir() const { return m_dir; }
  // Keeps an S3 upload: a copy of `file` (a hard link when possible) and bucket/key.
  // `endpoint`/`region` are the ones the run used. Returns false when the disk failed.
  bool add_s3(const std::string& command_id, const std::string& host, const std::string& bucket,
              const std::string& key, const std::filesystem::path& file, const std::string& region,
              const std::string& endpoint, const std::string& error);
  // Keeps CloudWatch Logs events for group/stream.
  bool add_logs(const std::string& command_id, const std::string& host, const std::string& group,
                const std::string& stream, const std::vector<aws::LogEvent>& events, const std::string& region,
                const std::string& endpoint, const std::string& error);
  // Keeps a notification: `target` is the webhook URL or the exec command.
  bool add_notification(const std::string& command_id, const std::string& host, const std::string& kind,
                        const std::string& target, const std::string& body, const std::string& error);

  // Every waiting entry, oldest first.
  std::vector<PendingItem> list() const;

private:
  bool add(const std::string& kind, const std::string& command_id, const std::string& host,
           nlohmann::json destination, const std::string& error, const std::function<bool(const std::filesystem::path&)>& write_data);
  std::filesystem::path m_dir;
};

// What is still waiting for one command (`commands show`).
std::vector<PendingItem> pending_for(const std::filesystem::path& state_dir, const std::string& command_id);

struct FlushReport {
  std::vector<PendingItem> delivered;
  std::vector<PendingItem> pending;  // last_error says why
};

// Tries every waiting entry once (oldest first), deleting the delivered ones. Entries
// whose destination already failed in this flush are not tried again. `options` override
// the region/endpoint each entry recorded; credentials come from `options` and the
// environment as for a run. Safe against a concurrent flush (an exclusive lock).
FlushReport flush_spool(const std::filesystem::path& state_dir, const aws::AwsOptions& options,
                        const aws::Env& env = aws::process_env());

} // namespace sshm::sinks
