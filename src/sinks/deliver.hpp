#pragma once
// Delivering one result to one destination; shared by the sinks and `outputs flush`.
// Each returns nullopt on success, else the reason (never with a secret in it).
#include "aws/client.hpp"
#include "aws/logs.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sshm::sinks {

// Uploads a file to s3://bucket/key (multipart above 8 MiB).
std::optional<aws::AwsError> deliver_s3(aws::AwsContext& context, const std::string& bucket, const std::string& key,
                                        const std::filesystem::path& file);
// Sends events to group/stream in as many PutLogEvents batches as the limits need,
// creating the group and stream when missing.
std::optional<aws::AwsError> deliver_logs(aws::AwsContext& context, const std::string& group,
                                          const std::string& stream, std::vector<aws::LogEvent> events);
// POSTs a JSON body to an http(s) URL, retrying on 5xx, 429 and network errors.
std::optional<std::string> deliver_webhook(const std::string& url, const std::string& body);
// Runs `/bin/sh -c command` with `body` on its standard input; success is exit status 0.
std::optional<std::string> deliver_exec(const std::string& command, const std::string& body);
// "https://host/..." without user info, path or query, for messages (URLs may hold tokens).
std::string redact_url(const std::string& url);

} // namespace sshm::sinks
