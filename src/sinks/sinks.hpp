#pragma once
// The sinks a run asked for, built from one options struct (the table of backends).
#include "aws/config.hpp"
#include "sinks/sink.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sshm::sinks {

struct SinkOptions {
  std::string s3_bucket;  // --s3-bucket; "" = no S3 output
  std::string s3_prefix;  // --s3-prefix
  bool cloudwatch = false;             // --cloudwatch
  std::string log_group;               // --log-group; "" = /aws/ssm/<DocumentName>
  std::vector<std::string> notify;     // --notify URL|exec:CMD (repeatable)
  std::vector<std::string> notify_events = {"All"};  // --notify-events All|InProgress|Success|TimedOut|Cancelled|Failed
  std::string notify_type = "Command";               // --notify-type Command|Invocation
  aws::AwsOptions aws;                 // --profile, --region, --endpoint-url
  std::filesystem::path state_dir;     // set by the caller: spool lives under it
  int upload_threads = 4;
};

// Checks the options; throws InputError (with a did-you-mean) on a bad event name,
// notification type, --notify spec or bucket name.
void validate(const SinkOptions& options);
// The sinks the options ask for (validated first); none when nothing was asked.
std::vector<std::unique_ptr<Sink>> make_sinks(const SinkOptions& options);

} // namespace sshm::sinks
