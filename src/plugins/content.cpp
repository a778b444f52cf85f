#include "plugins/content.hpp"

#include "aws/http.hpp"
#include "aws/s3.hpp"
#include "documents/document.hpp"
#include "params/crypto.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <stdexcept>

namespace sshm::plugins {

namespace {

Content failure(std::string message) {
  Content c;
  c.error = std::move(message);
  return c;
}

Content fetched(std::string name, std::string bytes, std::string source) {
  Content c;
  c.file_name = std::move(name);
  c.sha256 = aws::sha256_hex(bytes);
  c.bytes = std::move(bytes);
  c.source = std::move(source);
  return c;
}

std::string text_of(const nlohmann::json& info, const char* key) {
  if (!info.contains(key)) return {};
  const auto& v = info[key];
  return v.is_string() ? v.get<std::string>() : v.is_boolean() ? (v.get<bool>() ? "true" : "false") : v.dump();
}

// An S3 object URL as the agent takes sourceInfo's path: https://s3.amazonaws.com/BUCKET/KEY,
// https://s3.REGION.amazonaws.com/BUCKET/KEY, https://s3-REGION.amazonaws.com/BUCKET/KEY or
// https://BUCKET.s3[.REGION].amazonaws.com/KEY (and s3://BUCKET/KEY).
bool parse_s3_url(const std::string& url, std::string& bucket, std::string& key) {
  std::string rest;
  if (starts_with(url, "s3://")) {
    rest = url.substr(5);
  } else {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return false;
    std::string after = url.substr(scheme + 3);
    auto slash = after.find('/');
    if (slash == std::string::npos) return false;
    std::string host = after.substr(0, slash);
    std::string path = after.substr(slash + 1);
    auto dot_s3 = host.find(".s3");
    if (starts_with(host, "s3.") || starts_with(host, "s3-")) rest = path;
    else if (dot_s3 != std::string::npos && dot_s3 > 0) rest = host.substr(0, dot_s3) + "/" + path;
    else return false;
  }
  auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  bucket = rest.substr(0, slash);
  key = rest.substr(slash + 1);
  return !key.empty();
}

Content fetch_s3(const aws::AwsOptions& options, const nlohmann::json& info) {
  std::string path = text_of(info, "path");
  std::string bucket, key;
  if (path.empty()) return failure("sourceInfo for S3 needs \"path\", the object's URL");
  if (!parse_s3_url(path, bucket, key)) return failure(fmt::format("sourceInfo path '{}' is not an S3 object URL", path));
  if (key.back() == '/') return failure("sshm downloads one S3 object, not a folder: give the object's URL");
  std::string name = safe_file_name(key);
  if (name.empty()) return failure(fmt::format("the S3 key '{}' does not end in a file name", key));
  aws::AwsContext context(options);
  aws::S3Client s3(context);
  std::string body;
  if (auto error = s3.get_object(bucket, key, body, k_content_limit))
    return failure(fmt::format("S3 GetObject s3://{}/{}: {}", bucket, key, error->text()));
  return fetched(name, std::move(body), fmt::format("s3://{}/{}", bucket, key));
}

// One GET by libcurl, unsigned, within the size limit; `what` names the source in errors.
Content http_get(const std::string& url, const std::vector<std::string>& headers, const std::string& what) {
  aws::HttpRequest request;
  request.url = url;
  request.headers = headers;
  request.max_body = k_content_limit;
  aws::HttpResponse response = aws::perform(request, nullptr, "");
  if (response.status == 0) return failure(fmt::format("{} could not be reached: {}", what, response.transport_error));
  if (!response.ok()) return failure(fmt::format("{} answered HTTP {}", what, response.status));
  if (static_cast<long long>(response.body.size()) > k_content_limit)
    return failure(fmt::format("{} is larger than {} bytes", what, k_content_limit));
  std::string path = url.substr(0, url.find_first_of("?#"));
  std::string name = safe_file_name(path);
  if (name.empty()) return failure(fmt::format("the URL {} does not end in a file name", url));
  return fetched(name, std::move(response.body), url);
}

// sourceType HTTP: url, authMethod None or Basic (username, password), and plain http only
// with allowInsecureDownload, as the agent's httpresource checks.
Content fetch_http(const nlohmann::json& info) {
  std::string url = text_of(info, "url");
  if (url.empty()) return failure("sourceInfo for HTTP needs \"url\"");
  bool https = starts_with(to_lower(url), "https://");
  if (!https && !starts_with(to_lower(url), "http://")) return failure("sourceInfo url must be an http or https URL");
  if (!https && to_lower(text_of(info, "allowInsecureDownload")) != "true")
    return failure("the url uses plain http: set \"allowInsecureDownload\": true in sourceInfo to allow it");
  std::string method = text_of(info, "authMethod");
  std::vector<std::string> headers;
  if (method == "Basic") {
    headers.push_back("Authorization: Basic " + params::base64(text_of(info, "username") + ":" + text_of(info, "password")));
  } else if (!method.empty() && method != "None") {
    return failure(fmt::format("authMethod '{}' is not supported by sshm (None or Basic)", method));
  }
  return http_get(url, headers, "the HTTP source " + url);
}

// sourceType GitHub: owner, repository, path and getOptions (branch:NAME or commitID:SHA)
// of a public repository, read from raw.githubusercontent.com by the controller.
Content fetch_github(const nlohmann::json& info) {
  std::string owner = text_of(info, "owner"), repo = text_of(info, "repository"), path = text_of(info, "path");
  if (owner.empty() || repo.empty() || path.empty())
    return failure("sourceInfo for GitHub needs \"owner\", \"repository\" and \"path\"");
  if (!text_of(info, "tokenInfo").empty())
    return failure("private GitHub repositories (tokenInfo) are not fetched by sshm; use S3 or HTTP");
  std::string ref = "HEAD", options = text_of(info, "getOptions");
  if (auto colon = options.find(':'); colon != std::string::npos) ref = options.substr(colon + 1);
  std::string url = fmt::format("https://raw.githubusercontent.com/{}/{}/{}/{}", aws::uri_encode(owner, false),
                                aws::uri_encode(repo, false), aws::uri_encode(ref, true), aws::uri_encode(path, true));
  return http_get(url, {}, fmt::format("GitHub {}/{} {}", owner, repo, path));
}

// sourceType SSMDocument: name (NAME or NAME:VERSION) of a document sshm has, as NAME.json.
Content fetch_document(const nlohmann::json& info) {
  std::string name = text_of(info, "name");
  if (name.empty()) return failure("sourceInfo for SSMDocument needs \"name\"");
  std::string plain = name.substr(0, name.find(':'));
  try {
    documents::Document doc = documents::load(plain);
    std::string file = safe_file_name(doc.name + ".json");
    if (file.empty()) return failure(fmt::format("the document name '{}' is not a file name", doc.name));
    return fetched(file, doc.source_text, "SSMDocument " + plain);
  } catch (const InputError& e) {
    return failure(e.formatted());
  }
}

} // namespace

nlohmann::json source_info_object(const nlohmann::json& value) {
  if (value.is_object()) return value;
  if (value.is_string()) {
    try {
      nlohmann::json parsed = nlohmann::json::parse(value.get<std::string>());
      if (parsed.is_object()) return parsed;
    } catch (const nlohmann::json::exception&) {
    }
  }
  throw std::invalid_argument("sourceInfo must be a JSON object");
}

std::string safe_file_name(const std::string& path_or_url) {
  std::string name = path_or_url.substr(path_or_url.find_last_of('/') == std::string::npos ? 0 : path_or_url.find_last_of('/') + 1);
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return {};
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return {};
  return name;
}

ContentFetch controller_fetch(const aws::AwsOptions& aws) {
  return [aws](const std::string& type, const nlohmann::json& info) -> Content {
    if (type == "S3") return fetch_s3(aws, info);
    if (type == "HTTP") return fetch_http(info);
    if (type == "GitHub") return fetch_github(info);
    if (type == "SSMDocument") return fetch_document(info);
    if (type == "Git")
      return failure("sourceType Git is not fetched by sshm: clone on the host with aws:runShellScript, or use S3 or HTTP");
    return failure(fmt::format("Invalid Location type - {}", type));
  };
}

std::shared_ptr<const Content> ContentCache::get(const std::string& source_type, const nlohmann::json& source_info) {
  return get_keyed(source_type + "\n" + source_info.dump(), [&] { return m_fetch(source_type, source_info); });
}

std::shared_ptr<const Content> ContentCache::get_keyed(const std::string& key, const std::function<Content()>& fetch) {
  std::promise<std::shared_ptr<const Content>> promise;
  std::shared_future<std::shared_ptr<const Content>> future;
  bool fetch_here = false;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_entries.find(key);
    if (it != m_entries.end()) {
      future = it->second;
    } else {
      future = promise.get_future().share();
      m_entries.emplace(key, future);
      fetch_here = true;
    }
  }
  if (fetch_here) {
    std::shared_ptr<const Content> content;
    try {
      content = std::make_shared<const Content>(fetch());
    } catch (const std::exception& e) {
      content = std::make_shared<const Content>(failure(std::string("the fetch failed inside sshm: ") + e.what()));
    }
    promise.set_value(content);
  }
  return future.get();
}

} // namespace sshm::plugins
