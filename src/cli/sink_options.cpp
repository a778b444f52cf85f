#include "cli/sink_options.hpp"

namespace sshm::cli {

void add_aws_options(CLI::App* cmd, aws::AwsOptions& options) {
  cmd->add_option("--profile", options.profile, "AWS profile from ~/.aws/credentials and ~/.aws/config")
      ->group("AWS");
  cmd->add_option("--region", options.region, "AWS region (default: AWS_REGION, the profile's, us-east-1)")
      ->group("AWS");
  cmd->add_option("--endpoint-url", options.endpoint_url,
                  "Endpoint for S3, CloudWatch Logs and SSM (S3-compatible stores, tests); also AWS_ENDPOINT_URL")
      ->group("AWS");
}

void add_sink_options(CLI::App* cmd, sinks::SinkOptions& options) {
  const char* group = "Results";
  cmd->add_option("--s3-bucket", options.s3_bucket, "Upload outputs to this S3 bucket, in SSM's key layout")
      ->group(group);
  cmd->add_option("--s3-prefix", options.s3_prefix, "Key prefix in the S3 bucket")->group(group);
  cmd->add_flag("--cloudwatch", options.cloudwatch, "Stream outputs to CloudWatch Logs while the command runs")
      ->group(group);
  cmd->add_option("--log-group", options.log_group, "CloudWatch Logs group (default /aws/ssm/<DocumentName>)")
      ->group(group);
  cmd->add_option("--notify", options.notify, "Notify on status changes: an http(s):// webhook or exec:COMMAND")
      ->group(group);
  cmd->add_option("--notify-events", options.notify_events,
                  "Events to notify: All, InProgress, Success, TimedOut, Cancelled, Failed (default All)")
      ->delimiter(',')
      ->group(group);
  cmd->add_option("--notify-type", options.notify_type, "Command (one message per command) or Invocation (per host)")
      ->group(group);
  add_aws_options(cmd, options.aws);
}

} // namespace sshm::cli
