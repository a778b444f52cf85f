#include "sinks/spool.hpp"

#include "sinks/deliver.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sys/file.h>
#include <unistd.h>

namespace sshm::sinks {

namespace fs = std::filesystem;

namespace {

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return read_all(in);
}

std::string describe(const nlohmann::json& meta) {
  const auto& d = meta["destination"];
  std::string kind = meta.value("kind", "");
  if (kind == "s3") return "s3://" + d.value("bucket", "") + "/" + d.value("key", "");
  if (kind == "logs") return "logs:" + d.value("group", "") + ":" + d.value("stream", "");
  if (kind == "webhook") return "webhook " + redact_url(d.value("url", ""));
  return "exec hook";
}

PendingItem to_item(const fs::path& dir, const nlohmann::json& meta) {
  PendingItem item;
  item.id = dir.filename().string();
  item.kind = meta.value("kind", "");
  item.command_id = meta.value("command_id", "");
  item.host = meta.value("host", "");
  item.destination = describe(meta);
  item.attempts = meta.value("attempts", 0);
  item.last_error = meta.value("last_error", "");
  std::error_code ec;
  auto size = fs::file_size(dir / "data", ec);
  item.bytes = ec ? 0 : size;
  return item;
}

// An exclusive lock on <spool>/.lock for the lifetime of the object.
class SpoolLock {
public:
  explicit SpoolLock(const fs::path& dir) {
    m_fd = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd >= 0) ::flock(m_fd, LOCK_EX);
  }
  ~SpoolLock() {
    if (m_fd >= 0) ::close(m_fd);
  }
  SpoolLock(const SpoolLock&) = delete;
  SpoolLock& operator=(const SpoolLock&) = delete;

private:
  int m_fd = -1;
};

} // namespace

Spool::Spool(fs::path state_dir) : m_dir(std::move(state_dir) / "spool") {}

bool Spool::add(const std::string& kind, const std::string& command_id, const std::string& host,
                nlohmann::json destination, const std::string& error,
                const std::function<bool(const fs::path&)>& write_data) {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  fs::permissions(m_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  auto now = std::chrono::system_clock::now();
  long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string id = fmt::format("{:013d}-{}", ms, random_hex(6));
  // Built under a dot name and renamed, so a flush never sees half an entry.
  fs::path tmp = m_dir / ("." + id);
  fs::create_directories(tmp, ec);
  if (ec) return false;
  nlohmann::json meta = {{"kind", kind},       {"command_id", command_id}, {"host", host},
                         {"created", iso8601_ms(now)}, {"attempts", 1}, {"last_error", error},
                         {"destination", std::move(destination)}};
  bool ok = write_data(tmp / "data") && write_file(tmp / "meta.json", meta.dump(2));
  if (ok) fs::rename(tmp, m_dir / id, ec);
  if (!ok || ec) {
    fs::remove_all(tmp, ec);
    return false;
  }
  return true;
}

bool Spool::add_s3(const std::string& command_id, const std::string& host, const std::string& bucket,
                   const std::string& key, const fs::path& file, const std::string& region,
                   const std::string& endpoint, const std::string& error) {
  nlohmann::json destination = {{"bucket", bucket}, {"key", key}, {"region", region}, {"endpoint", endpoint}};
  return add("s3", command_id, host, destination, error, [&](const fs::path& data) {
    std::error_code ec;
    fs::create_hard_link(file, data, ec);
    if (ec) fs::copy_file(file, data, fs::copy_options::overwrite_existing, ec);
    return !ec;
  });
}

bool Spool::add_logs(const std::string& command_id, const std::string& host, const std::string& group,
                     const std::string& stream, const std::vector<aws::LogEvent>& events, const std::string& region,
                     const std::string& endpoint, const std::string& error) {
  nlohmann::json destination = {{"group", group}, {"stream", stream}, {"region", region}, {"endpoint", endpoint}};
  nlohmann::json data = nlohmann::json::array();
  for (const auto& e : events) data.push_back({e.timestamp_ms, e.message});
  return add("logs", command_id, host, destination, error, [&](const fs::path& path) {
    return write_file(path, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

bool Spool::add_notification(const std::string& command_id, const std::string& host, const std::string& kind,
                             const std::string& target, const std::string& body, const std::string& error) {
  nlohmann::json destination = kind == "webhook" ? nlohmann::json{{"url", target}} : nlohmann::json{{"command", target}};
  return add(kind, command_id, host, destination, error, [&](const fs::path& path) { return write_file(path, body); });
}

std::vector<PendingItem> Spool::list() const {
  std::vector<PendingItem> items;
  std::error_code ec;
  if (!fs::is_directory(m_dir, ec)) return items;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(m_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.empty() && name[0] != '.' && entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    auto meta = nlohmann::json::parse(read_file(dir / "meta.json"), nullptr, false);
    if (meta.is_object()) items.push_back(to_item(dir, meta));
  }
  return items;
}

std::vector<PendingItem> pending_for(const fs::path& state_dir, const std::string& command_id) {
  std::vector<PendingItem> items = Spool(state_dir).list();
  std::erase_if(items, [&](const PendingItem& i) { return i.command_id != command_id; });
  return items;
}

FlushReport flush_spool(const fs::path& state_dir, const aws::AwsOptions& options, const aws::Env& env) {
  FlushReport report;
  Spool spool(state_dir);
  std::error_code ec;
  if (!fs::is_directory(spool.dir(), ec)) return report;
  SpoolLock lock(spool.dir());
  // One context (and one credentials lookup) per region and endpoint.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<aws::AwsContext>> contexts;
  auto context_for = [&](const nlohmann::json& d) -> aws::AwsContext& {
    aws::AwsOptions o = options;
    if (o.region.empty()) o.region = d.value("region", "");
    if (o.endpoint_url.empty()) o.endpoint_url = d.value("endpoint", "");
    auto& slot = contexts[{o.region, o.endpoint_url}];
    if (!slot) slot = std::make_unique<aws::AwsContext>(o, env);
    return *slot;
  };
  std::map<std::string, std::string> failed_destinations;  // destination -> why

  for (PendingItem item : spool.list()) {
    fs::path dir = spool.dir() / item.id;
    auto meta = nlohmann::json::parse(read_file(dir / "meta.json"), nullptr, false);
    if (!meta.is_object()) continue;
    const nlohmann::json& d = meta["destination"];
    std::string group_key = item.kind + "|" + d.value("region", "") + "|" + d.value("endpoint", "") + "|" +
                            d.value("url", "") + d.value("command", "");
    std::optional<std::string> failure;
    if (auto it = failed_destinations.find(group_key); it != failed_destinations.end()) {
      failure = it->second;
    } else {
      if (item.kind == "s3") {
        if (auto e = deliver_s3(context_for(d), d.value("bucket", ""), d.value("key", ""), dir / "data"))
          failure = e->text();
      } else if (item.kind == "logs") {
        std::vector<aws::LogEvent> events;
        auto data = nlohmann::json::parse(read_file(dir / "data"), nullptr, false);
        if (data.is_array())
          for (const auto& e : data) events.push_back({e.at(0).get<long long>(), e.at(1).get<std::string>()});
        if (auto e = deliver_logs(context_for(d), d.value("group", ""), d.value("stream", ""), std::move(events)))
          failure = e->text();
      } else if (item.kind == "webhook") {
        failure = deliver_webhook(d.value("url", ""), read_file(dir / "data"));
      } else if (item.kind == "exec") {
        failure = deliver_exec(d.value("command", ""), read_file(dir / "data"));
      } else {
        failure = "unknown spool entry kind '" + item.kind + "'";
      }
      if (failure) {
        failed_destinations[group_key] = *failure;
        meta["attempts"] = meta.value("attempts", 0) + 1;
        meta["last_error"] = *failure;
        if (write_file(dir / "meta.json.tmp", meta.dump(2))) fs::rename(dir / "meta.json.tmp", dir / "meta.json", ec);
      }
    }
    if (failure) {
      item.last_error = *failure;
      report.pending.push_back(item);
    } else {
      fs::remove_all(dir, ec);
      report.delivered.push_back(item);
    }
  }
  return report;
}

} // namespace sshm::sinks
