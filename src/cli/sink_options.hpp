#pragma once
// The result-destination flags shared by `run`, `exec` and the other commands that send
// documents: --s3-bucket, --s3-prefix, --cloudwatch, --log-group, --notify,
// --notify-events, --notify-type, and the AWS flags --profile, --region, --endpoint-url.
#include "aws/config.hpp"
#include "sinks/sinks.hpp"

#include <CLI/CLI.hpp>

namespace sshm::cli {

// --profile, --region, --endpoint-url.
void add_aws_options(CLI::App* cmd, aws::AwsOptions& options);
// Everything in SinkOptions but state_dir, which the caller sets from the global options.
void add_sink_options(CLI::App* cmd, sinks::SinkOptions& options);

} // namespace sshm::cli
