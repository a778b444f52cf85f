#include "sinks/sinks.hpp"

#include "sinks/cloudwatch_sink.hpp"
#include "sinks/deliver.hpp"
#include "sinks/notify_sink.hpp"
#include "sinks/s3_sink.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace sshm::sinks {

namespace {

const std::vector<std::string> k_events = {"All", "InProgress", "Success", "TimedOut", "Cancelled", "Failed"};
const std::vector<std::string> k_types = {"Command", "Invocation"};

void check_one_of(const std::string& flag, const std::string& value, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  throw InputError(fmt::format("{}: unknown value '{}' (expected one of {})", flag, value, join(allowed, ", ")),
                   closest_match(value, allowed));
}

} // namespace

void validate(const SinkOptions& options) {
  for (const auto& event : options.notify_events) check_one_of("--notify-events", event, k_events);
  check_one_of("--notify-type", options.notify_type, k_types);
  for (const auto& target : options.notify) {
    if (starts_with(target, "https://") || starts_with(target, "http://")) continue;
    if (starts_with(target, "exec:") && target.size() > 5) continue;
    throw InputError(fmt::format("--notify: '{}' is neither an http(s):// URL nor exec:COMMAND",
                                 starts_with(target, "exec") ? target : redact_url(target)));
  }
  const std::string& b = options.s3_bucket;
  if (!b.empty()) {
    bool ok = b.size() >= 3 && b.size() <= 63 && std::isalnum(static_cast<unsigned char>(b.front())) &&
              std::isalnum(static_cast<unsigned char>(b.back())) &&
              std::all_of(b.begin(), b.end(), [](char c) {
                return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                       c == '-' || c == '.';
              });
    if (!ok)
      throw InputError(fmt::format("--s3-bucket: '{}' is not a valid bucket name (3-63 characters: lower-case "
                                   "letters, digits, '-' and '.')", b));
  }
  if (!options.s3_bucket.empty() || options.cloudwatch || !options.notify.empty()) {
    if (options.state_dir.empty()) throw InputError("sinks need a state directory for the spool");
  }
  if (!options.log_group.empty() && !options.cloudwatch)
    throw InputError("--log-group needs --cloudwatch");
}

std::vector<std::unique_ptr<Sink>> make_sinks(const SinkOptions& options) {
  validate(options);
  std::vector<std::unique_ptr<Sink>> sinks;
  std::shared_ptr<aws::AwsContext> context;
  if (!options.s3_bucket.empty() || options.cloudwatch) context = std::make_shared<aws::AwsContext>(options.aws);
  if (!options.s3_bucket.empty())
    sinks.push_back(std::make_unique<S3Sink>(context, options.s3_bucket, options.s3_prefix, options.state_dir,
                                             options.upload_threads));
  if (options.cloudwatch)
    sinks.push_back(std::make_unique<CloudWatchSink>(context, options.log_group, options.state_dir,
                                                     options.upload_threads));
  if (!options.notify.empty())
    sinks.push_back(std::make_unique<NotifySink>(options.notify, options.notify_events, options.notify_type,
                                                 options.state_dir));
  return sinks;
}

} // namespace sshm::sinks
