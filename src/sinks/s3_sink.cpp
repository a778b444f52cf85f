#include "sinks/s3_sink.hpp"

#include "sinks/layout.hpp"

#include <fmt/format.h>

namespace sshm::sinks {

S3Sink::S3Sink(std::shared_ptr<aws::AwsContext> context, std::string bucket, std::string prefix,
               std::filesystem::path state_dir, int threads)
    : m_context(std::move(context)), m_client(*m_context), m_bucket(std::move(bucket)), m_prefix(std::move(prefix)),
      m_spool(std::move(state_dir)), m_queue(threads) {}

S3Sink::~S3Sink() { m_queue.drain(); }

void S3Sink::on_step_done(const StepOutput& output, store::PluginRecord& record) {
  struct Stream {
    const std::filesystem::path* file;
    const char* name;
    std::string* url;
  };
  for (Stream s : {Stream{&output.stdout_file, "stdout", &record.standard_output_url},
                   Stream{&output.stderr_file, "stderr", &record.standard_error_url}}) {
    std::error_code ec;
    if (s.file->empty() || std::filesystem::file_size(*s.file, ec) == 0 || ec) continue;
    std::string key = s3_key(m_prefix, output.command_id, output.host, output.plugin, output.step, s.name);
    *s.url = m_client.object_url(m_bucket, key);
    m_queue.push([this, command_id = output.command_id, host = output.host, key, file = *s.file] {
      upload(command_id, host, key, file);
    });
  }
}

void S3Sink::upload(const std::string& command_id, const std::string& host, const std::string& key,
                    const std::filesystem::path& file) {
  std::string error;
  if (m_failed) {
    error = "not tried: the S3 sink failed earlier in this run";
  } else if (auto e = m_client.upload_file(m_bucket, key, file)) {
    error = e->text();
    std::lock_guard lock(m_mutex);
    if (!m_failed.exchange(true)) m_message = fmt::format("upload to s3://{}/{} failed: {}", m_bucket, key, error);
  } else {
    std::lock_guard lock(m_mutex);
    ++m_uploaded;
    return;
  }
  bool kept = m_spool.add_s3(command_id, host, m_bucket, key, file, m_context->region(), m_context->s3_endpoint(), error);
  std::lock_guard lock(m_mutex);
  ++(kept ? m_spooled : m_lost);
}

SinkReport S3Sink::finish() {
  m_queue.drain();
  std::lock_guard lock(m_mutex);
  SinkReport report{name(), m_failed.load(), m_message, m_spooled};
  if (m_failed) {
    report.message += fmt::format("; {} object(s) spooled for `sshm outputs flush`", m_spooled);
    if (m_lost) report.message += fmt::format("; {} could not be spooled", m_lost);
  }
  return report;
}

} // namespace sshm::sinks
