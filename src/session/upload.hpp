#pragma once
// Where a session's log goes besides the state dir, as the preferences say: S3
// (<s3KeyPrefix>/<SessionId>.log, at the end) and CloudWatch Logs (stream <SessionId> in
// cloudWatchLogGroupName: with cloudWatchStreamingEnabled, JSON events in SSM's shape sent
// while the session runs; else the log's lines at the end). What is uploaded is the log text
// (session/log_text.hpp) of what the host printed: never the keys typed, so what a no-echo
// prompt read is in neither. A failed upload is spooled for `sshm outputs flush`.
#include "aws/config.hpp"
#include "aws/logs.hpp"
#include "session/document.hpp"
#include "session/log_text.hpp"
#include "store/session_tables.hpp"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sshm::session {

// Who and what a streamed event names.
struct StreamIdentity {
  std::string region;      // awsRegion
  std::string target;      // target.id: the host
  std::string user;        // userIdentity.arn: the local user who started the session
  std::string run_as;      // runAsUser
  std::string session_id;  // sessionId
};

// One streamed event as SSM writes it: {"eventVersion":"1.0","eventTime":..,"awsRegion":..,
// "target":{"id":..},"userIdentity":{"arn":..},"runAsUser":..,"sessionId":..,"sessionData":[lines]}.
nlohmann::json stream_event(const StreamIdentity& who, const std::vector<std::string>& lines,
                            const std::string& event_time);
// `lines` as events of that shape at `timestamp_ms`, as many as keep each well under the
// service's event size; none for no lines.
std::vector<aws::LogEvent> stream_events(const StreamIdentity& who, const std::vector<std::string>& lines,
                                         long long timestamp_ms);

// A session's uploads, from the start (the checks SSM makes before a session starts) through
// the streaming to the end.
class SessionLogger {
public:
  SessionLogger(const Preferences& preferences, StreamIdentity who, const aws::AwsOptions& aws,
                std::filesystem::path state_dir);
  ~SessionLogger();
  SessionLogger(const SessionLogger&) = delete;
  SessionLogger& operator=(const SessionLogger&) = delete;

  // True when the preferences send the log anywhere.
  bool enabled() const { return !m_prefs.s3_bucket.empty() || !m_prefs.log_group.empty(); }
  // s3EncryptionEnabled: the bucket must have default encryption, as SSM requires before a
  // session starts. Throws RuntimeError (SSM's message) when it has none or cannot be asked.
  void check_before_start();
  // Starts streaming to CloudWatch Logs (cloudWatchStreamingEnabled with a log group).
  void start();
  // Output from the host, from the session loop: cheap, never blocks on the network.
  void output(std::string_view bytes);
  // Stops streaming, uploads the log made from the transcript, and records in
  // rec.details["Uploads"] where it went or that it was spooled. Never throws.
  void finish(const std::filesystem::path& transcript, store::SessionRecord& rec);

private:
  void run_streamer();
  void send_stream(const std::vector<std::string>& lines);
  void spool_unsent();
  nlohmann::json upload_s3(const std::filesystem::path& log_file);
  nlohmann::json upload_logs_at_end(const std::string& text);
  nlohmann::json spool_logs(const std::vector<aws::LogEvent>& events, const std::string& error);

  Preferences m_prefs;
  StreamIdentity m_who;
  std::filesystem::path m_state_dir;
  std::unique_ptr<aws::AwsContext> m_context;
  std::string m_sse, m_sse_kms_key;  // the bucket's default encryption, sent with the object

  std::mutex m_mutex;  // guards the fields below, shared with the streaming thread
  std::condition_variable m_wake;
  LogText m_text;
  std::vector<std::string> m_pending;  // lines not sent yet
  size_t m_pending_bytes = 0;
  bool m_stopping = false;
  std::thread m_streamer;

  // Touched only by the streaming thread until it is joined.
  bool m_stream_ready = false;              // group and stream created
  std::string m_stream_error;               // the first failure; later events are kept, not sent
  std::vector<aws::LogEvent> m_unsent;      // events not sent, for the spool
  size_t m_unsent_bytes = 0;
  size_t m_events_sent = 0;
  int m_spooled_parts = 0, m_lost_parts = 0;
};

} // namespace sshm::session
