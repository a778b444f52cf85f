#pragma once
// HTTP over libcurl, signed with SigV4 by curl itself (CURLOPT_AWS_SIGV4). Each thread
// keeps its own easy handle so connections are reused across requests.
#include "aws/config.hpp"

#include <map>
#include <string>
#include <vector>

namespace sshm::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string service;  // SigV4 service name ("s3", "logs"); "" sends the request unsigned
  long connect_timeout_ms = 5000;
  long timeout_ms = 120000;
  // When set, a response whose announced body is larger fails (curl's CURLE_FILESIZE_EXCEEDED)
  // instead of being read into memory.
  long long max_body = 0;
};

struct HttpResponse {
  long status = 0;  // 0 when no response arrived
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string transport_error;                 // curl's error text when status is 0
  bool ok() const { return status >= 200 && status < 300; }
};

// Sends one request. When `request.service` is set, signs it with `credentials` for
// `region`, adds x-amz-content-sha256 (the body's real hash) and the session token.
// Never logs headers: curl's verbose mode stays off.
HttpResponse perform(const HttpRequest& request, const Credentials* credentials, const std::string& region);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// Percent-encodes everything but RFC 3986 unreserved characters; '/' kept when asked.
std::string uri_encode(std::string_view s, bool keep_slash);

} // namespace sshm::aws
