#pragma once
// Step outputs to Amazon S3 in SSM's key layout; only non-empty streams are uploaded,
// by a small pool of threads. A failed upload is spooled; after the first failure the
// sink is marked failed and spools the rest without trying.
#include "aws/s3.hpp"
#include "sinks/sink.hpp"
#include "sinks/spool.hpp"
#include "sinks/work_queue.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace sshm::sinks {

class S3Sink final : public Sink {
public:
  S3Sink(std::shared_ptr<aws::AwsContext> context, std::string bucket, std::string prefix,
         std::filesystem::path state_dir, int threads);
  ~S3Sink() override;

  std::string name() const override { return "s3"; }
  void on_step_done(const StepOutput& output, store::PluginRecord& record) override;
  SinkReport finish() override;

private:
  void upload(const std::string& command_id, const std::string& host, const std::string& key,
              const std::filesystem::path& file);

  std::shared_ptr<aws::AwsContext> m_context;
  aws::S3Client m_client;
  std::string m_bucket;
  std::string m_prefix;
  Spool m_spool;
  std::atomic<bool> m_failed{false};
  std::mutex m_mutex;
  std::string m_message;
  int m_spooled = 0;
  int m_lost = 0;
  int m_uploaded = 0;
  WorkQueue m_queue;
};

} // namespace sshm::sinks
