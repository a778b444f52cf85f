// aws:downloadContent: fetched on the controller (plugins/content.cpp), written on the host.
#include "plugins/content.hpp"
#include "plugins/executor.hpp"

#include "params/crypto.hpp"
#include "util/ids.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sshm::plugins {

namespace {

const std::vector<std::string> k_source_types = {"GitHub", "S3", "SSMDocument", "HTTP", "Git"};

std::string input_text(const nlohmann::json& in, const char* key) {
  if (!in.contains(key) || in[key].is_null()) return {};
  return in[key].is_string() ? in[key].get<std::string>() : in[key].dump();
}

// The host side, read by `sh -s`: where the file goes (the agent's rules: an absolute
// destinationPath as given, a relative one under the downloads directory; a destination
// that ends in '/' or is a directory receives the file under its own name), its bytes in
// base64 so any content survives the heredoc, written whole or not at all.
std::string write_script(const HostContext& ctx, const std::string& destination, const Content& content) {
  std::string d = !destination.empty() && destination[0] == '/' ? shell_quote(destination)
                                                                 : downloads_dir(ctx) + "/" + shell_quote(destination);
  const std::string end = "SSHM_CONTENT_END_" + random_hex(8);
  std::string body = base64_lines(content.bytes);
  return "umask 077\n"
         "d=" + d + "; f=" + shell_quote(content.file_name) + "\n"
         "case \"$d\" in */) t=\"$d$f\";; *) if [ -d \"$d\" ]; then t=\"$d/$f\"; else t=\"$d\"; fi;; esac\n"
         "mkdir -p -- \"$(dirname -- \"$t\")\" || exit 1\n"
         "base64 -d >\"$t.sshm-part.$$\" <<'" + end + "' && chmod 700 \"$t.sshm-part.$$\" && mv -f -- \"$t.sshm-part.$$\" \"$t\" || "
         "{ rm -f -- \"$t.sshm-part.$$\"; exit 1; }\n" +
         body + end + "\n"
         "printf '%s\\n' \"$t\"\n";
}

// The step's inputs, checked as the agent's validateInput; "" when they are fine.
std::string input_problem(const std::string& type, const std::string& info) {
  if (type.empty()) return "invalid input: Location Type must be specified";
  if (std::find(k_source_types.begin(), k_source_types.end(), type) == k_source_types.end())
    return "invalid input: Unsupported location type";
  if (info.empty() || info == "{}") return "invalid input: Location Information must be specified";
  return {};
}

} // namespace

std::string base64_lines(const std::string& bytes) {
  std::string encoded = params::base64(bytes), body;
  body.reserve(encoded.size() + encoded.size() / 76 + 1);
  for (size_t i = 0; i < encoded.size(); i += 76) body += encoded.substr(i, 76) + "\n";
  return body;
}

StepResult run_download_content(HostContext& ctx, const documents::Step& step, OutputCapture& capture) {
  const auto& in = step.inputs;
  std::string type = input_text(in, "sourceType");
  if (std::string problem = input_problem(type, input_text(in, "sourceInfo")); !problem.empty()) return failed_step(problem);
  nlohmann::json info;
  try {
    info = source_info_object(in["sourceInfo"]);
  } catch (const std::invalid_argument& e) {
    return failed_step(std::string("invalid input: ") + e.what());
  }
  if (!ctx.content) return failed_step("aws:downloadContent: this run has no content fetcher");
  std::shared_ptr<const Content> content = ctx.content->get(type, info);
  if (!content->error.empty()) return failed_step(content->error);

  ssh::ExecRequest req;
  req.command = remote_shell(ctx);
  req.stdin_data = write_script(ctx, input_text(in, "destinationPath"), *content);
  req.timeout = std::chrono::seconds(ctx.execution_timeout_override > 0 ? ctx.execution_timeout_override : step.timeout_seconds);
  req.cancel = ctx.cancel;
  std::string written, err;
  req.on_stdout = [&](std::string_view d) {
    if (written.size() < 4096) written.append(d.substr(0, 4096 - written.size()));
  };
  req.on_stderr = [&](std::string_view d) { capture.write(true, d); };
  auto result = ctx.session->exec(req);
  if (!result) {
    StepResult r = failed_step(fmt::format("{}: {}", ssh::to_string(result.error().kind), result.error().message));
    r.connection_lost = result.error().kind == ssh::FailureKind::dropped;
    return r;
  }
  if (result->timed_out || result->cancelled) return failed_step("the content was not written: the step ran out of time or was cancelled");
  if (result->exit_status != 0) return failed_step(fmt::format("the content could not be written on the host (exit {})", result->exit_status));
  capture.write(false, fmt::format("Content downloaded to {}\n", trim(written)));
  capture.write(false, fmt::format("{} bytes from {}, sha256 {}\n", content->bytes.size(), content->source, content->sha256));
  return StepResult{};
}

} // namespace sshm::plugins
