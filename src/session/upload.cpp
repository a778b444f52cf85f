#include "session/upload.hpp"

#include "aws/s3.hpp"
#include "session/transcript.hpp"
#include "sinks/deliver.hpp"
#include "sinks/spool.hpp"
#include "util/error.hpp"
#include "util/terminal_safe.hpp"
#include "util/time.hpp"

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

namespace sshm::session {

namespace fs = std::filesystem;

namespace {

// Streamed events are sent about once a second, or at once when this much is waiting.
constexpr size_t k_flush_bytes = 256 * 1024;
// An event's lines stop here, well under the service's 256 KiB per event (a line of
// LogText::k_max_line, JSON-escaped, still fits).
constexpr size_t k_event_budget = 96 * 1024;
// After a failed send, unsent events go to the spool whenever this much is held.
constexpr size_t k_spool_part_bytes = 8 * 1024 * 1024;

SystemTime time_of(long long ms) { return SystemTime(std::chrono::milliseconds(ms)); }

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void warn(const std::string& text) {
  std::fputs(("sshm: warning: " + terminal_safe(text, false) + "\r\n").c_str(), stderr);
  std::fflush(stderr);
}

// Writes `text` to `path` (0600, replaced whole). False when it cannot.
bool write_private(const fs::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == text.size() && ::fchmod(fd, 0600) == 0;
  return ::close(fd) == 0 && ok;
}

nlohmann::json outcome(const std::string& destination, const std::string& status, const std::string& error = "") {
  nlohmann::json out = {{"Destination", destination}, {"Status", status}};
  if (!error.empty()) out["Error"] = error;
  return out;
}

} // namespace

nlohmann::json stream_event(const StreamIdentity& who, const std::vector<std::string>& lines,
                            const std::string& event_time) {
  return {{"eventVersion", "1.0"},
          {"eventTime", event_time},
          {"awsRegion", who.region},
          {"target", {{"id", who.target}}},
          {"userIdentity", {{"arn", who.user}}},
          {"runAsUser", who.run_as},
          {"sessionId", who.session_id},
          {"sessionData", lines}};
}

std::vector<aws::LogEvent> stream_events(const StreamIdentity& who, const std::vector<std::string>& lines,
                                         long long timestamp_ms) {
  std::vector<aws::LogEvent> events;
  std::string time = iso8601_ms(time_of(timestamp_ms));
  std::vector<std::string> part;
  size_t size = 0;
  auto emit = [&] {
    if (part.empty()) return;
    auto json = stream_event(who, part, time);
    events.push_back({timestamp_ms, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    part.clear();
    size = 0;
  };
  for (const auto& line : lines) {
    size_t cost = line.size() * 2 + 4;  // escaped at worst (quotes, backslashes, tabs), quoted, comma
    if (size + cost > k_event_budget) emit();
    part.push_back(line);
    size += cost;
  }
  emit();
  return events;
}

SessionLogger::SessionLogger(const Preferences& preferences, StreamIdentity who, const aws::AwsOptions& aws,
                             fs::path state_dir)
    : m_prefs(preferences), m_who(std::move(who)), m_state_dir(std::move(state_dir)) {
  if (enabled()) {
    m_context = std::make_unique<aws::AwsContext>(aws);
    if (m_who.region.empty()) m_who.region = m_context->region();
  }
}

SessionLogger::~SessionLogger() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_streamer.joinable()) m_streamer.join();
}

void SessionLogger::check_before_start() {
  if (m_prefs.s3_bucket.empty() || !m_prefs.s3_encryption) return;
  aws::S3Client client(*m_context);
  std::string algorithm, key;
  if (auto error = client.get_bucket_encryption(m_prefs.s3_bucket, algorithm, key))
    throw RuntimeError(fmt::format("Couldn't start the session because we are unable to validate encryption on "
                                   "Amazon S3 bucket '{}' (s3EncryptionEnabled). Error: {}",
                                   m_prefs.s3_bucket, error->text()));
  if (algorithm != "AES256" && algorithm != "aws:kms" && algorithm != "aws:kms:dsse")
    throw RuntimeError(fmt::format("Couldn't start the session because the S3 bucket '{}' is not encrypted: "
                                   "s3EncryptionEnabled needs the bucket's default encryption (SSE-S3 or SSE-KMS) "
                                   "turned on, or set s3EncryptionEnabled to false",
                                   m_prefs.s3_bucket));
  m_sse = algorithm;
  m_sse_kms_key = key;
}

void SessionLogger::start() {
  if (m_prefs.log_group.empty() || !m_prefs.streaming || m_streamer.joinable()) return;
  m_streamer = std::thread([this] { run_streamer(); });
}

void SessionLogger::output(std::string_view bytes) {
  if (!m_streamer.joinable()) return;  // set before the session loop starts, on its thread
  bool wake = false;
  {
    std::lock_guard lock(m_mutex);
    size_t before = m_pending.size();
    m_text.feed(bytes, m_pending);
    for (size_t i = before; i < m_pending.size(); ++i) m_pending_bytes += m_pending[i].size() + 1;
    wake = m_pending_bytes >= k_flush_bytes;
  }
  if (wake) m_wake.notify_all();
}

void SessionLogger::run_streamer() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait_for(lock, std::chrono::seconds(1), [this] { return m_stopping || m_pending_bytes >= k_flush_bytes; });
    bool final = m_stopping;
    if (final) m_text.finish(m_pending);
    std::vector<std::string> lines = std::move(m_pending);
    m_pending.clear();
    m_pending_bytes = 0;
    lock.unlock();
    try {  // nothing may escape a thread (std::terminate): a failure is the stream's error
      send_stream(lines);
    } catch (const std::exception& e) {
      if (m_stream_error.empty()) m_stream_error = e.what();
    }
    lock.lock();
    if (final) return;
  }
}

void SessionLogger::send_stream(const std::vector<std::string>& lines) {
  std::vector<aws::LogEvent> events = stream_events(m_who, lines, now_ms());
  if (events.empty()) return;
  if (m_stream_error.empty()) {
    auto error = sinks::deliver_logs(*m_context, m_prefs.log_group, m_who.session_id, events);
    if (!error) {
      m_events_sent += events.size();
      return;
    }
    m_stream_error = error->text();
  }
  // Failed now or before: keep them for the spool, without waiting on the network again; a
  // long session's events go to the spool in parts rather than all held in memory.
  for (auto& e : events) {
    m_unsent_bytes += e.message.size();
    m_unsent.push_back(std::move(e));
  }
  if (m_unsent_bytes >= k_spool_part_bytes) spool_unsent();
}

void SessionLogger::spool_unsent() {
  if (m_unsent.empty()) return;
  bool kept = sinks::Spool(m_state_dir).add_logs(m_who.session_id, m_who.target, m_prefs.log_group, m_who.session_id,
                                                 m_unsent, m_context->region(), m_context->logs_endpoint(),
                                                 m_stream_error);
  ++(kept ? m_spooled_parts : m_lost_parts);
  m_unsent.clear();
  m_unsent_bytes = 0;
}

nlohmann::json SessionLogger::spool_logs(const std::vector<aws::LogEvent>& events, const std::string& error) {
  std::string destination = fmt::format("logs:{}:{}", m_prefs.log_group, m_who.session_id);
  bool kept = sinks::Spool(m_state_dir).add_logs(m_who.session_id, m_who.target, m_prefs.log_group,
                                                 m_who.session_id, events, m_context->region(),
                                                 m_context->logs_endpoint(), error);
  warn(fmt::format("sending the session log to CloudWatch Logs {} failed: {}{}", destination, error,
                   kept ? "; spooled for `sshm outputs flush`" : "; it could not be spooled either"));
  return outcome(destination, kept ? "Spooled" : "Failed", error);
}

nlohmann::json SessionLogger::upload_s3(const fs::path& log_file) {
  std::string prefix = m_prefs.s3_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  std::string key = (prefix.empty() ? "" : prefix + "/") + m_who.session_id + ".log";
  std::string destination = "s3://" + m_prefs.s3_bucket + "/" + key;
  aws::S3Client client(*m_context);
  if (!m_sse.empty()) client.set_server_side_encryption(m_sse, m_sse_kms_key);
  auto error = client.upload_file(m_prefs.s3_bucket, key, log_file);
  if (!error) return outcome(destination, "Uploaded");
  bool kept = sinks::Spool(m_state_dir).add_s3(m_who.session_id, m_who.target, m_prefs.s3_bucket, key, log_file,
                                               m_context->region(), m_context->s3_endpoint(), error->text());
  warn(fmt::format("uploading the session log to {} failed: {}{}", destination, error->text(),
                   kept ? "; spooled for `sshm outputs flush`" : "; it could not be spooled either"));
  return outcome(destination, kept ? "Spooled" : "Failed", error->text());
}

nlohmann::json SessionLogger::upload_logs_at_end(const std::string& text) {
  // Without streaming SSM sends the log's lines as they are, one event a line.
  std::vector<aws::LogEvent> events;
  long long ts = now_ms();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) events.push_back({ts, text.substr(start, end - start)});
    start = end + 1;
  }
  std::string destination = fmt::format("logs:{}:{}", m_prefs.log_group, m_who.session_id);
  if (events.empty()) return outcome(destination, "Empty");
  if (auto error = sinks::deliver_logs(*m_context, m_prefs.log_group, m_who.session_id, events))
    return spool_logs(events, error->text());
  return outcome(destination, "Uploaded");
}

void SessionLogger::finish(const fs::path& transcript, store::SessionRecord& rec) {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_streamer.joinable()) m_streamer.join();
  if (!enabled()) return;
  try {
    nlohmann::json uploads = nlohmann::json::object();
    std::string text = log_text(output_text(read_transcript(transcript)));
    fs::path log_file = fs::path(transcript).replace_extension(".log");
    if (text.empty()) {  // nothing was printed (the host was not reached): nothing to upload
      rec.details["Uploads"] = "none: the session printed nothing";
      return;
    }
    if (!m_prefs.s3_bucket.empty()) {
      if (write_private(log_file, text)) uploads["S3"] = upload_s3(log_file);
      else uploads["S3"] = outcome("s3://" + m_prefs.s3_bucket, "Failed", "cannot write " + log_file.string());
    }
    if (!m_prefs.log_group.empty() && m_prefs.streaming) {
      std::string destination = fmt::format("logs:{}:{}", m_prefs.log_group, m_who.session_id);
      spool_unsent();
      if (m_stream_error.empty()) {
        uploads["CloudWatchLogs"] = outcome(destination, "Streamed");
      } else {
        bool kept = m_spooled_parts > 0 && m_lost_parts == 0;
        uploads["CloudWatchLogs"] = outcome(destination, kept ? "Spooled" : "Failed", m_stream_error);
        warn(fmt::format("sending the session log to CloudWatch Logs {} failed: {}{}", destination, m_stream_error,
                         kept ? "; spooled for `sshm outputs flush`" : "; some of it could not be spooled"));
      }
      uploads["CloudWatchLogs"]["EventsSent"] = m_events_sent;
    } else if (!m_prefs.log_group.empty()) {
      uploads["CloudWatchLogs"] = upload_logs_at_end(text);
    }
    rec.details["Uploads"] = uploads;
  } catch (const std::exception& e) {
    warn(fmt::format("the session log was not uploaded: {}", e.what()));
    rec.details["Uploads"] = {{"Error", e.what()}};
  }
}

} // namespace sshm::session
