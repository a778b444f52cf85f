// aws:runDocument, as the agent's rundocument plugin: where the document comes from, its
// parameters, and the nesting limit.
#include "plugins/executor.hpp"

#include "util/strings.hpp"

#include <filesystem>
#include <fmt/format.h>

namespace sshm::plugins {

namespace {

// The agent's executeCommandMaxDepth.
constexpr int k_max_depth = 3;
// The largest document read from a host.
constexpr size_t k_max_document_bytes = 4 * 1024 * 1024;

std::string input_text(const nlohmann::json& in, const char* key) {
  if (!in.contains(key)) return {};
  return in[key].is_string() ? in[key].get<std::string>() : in[key].dump();
}

// The file a LocalPath names on the host: absolute as given, relative under the downloads
// directory; a directory holding exactly one file stands for that file (aws:downloadContent
// with a destinationPath that names a directory).
std::string locate_script(const HostContext& ctx, const std::string& path) {
  std::string p = path[0] == '/' ? shell_quote(path) : downloads_dir(ctx) + "/" + shell_quote(path);
  return "p=" + p + "\n"
         "if [ -d \"$p\" ]; then set -- \"$p\"/*; if [ $# -ne 1 ] || [ ! -f \"$1\" ]; then "
         "echo \"$p is a directory that does not hold exactly one document\" >&2; exit 3; fi; p=$1; fi\n"
         "[ -f \"$p\" ] || { echo \"no such document file: $p\" >&2; exit 3; }\n" +
         fmt::format("exec head -c {} -- \"$p\"\n", k_max_document_bytes + 1);
}

// Reads a LocalPath document from the host. Throws InputError when it cannot.
documents::Document load_from_host(HostContext& ctx, const std::string& path) {
  ssh::ExecRequest req;
  req.command = remote_shell(ctx);
  req.stdin_data = locate_script(ctx, path);
  req.timeout = std::chrono::seconds(60);
  req.cancel = ctx.cancel;
  std::string text, err;
  req.on_stdout = [&](std::string_view d) {
    if (text.size() <= k_max_document_bytes) text.append(d.substr(0, k_max_document_bytes + 1 - text.size()));
  };
  req.on_stderr = [&](std::string_view d) {
    if (err.size() < 512) err.append(d.substr(0, 512 - err.size()));
  };
  auto result = ctx.session->exec(req);
  if (!result) throw InputError(fmt::format("{}: {}", ssh::to_string(result.error().kind), result.error().message));
  if (result->exit_status != 0) throw InputError(trim(err).empty() ? "cannot read " + path : trim(err));
  if (text.size() > k_max_document_bytes)
    throw InputError(fmt::format("{} is larger than {} bytes", path, k_max_document_bytes));
  if (text.empty()) throw InputError("File is empty!");
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  std::string stem = base.substr(0, base.find('.'));
  return documents::load_text(text, path, stem.empty() ? "document" : stem);
}

// SSMDocument: a document sshm has: a document file on the controller, else a built-in
// named by the path's last part (an ARN's), without :VERSION.
documents::Document load_named(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return documents::load(path);
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  name = name.substr(0, name.find(':'));
  return documents::load(name);
}

} // namespace

StepResult run_document_plugin(HostContext& ctx, const documents::Step& step, OutputCapture& capture) {
  const auto& in = step.inputs;
  std::string type = input_text(in, "documentType");
  std::string path = input_text(in, "documentPath");
  if (type.empty()) return failed_step("invalid input: Document Type must be specified to either by SSMDocument or LocalPath.");
  if (type != "SSMDocument" && type != "LocalPath") return failed_step("invalid input: Document type specified in invalid");
  if (path.empty()) return failed_step("invalid input: Document Path must be provided");
  int depth = ctx.document_depth + 1;
  if (depth > k_max_depth)
    return failed_step(fmt::format("Maximum depth for document execution exceeded. Maximum depth permitted - {} and "
                                   "current depth - {}",
                                   k_max_depth, depth));
  documents::ResolvedDocument resolved;
  try {
    documents::Document sub = type == "SSMDocument" ? load_named(path) : load_from_host(ctx, path);
    nlohmann::json params = in.value("documentParameters", nlohmann::json::object());
    documents::ParameterValues values =
        params.is_null() ? documents::ParameterValues{} : documents::typed_parameters(sub, params, "documentParameters");
    resolved = documents::resolve(sub, values, ctx.platform);
  } catch (const InputError& e) {
    return failed_step("There was an error while preparing documents - " + e.formatted());
  }
  ctx.document_depth = depth;
  StepResult r = run_steps_into(ctx, resolved.steps, capture);
  ctx.document_depth = depth - 1;
  return r;
}

} // namespace sshm::plugins
