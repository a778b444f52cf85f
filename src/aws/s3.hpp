#pragma once
// The few Amazon S3 calls sshm needs: PutObject, and multipart upload for large files.
// Path-style addressing when an endpoint is set (moto, MinIO), virtual-hosted on AWS.
#include "aws/client.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sshm::aws {

// Files larger than this go up in parts of this size.
constexpr std::uint64_t k_multipart_part_size = 8 * 1024 * 1024;

class S3Client {
public:
  explicit S3Client(AwsContext& context, RetryPolicy policy = {}) : m_context(context), m_policy(policy) {}

  // Objects written from now on ask for server-side encryption (x-amz-server-side-encryption:
  // AES256 or aws:kms, with the KMS key when one is given), as the SSM agent does for an
  // encrypted bucket.
  void set_server_side_encryption(std::string algorithm, std::string kms_key_id = "") {
    m_sse = std::move(algorithm);
    m_sse_kms_key = std::move(kms_key_id);
  }

  // The object's https URL as SSM reports it (StandardOutputUrl), or under the endpoint.
  std::string object_url(const std::string& bucket, const std::string& key) const;
  // Uploads `body` to bucket/key. nullopt on success.
  std::optional<AwsError> put_object(const std::string& bucket, const std::string& key, const std::string& body);
  // Uploads a file: one PutObject up to `part_size`, else a multipart upload (aborted
  // when a part fails). `parts_used` says how many parts were sent (1 for PutObject).
  std::optional<AwsError> upload_file(const std::string& bucket, const std::string& key,
                                      const std::filesystem::path& file, int* parts_used = nullptr,
                                      std::uint64_t part_size = k_multipart_part_size);

  // GetObject: the object's bytes into `body`; an object larger than `max_bytes` fails
  // without being read. nullopt on success.
  std::optional<AwsError> get_object(const std::string& bucket, const std::string& key, std::string& body,
                                     long long max_bytes);

  // GetBucketEncryption: the bucket's default SSEAlgorithm ("AES256", "aws:kms", ...) and
  // KMSMasterKeyID, both "" when the bucket has none (ServerSideEncryptionConfigurationNotFoundError).
  std::optional<AwsError> get_bucket_encryption(const std::string& bucket, std::string& algorithm,
                                                std::string& kms_key_id);

private:
  std::string request_url(const std::string& bucket, const std::string& key) const;
  std::optional<AwsError> call(const std::string& method, const std::string& url, std::string body,
                               HttpResponse& response, long long max_body = 0);
  AwsContext& m_context;
  RetryPolicy m_policy;
  std::string m_sse;
  std::string m_sse_kms_key;
};

} // namespace sshm::aws
