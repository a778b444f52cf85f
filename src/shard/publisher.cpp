#include "shard/publisher.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

namespace sshm::shard {

Publisher::Publisher(std::shared_ptr<aws::AwsContext> context, std::string bucket, std::string prefix,
                     ShardRecord record, std::chrono::milliseconds interval)
    : m_context(std::move(context)), m_client(*m_context), m_bucket(std::move(bucket)),
      m_key(record_key(prefix, record.command.command_id, record.shard)), m_interval(interval),
      m_record(std::move(record)) {
  for (size_t i = 0; i < m_record.invocations.size(); ++i) m_row[m_record.invocations[i].instance_id] = i;
  m_thread = std::thread([this] { loop(); });
}

Publisher::~Publisher() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

// Called with the lock held; releases it while the request is out.
std::string Publisher::put_locked(std::unique_lock<std::mutex>& lock) {
  // Runs on the publisher's thread too: nothing may escape it (std::terminate), and a
  // failure is the record's error, reported like a failed PUT.
  std::string failure;
  std::string body;
  try {
    m_record.updated = iso8601_ms(std::chrono::system_clock::now());
    body = record_to_json(m_record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception& x) {
    failure = x.what();
  }
  m_dirty = false;
  lock.unlock();
  if (failure.empty()) {
    try {
      if (std::optional<aws::AwsError> e = m_client.put_object(m_bucket, m_key, body)) failure = e->text();
    } catch (const std::exception& x) {
      failure = x.what();
    }
  }
  lock.lock();
  std::string why = failure.empty() ? "" : fmt::format("shard record s3://{}/{}: {}", m_bucket, m_key, failure);
  if (!why.empty() && m_error.empty()) m_error = why;
  return why;
}

std::string Publisher::publish_now() {
  std::unique_lock<std::mutex> lock(m_mutex);
  return put_locked(lock);
}

void Publisher::loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(lock, m_interval, [&] { return m_stop || m_wanted > m_written; });
    if (m_stop) break;
    if (m_wanted == m_written && !m_dirty) continue;
    const unsigned long long covers = m_wanted;
    put_locked(lock);
    m_written = covers;
    m_written_cv.notify_all();
  }
  m_written = m_wanted;
  m_written_cv.notify_all();
}

void Publisher::started(const std::string& host) {
  std::unique_lock<std::mutex> lock(m_mutex);
  auto it = m_row.find(host);
  if (it == m_row.end() || m_stop) return;
  store::InvocationRecord& inv = m_record.invocations[it->second];
  inv.status = inv.status_details = "InProgress";
  inv.execution_start_date_time = iso8601_ms(std::chrono::system_clock::now());
  const unsigned long long mine = ++m_wanted;
  m_wake.notify_all();
  m_written_cv.wait(lock, [&] { return m_written >= mine; });
}

void Publisher::done(const store::InvocationRecord& invocation) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_row.find(invocation.instance_id);
  if (it == m_row.end()) return;
  m_record.invocations[it->second] = invocation;
  m_dirty = true;
}

std::string Publisher::finish(bool stopped_by_threshold, bool cancelled) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::unique_lock<std::mutex> lock(m_mutex);
  m_record.finished = true;
  m_record.stopped_by_threshold = stopped_by_threshold;
  m_record.cancelled = cancelled;
  return put_locked(lock);
}

std::string Publisher::error() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_error;
}

GlobalErrors::GlobalErrors(std::shared_ptr<aws::AwsContext> context, std::string bucket, std::string prefix,
                           std::string command_id, ShardSpec shard, int fleet_threshold,
                           std::chrono::milliseconds interval)
    : m_context(std::move(context)), m_client(*m_context), m_bucket(std::move(bucket)), m_prefix(std::move(prefix)),
      m_command_id(std::move(command_id)), m_shard(shard), m_threshold(fleet_threshold), m_interval(interval) {}

std::string GlobalErrors::publish(int own_errors) {
  nlohmann::json j = {{"Shard", m_shard.index}, {"Shards", m_shard.count}, {"Errors", own_errors}, {"Updated", iso8601_ms(std::chrono::system_clock::now())}};
  const std::string key = errors_key(m_prefix, m_command_id, m_shard);
  if (auto e = m_client.put_object(m_bucket, key, j.dump()))
    return fmt::format("--global-errors s3://{}/{}: {}", m_bucket, key, e->text());
  m_published = own_errors;
  return "";
}

bool GlobalErrors::exceeded(int own_errors) {
  if (m_exceeded) return true;
  const auto now = std::chrono::steady_clock::now();
  if (m_last != std::chrono::steady_clock::time_point{} && now - m_last < m_interval) {
    m_exceeded = own_errors + m_others > m_threshold;
    return m_exceeded;
  }
  m_last = now;
  if (own_errors != m_published) publish(own_errors);
  int others = 0;
  for (int k = 1; k <= m_shard.count; ++k) {
    if (k == m_shard.index) continue;
    std::string body;
    // A shard that has not written its count yet has no errors to add.
    if (m_client.get_object(m_bucket, errors_key(m_prefix, m_command_id, {k, m_shard.count}), body, 4096)) continue;
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("Errors") && j["Errors"].is_number_integer()) others += std::max(0, j["Errors"].get<int>());
  }
  m_others = others;
  m_exceeded = own_errors + others > m_threshold;
  return m_exceeded;
}

void parse_s3_prefix(const std::string& url, const std::string& option, std::string& bucket, std::string& prefix) {
  if (!starts_with(url, "s3://") || url.size() <= 5 || url[5] == '/')
    throw InputError(fmt::format("{} must be s3://BUCKET[/PREFIX]", option));
  std::string rest = url.substr(5);
  auto slash = rest.find('/');
  bucket = rest.substr(0, slash);
  prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
}

} // namespace sshm::shard
