#pragma once
// What aws:downloadContent fetches, fetched on the controller (sshm's hosts need no AWS
// credentials and no route to the source): once per command and source, whatever the
// number of hosts, with a size limit and a SHA-256 to record; then pushed to each host.
#include "aws/config.hpp"

#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace sshm::plugins {

// The most aws:downloadContent fetches from one source.
inline constexpr long long k_content_limit = 64LL * 1024 * 1024;

struct Content {
  std::string file_name;  // the name it takes on the host: the key's or URL's last part, NAME.json
  std::string bytes;
  std::string sha256;     // lower-case hex
  std::string source;     // where it came from, for the record (never a password)
  std::string error;      // set when the fetch failed; then nothing else is
};

// Fetches `source_type` (S3, HTTP, GitHub, Git, SSMDocument) as `source_info` describes it.
using ContentFetch = std::function<Content(const std::string& source_type, const nlohmann::json& source_info)>;

// The fetcher for real runs: S3 through the SigV4 client with `aws`'s profile, region and
// endpoint; HTTP(S) and GitHub by libcurl; SSMDocument from sshm's documents.
ContentFetch controller_fetch(const aws::AwsOptions& aws);

// sourceInfo as the agent takes it: a JSON object, or its text. Throws std::invalid_argument
// with a message when it is neither.
nlohmann::json source_info_object(const nlohmann::json& value);

// The last part of a path or URL as a file name on the host, "" when it is not a plain
// name (empty, ".", "..", control characters).
std::string safe_file_name(const std::string& path_or_url);

// Each distinct source fetched once per command: the first host that asks fetches, the
// others wait for it and share the result, failures included. Shared between threads.
class ContentCache {
public:
  explicit ContentCache(ContentFetch fetch) : m_fetch(std::move(fetch)) {}
  std::shared_ptr<const Content> get(const std::string& source_type, const nlohmann::json& source_info);
  // The same for content sshm fetches its own way (a stored package's archive), under `key`.
  std::shared_ptr<const Content> get_keyed(const std::string& key, const std::function<Content()>& fetch);

private:
  ContentFetch m_fetch;
  std::mutex m_mutex;
  std::map<std::string, std::shared_future<std::shared_ptr<const Content>>> m_entries;
};

} // namespace sshm::plugins
