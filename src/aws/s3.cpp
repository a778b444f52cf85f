#include "aws/s3.hpp"

#include <fmt/format.h>
#include <fstream>
#include <vector>

namespace sshm::aws {

namespace {

std::string xml_value(const std::string& body, const std::string& name) {
  auto open = body.find("<" + name + ">");
  if (open == std::string::npos) return {};
  open += name.size() + 2;
  auto close = body.find("</" + name + ">", open);
  return close == std::string::npos ? std::string() : body.substr(open, close - open);
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

bool read_range(const std::filesystem::path& file, std::uint64_t offset, std::uint64_t length, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  in.seekg(static_cast<std::streamoff>(offset));
  out.resize(length);
  in.read(out.data(), static_cast<std::streamsize>(length));
  return static_cast<std::uint64_t>(in.gcount()) == length;
}

} // namespace

std::string S3Client::object_url(const std::string& bucket, const std::string& key) const {
  std::string path = "/" + bucket + "/" + uri_encode(key, true);
  if (!m_context.s3_endpoint().empty()) return m_context.s3_endpoint() + path;
  return "https://s3." + m_context.region() + ".amazonaws.com" + path;
}

std::string S3Client::request_url(const std::string& bucket, const std::string& key) const {
  if (!m_context.s3_endpoint().empty() || bucket.find('.') != std::string::npos) return object_url(bucket, key);
  return "https://" + bucket + ".s3." + m_context.region() + ".amazonaws.com/" + uri_encode(key, true);
}

std::optional<AwsError> S3Client::call(const std::string& method, const std::string& url, std::string body,
                                       HttpResponse& response, long long max_body) {
  HttpRequest request;
  request.max_body = max_body;
  request.method = method;
  request.url = url;
  request.service = "s3";
  request.body = std::move(body);
  request.headers = {"Content-Type: application/octet-stream"};
  // An object's encryption is asked for where it is created: PutObject and CreateMultipartUpload.
  bool creates = (method == "PUT" && url.find("partNumber=") == std::string::npos) ||
                 (method == "POST" && url.find("?uploads=") != std::string::npos);
  if (creates && !m_sse.empty()) {
    request.headers.push_back("x-amz-server-side-encryption: " + m_sse);
    if (!m_sse_kms_key.empty()) request.headers.push_back("x-amz-server-side-encryption-aws-kms-key-id: " + m_sse_kms_key);
  }
  auto error = send(m_context, request, m_policy, response);
  // CompleteMultipartUpload may answer 200 with an error document.
  if (!error && method != "GET" && response.body.find("<Error>") != std::string::npos) {
    AwsError e = classify(HttpResponse{500, response.body, {}, ""});
    e.http_status = response.status;
    return e;
  }
  return error;
}

std::optional<AwsError> S3Client::put_object(const std::string& bucket, const std::string& key,
                                             const std::string& body) {
  HttpResponse response;
  return call("PUT", request_url(bucket, key), body, response);
}

std::optional<AwsError> S3Client::get_object(const std::string& bucket, const std::string& key, std::string& body,
                                             long long max_bytes) {
  HttpResponse response;
  if (auto error = call("GET", request_url(bucket, key), "", response, max_bytes)) return error;
  if (max_bytes > 0 && static_cast<long long>(response.body.size()) > max_bytes)
    return AwsError{response.status, "ObjectTooLarge", fmt::format("the object is larger than {} bytes", max_bytes), false};
  body = std::move(response.body);
  return std::nullopt;
}

std::optional<AwsError> S3Client::get_bucket_encryption(const std::string& bucket, std::string& algorithm,
                                                        std::string& kms_key_id) {
  algorithm.clear();
  kms_key_id.clear();
  HttpResponse response;
  std::string url = request_url(bucket, "");
  if (auto error = call("GET", url + "?encryption=", "", response, 1024 * 1024)) {
    if (error->code == "ServerSideEncryptionConfigurationNotFoundError") return std::nullopt;
    return error;
  }
  algorithm = xml_value(response.body, "SSEAlgorithm");
  kms_key_id = xml_value(response.body, "KMSMasterKeyID");
  return std::nullopt;
}

std::optional<AwsError> S3Client::upload_file(const std::string& bucket, const std::string& key,
                                              const std::filesystem::path& file, int* parts_used,
                                              std::uint64_t part_size) {
  std::error_code ec;
  std::uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return AwsError{0, "LocalFileError", "cannot read " + file.string() + ": " + ec.message(), false};
  std::string data;
  if (size <= part_size) {
    if (!read_range(file, 0, size, data))
      return AwsError{0, "LocalFileError", "cannot read " + file.string(), false};
    if (parts_used) *parts_used = 1;
    return put_object(bucket, key, data);
  }

  std::string base = request_url(bucket, key);
  HttpResponse response;
  if (auto error = call("POST", base + "?uploads=", "", response)) return error;
  std::string upload_id = xml_value(response.body, "UploadId");
  if (upload_id.empty()) return AwsError{response.status, "InvalidResponse", "no UploadId in CreateMultipartUpload", false};
  std::string id_query = "uploadId=" + uri_encode(upload_id, false);

  std::vector<std::string> etags;
  std::optional<AwsError> failure;
  for (std::uint64_t offset = 0; offset < size && !failure; offset += part_size) {
    std::uint64_t length = std::min(part_size, size - offset);
    if (!read_range(file, offset, length, data)) {
      failure = AwsError{0, "LocalFileError", "cannot read " + file.string(), false};
      break;
    }
    int number = static_cast<int>(etags.size()) + 1;
    failure = call("PUT", fmt::format("{}?partNumber={}&{}", base, number, id_query), data, response);
    if (!failure) etags.push_back(response.headers["etag"]);
  }
  if (!failure) {
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags.size(); ++i)
      xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, xml_escape(etags[i]));
    xml += "</CompleteMultipartUpload>";
    failure = call("POST", base + "?" + id_query, xml, response);
  }
  if (failure) {
    // Best effort: do not leave parts behind to be billed.
    HttpResponse ignored;
    call("DELETE", base + "?" + id_query, "", ignored);
    return failure;
  }
  if (parts_used) *parts_used = static_cast<int>(etags.size());
  return std::nullopt;
}

} // namespace sshm::aws
