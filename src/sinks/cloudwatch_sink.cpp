#include "sinks/cloudwatch_sink.hpp"

#include "sinks/layout.hpp"

#include <chrono>
#include <fmt/format.h>
#include <fstream>

namespace sshm::sinks {

namespace {

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sends when this much is waiting, without waiting for the next tick.
constexpr size_t k_flush_bytes = 512 * 1024;

void emit(std::string_view line, long long timestamp_ms, std::vector<aws::LogEvent>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  for (auto& piece : aws::split_event(aws::LogEvent{timestamp_ms, aws::to_valid_utf8(line)}))
    out.push_back(std::move(piece));
}

} // namespace

void LineSplitter::feed(std::string_view data, long long timestamp_ms, std::vector<aws::LogEvent>& out) {
  while (!data.empty()) {
    auto newline = data.find('\n');
    if (newline == std::string_view::npos) {
      m_partial.append(data);
      // A line that never ends must not grow without bound: cut it at the event limit.
      if (m_partial.size() >= aws::k_max_event_bytes - aws::k_event_overhead) {
        emit(m_partial, timestamp_ms, out);
        m_partial.clear();
      }
      return;
    }
    if (m_partial.empty()) {
      emit(data.substr(0, newline), timestamp_ms, out);
    } else {
      m_partial.append(data.substr(0, newline));
      emit(m_partial, timestamp_ms, out);
      m_partial.clear();
    }
    data.remove_prefix(newline + 1);
  }
}

void LineSplitter::finish(long long timestamp_ms, std::vector<aws::LogEvent>& out) {
  emit(m_partial, timestamp_ms, out);
  m_partial.clear();
}

CloudWatchSink::CloudWatchSink(std::shared_ptr<aws::AwsContext> context, std::string log_group,
                               std::filesystem::path state_dir, int threads)
    : m_context(std::move(context)), m_client(*m_context), m_log_group(std::move(log_group)),
      m_spool(std::move(state_dir)), m_queue(threads) {
  m_flusher = std::thread([this] { run_flusher(); });
}

CloudWatchSink::~CloudWatchSink() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_flusher.joinable()) m_flusher.join();
}

CloudWatchSink::Stream& CloudWatchSink::stream_for(const std::string& command_id, const std::string& document,
                                                   const std::string& host, const std::string& step,
                                                   bool is_stderr) {
  const char* which = is_stderr ? "stderr" : "stdout";
  std::string name = log_stream_name(command_id, host, step, which);
  std::string group = m_log_group.empty() ? default_log_group(document) : m_log_group;
  Stream& s = m_streams[group + "\n" + name];
  if (s.name.empty()) {
    s.command_id = command_id;
    s.host = host;
    s.group = group;
    s.name = name;
  }
  return s;
}

void CloudWatchSink::on_output(const OutputChunk& chunk) {
  bool wake = false;
  {
    std::lock_guard lock(m_mutex);
    Stream& s = stream_for(chunk.command_id, chunk.document_name, chunk.host, chunk.step, chunk.is_stderr);
    s.got_chunks = true;
    size_t before = s.pending.size();
    s.splitter.feed(chunk.data, now_ms(), s.pending);
    for (size_t i = before; i < s.pending.size(); ++i) m_pending_bytes += s.pending[i].message.size();
    wake = m_pending_bytes >= k_flush_bytes;
  }
  if (wake) m_wake.notify_all();
}

void CloudWatchSink::on_step_done(const StepOutput& output, store::PluginRecord&) {
  {
    std::lock_guard lock(m_mutex);
    for (bool is_stderr : {false, true}) {
      const auto& file = is_stderr ? output.stderr_file : output.stdout_file;
      std::error_code ec;
      bool has_file = !file.empty() && std::filesystem::file_size(file, ec) > 0 && !ec;
      std::string key_group = m_log_group.empty() ? default_log_group(output.document_name) : m_log_group;
      std::string key = key_group + "\n" + log_stream_name(output.command_id, output.host, output.step,
                                                           is_stderr ? "stderr" : "stdout");
      auto it = m_streams.find(key);
      if (it != m_streams.end() && it->second.got_chunks) {
        it->second.splitter.finish(now_ms(), it->second.pending);
        continue;
      }
      // Nothing was streamed: send the whole file now.
      if (!has_file) continue;
      Stream& s = stream_for(output.command_id, output.document_name, output.host, output.step, is_stderr);
      std::ifstream in(file, std::ios::binary);
      std::string buffer(64 * 1024, '\0');
      long long ts = now_ms();
      while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
        s.splitter.feed(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())), ts, s.pending);
      s.splitter.finish(ts, s.pending);
    }
  }
  m_wake.notify_all();
}

void CloudWatchSink::run_flusher() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, std::chrono::seconds(1));
    lock.unlock();
    flush_once();
    lock.lock();
  }
}

void CloudWatchSink::flush_once() {
  // Take what is waiting under the lock; send outside it, one job per stream so each
  // stream's events stay in order while streams go in parallel.
  std::vector<std::pair<Stream*, std::vector<aws::LogEvent>>> work;
  {
    std::lock_guard lock(m_mutex);
    for (auto& [key, s] : m_streams) {
      if (s.pending.empty()) continue;
      work.emplace_back(&s, std::move(s.pending));
      s.pending.clear();
    }
    m_pending_bytes = 0;
  }
  for (auto& [stream, events] : work)
    m_queue.push([this, stream = stream, events = std::move(events)]() mutable { send(*stream, std::move(events)); });
  m_queue.drain();
}

void CloudWatchSink::send(Stream& stream, std::vector<aws::LogEvent> events) {
  std::string error;
  if (m_failed) {
    error = "not tried: the CloudWatch Logs sink failed earlier in this run";
  } else {
    std::optional<aws::AwsError> failure;
    bool need_group = false;
    {
      std::lock_guard lock(m_mutex);
      need_group = !m_groups_created.count(stream.group);
    }
    if (need_group) {
      failure = m_client.create_log_group(stream.group);
      if (!failure) {
        std::lock_guard lock(m_mutex);
        m_groups_created.insert(stream.group);
      }
    }
    if (!failure && !stream.created) {
      failure = m_client.create_log_stream(stream.group, stream.name);
      if (!failure) stream.created = true;
    }
    if (!failure) {
      for (const auto& batch : aws::make_batches(events)) {
        failure = m_client.put_log_events(stream.group, stream.name, batch);
        if (failure) break;
      }
    }
    if (!failure) return;
    error = failure->text();
    std::lock_guard lock(m_report_mutex);
    if (!m_failed.exchange(true))
      m_message = fmt::format("CloudWatch Logs {}:{} failed: {}", stream.group, stream.name, error);
  }
  bool kept = m_spool.add_logs(stream.command_id, stream.host, stream.group, stream.name, events,
                               m_context->region(), m_context->logs_endpoint(), error);
  std::lock_guard lock(m_report_mutex);
  ++(kept ? m_spooled : m_lost);
}

SinkReport CloudWatchSink::finish() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    // Streams whose step never reported done still hold an unfinished line.
    for (auto& [key, s] : m_streams) s.splitter.finish(now_ms(), s.pending);
  }
  m_wake.notify_all();
  if (m_flusher.joinable()) m_flusher.join();
  flush_once();
  std::lock_guard lock(m_report_mutex);
  SinkReport report{name(), m_failed.load(), m_message, m_spooled};
  if (m_failed) {
    report.message += fmt::format("; {} batch(es) spooled for `sshm outputs flush`", m_spooled);
    if (m_lost) report.message += fmt::format("; {} could not be spooled", m_lost);
  }
  return report;
}

} // namespace sshm::sinks
