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

bool any_backend_wanted(const SinkOptions& options);

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
  if (any_backend_wanted(options) && options.state_dir.empty())
    throw InputError("sinks need a state directory for the spool");
  if (!options.log_group.empty() && !options.cloudwatch)
    throw InputError("--log-group needs --cloudwatch");
}

namespace {

// What the backends of one run share: the options, and one AWS context (credentials and
// region are looked up once, for S3 and CloudWatch together).
struct BackendContext {
  const SinkOptions& options;
  std::shared_ptr<aws::AwsContext> aws;
  std::shared_ptr<aws::AwsContext> aws_context() {
    if (!aws) aws = std::make_shared<aws::AwsContext>(options.aws);
    return aws;
  }
};

// The table of backends: a new sink is one file and one line here.
struct Backend {
  const char* name;
  bool (*wanted)(const SinkOptions&);
  std::unique_ptr<Sink> (*make)(BackendContext&);
};

const Backend k_backends[] = {
    {"s3", [](const SinkOptions& o) { return !o.s3_bucket.empty(); },
     [](BackendContext& c) -> std::unique_ptr<Sink> {
       return std::make_unique<S3Sink>(c.aws_context(), c.options.s3_bucket, c.options.s3_prefix,
                                       c.options.state_dir, c.options.upload_threads);
     }},
    {"cloudwatch", [](const SinkOptions& o) { return o.cloudwatch; },
     [](BackendContext& c) -> std::unique_ptr<Sink> {
       return std::make_unique<CloudWatchSink>(c.aws_context(), c.options.log_group, c.options.state_dir,
                                               c.options.upload_threads);
     }},
    {"notify", [](const SinkOptions& o) { return !o.notify.empty(); },
     [](BackendContext& c) -> std::unique_ptr<Sink> {
       return std::make_unique<NotifySink>(c.options.notify, c.options.notify_events, c.options.notify_type,
                                           c.options.state_dir);
     }},
};

bool any_backend_wanted(const SinkOptions& options) {
  return std::any_of(std::begin(k_backends), std::end(k_backends),
                     [&](const Backend& backend) { return backend.wanted(options); });
}

} // namespace

std::vector<std::unique_ptr<Sink>> make_sinks(const SinkOptions& options) {
  validate(options);
  std::vector<std::unique_ptr<Sink>> sinks;
  BackendContext context{options, nullptr};
  for (const Backend& backend : k_backends)
    if (backend.wanted(options)) sinks.push_back(backend.make(context));
  return sinks;
}

} // namespace sshm::sinks
