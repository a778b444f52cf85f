#pragma once
// Writing a shard's record to S3 while it runs, and --global-errors: the error counts all
// shards of one command share through S3.
#include "aws/s3.hpp"
#include "shard/record.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace sshm::shard {

// Keeps a shard's record (record_key) up to date in S3 from a thread of its own. A host's
// start is written before the host is dialled (started() waits for it, and the starts of
// hosts that begin meanwhile share one write), so a restarted shard never runs a host twice;
// finished hosts are written every `interval` and at the end.
class Publisher {
public:
  Publisher(std::shared_ptr<aws::AwsContext> context, std::string bucket, std::string prefix, ShardRecord record,
            std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Writes the record as it is now (the shard starts). "" on success, else why not.
  std::string publish_now();
  // Marks `host` started and returns once a record saying so is in S3 (or its write failed).
  void started(const std::string& host);
  // Keeps a host's result for the next write.
  void done(const store::InvocationRecord& invocation);
  // Stops the thread and writes the final record with the run's outcome. "" on success.
  std::string finish(bool stopped_by_threshold, bool cancelled);
  // The first write that failed, "" when none did.
  std::string error() const;

private:
  void loop();
  std::string put_locked(std::unique_lock<std::mutex>& lock);

  std::shared_ptr<aws::AwsContext> m_context;
  aws::S3Client m_client;
  std::string m_bucket;
  std::string m_key;
  std::chrono::milliseconds m_interval;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_written_cv;
  ShardRecord m_record;
  std::map<std::string, size_t> m_row;
  unsigned long long m_wanted = 0;   // starts asked for, by generation
  unsigned long long m_written = 0;  // the generation the last write covered
  bool m_dirty = false;
  bool m_stop = false;
  std::string m_error;
  std::thread m_thread;
};

// --global-errors: each shard writes its error count to errors_key() under the given prefix
// and reads the other shards' counts, at most once per `interval`; `exceeded` says when
// the fleet's sum has passed the command's threshold.
class GlobalErrors {
public:
  GlobalErrors(std::shared_ptr<aws::AwsContext> context, std::string bucket, std::string prefix,
               std::string command_id, ShardSpec shard, int fleet_threshold,
               std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  // Called between dispatches with this shard's errors so far. Cheap between polls.
  bool exceeded(int own_errors);
  // Writes the final count. "" on success.
  std::string publish(int own_errors);
  // The other shards' errors as last read.
  int others() const { return m_others; }
  int threshold() const { return m_threshold; }

private:
  std::shared_ptr<aws::AwsContext> m_context;
  aws::S3Client m_client;
  std::string m_bucket;
  std::string m_prefix;
  std::string m_command_id;
  ShardSpec m_shard;
  int m_threshold;
  std::chrono::milliseconds m_interval;
  std::chrono::steady_clock::time_point m_last{};
  int m_published = -1;
  int m_others = 0;
  bool m_exceeded = false;
};

// s3://BUCKET/PREFIX as bucket and prefix (the prefix may be empty). Throws InputError
// naming `option` otherwise.
void parse_s3_prefix(const std::string& url, const std::string& option, std::string& bucket, std::string& prefix);

} // namespace sshm::shard
