#include "sinks/deliver.hpp"

#include "aws/s3.hpp"
#include "util/ids.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <random>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace sshm::sinks {

std::optional<aws::AwsError> deliver_s3(aws::AwsContext& context, const std::string& bucket, const std::string& key,
                                        const std::filesystem::path& file) {
  aws::S3Client client(context);
  return client.upload_file(bucket, key, file);
}

std::optional<aws::AwsError> deliver_logs(aws::AwsContext& context, const std::string& group,
                                          const std::string& stream, std::vector<aws::LogEvent> events) {
  aws::LogsClient client(context);
  for (const auto& batch : aws::make_batches(std::move(events))) {
    if (auto error = client.put_log_events(group, stream, batch)) return error;
  }
  return std::nullopt;
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "<url>";
  auto host_start = scheme + 3;
  auto host_end = url.find_first_of("/?#", host_start);
  std::string host = url.substr(host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  return url.substr(0, host_start) + host + (host_end == std::string::npos ? "" : "/...");
}

std::optional<std::string> deliver_webhook(const std::string& url, const std::string& body) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.headers = {"Content-Type: application/json"};
  request.timeout_ms = 15000;
  aws::RetryPolicy policy;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  aws::AwsError last;
  for (int attempt = 1; attempt <= policy.max_attempts; ++attempt) {
    aws::HttpResponse response = aws::perform(request, nullptr, "");
    if (response.ok()) return std::nullopt;
    last = aws::classify(response);
    if (!last.retryable) break;
    if (attempt < policy.max_attempts) std::this_thread::sleep_for(aws::backoff_delay(policy, attempt, rng));
  }
  std::string why = last.http_status ? fmt::format("HTTP {}", last.http_status) : last.message;
  return "webhook " + redact_url(url) + ": " + why;
}

std::optional<std::string> deliver_exec(const std::string& command, const std::string& body) {
  // The body goes through a temporary file: no pipe, so no SIGPIPE if the hook ignores it.
  std::filesystem::path input = std::filesystem::temp_directory_path() / ("sshm-notify-" + random_hex(8));
  {
    std::ofstream out(input, std::ios::binary);
    out << body;
    if (!out) return "exec hook: cannot write " + input.string();
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  std::string shell = "/bin/sh";
  std::string flag = "-c";
  std::string cmd = command;
  char* argv[] = {shell.data(), flag.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  std::optional<std::string> failure;
  if (rc != 0) {
    failure = std::string("exec hook: cannot start /bin/sh: ") + std::strerror(rc);
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failure = fmt::format("exec hook exited with status {}", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  std::error_code ec;
  std::filesystem::remove(input, ec);
  return failure;
}

} // namespace sshm::sinks
