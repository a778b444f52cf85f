#pragma once
// Step outputs to CloudWatch Logs while the command runs: each stream's output is cut into
// line events as it arrives and sent about once a second, in SSM's group and stream
// names. A failed send is spooled; after the first failure the sink is marked failed and
// spools the rest without trying.
#include "aws/logs.hpp"
#include "sinks/sink.hpp"
#include "sinks/spool.hpp"
#include "sinks/work_queue.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace sshm::sinks {

// Cuts a byte stream into one event per line (without the newline), keeping the
// unfinished last line until more arrives. Empty lines make no event (the service
// rejects empty messages); a line longer than the event limit is cut.
class LineSplitter {
public:
  void feed(std::string_view data, long long timestamp_ms, std::vector<aws::LogEvent>& out);
  // Emits the unfinished line, if any.
  void finish(long long timestamp_ms, std::vector<aws::LogEvent>& out);

private:
  std::string m_partial;
};

class CloudWatchSink final : public Sink {
public:
  // `log_group` "" means /aws/ssm/<DocumentName> per command.
  CloudWatchSink(std::shared_ptr<aws::AwsContext> context, std::string log_group, std::filesystem::path state_dir,
                 int threads);
  ~CloudWatchSink() override;

  std::string name() const override { return "cloudwatch"; }
  void on_output(const OutputChunk& chunk) override;
  void on_step_done(const StepOutput& output, store::PluginRecord& record) override;
  SinkReport finish() override;

private:
  struct Stream {
    std::string command_id;
    std::string host;
    std::string group;
    std::string name;
    LineSplitter splitter;
    std::vector<aws::LogEvent> pending;
    bool got_chunks = false;
    bool created = false;
  };
  Stream& stream_for(const std::string& command_id, const std::string& document, const std::string& host,
                     const std::string& step, bool is_stderr);
  void run_flusher();
  void flush_once();
  void send(Stream& stream, std::vector<aws::LogEvent> events);

  std::shared_ptr<aws::AwsContext> m_context;
  aws::LogsClient m_client;
  std::string m_log_group;
  Spool m_spool;
  WorkQueue m_queue;

  std::mutex m_mutex;  // guards the streams, pending events and the fields below
  std::map<std::string, Stream> m_streams;
  std::set<std::string> m_groups_created;
  size_t m_pending_bytes = 0;
  bool m_stopping = false;
  std::condition_variable m_wake;

  std::mutex m_report_mutex;
  std::atomic<bool> m_failed{false};
  std::string m_message;
  int m_spooled = 0;
  int m_lost = 0;

  std::thread m_flusher;
};

} // namespace sshm::sinks
