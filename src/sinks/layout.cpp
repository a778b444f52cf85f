#include "sinks/layout.hpp"

#include "store/store.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace sshm::sinks {

std::string s3_key(const std::string& prefix, const std::string& command_id, const std::string& host,
                   const std::string& plugin, const std::string& step, const std::string& stream) {
  // One definition of SSM's layout, shared with the store's local outputs.
  return store::output_key(prefix, command_id, host, plugin, step, stream);
}

std::string default_log_group(const std::string& document_name) {
  std::string group = "/aws/ssm/" + document_name;
  for (char& c : group) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || c == '-' || c == '/' || c == '.' || c == '#')) c = '.';
  }
  return group;
}

std::string log_stream_name(const std::string& command_id, const std::string& host, const std::string& step,
                            const std::string& stream) {
  // SSM names the stream by PluginID: the step name in 2.x, the plugin name in 1.2, whose
  // property ids look like "0.aws:runShellScript".
  std::string id = step;
  size_t dot = id.find('.');
  if (dot != std::string::npos && dot > 0 && id.find(':') != std::string::npos &&
      std::all_of(id.begin(), id.begin() + static_cast<std::ptrdiff_t>(dot),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
    id = id.substr(dot + 1);
  for (char& c : id)
    if (c == ':' || c == '*') c = '-';
  return command_id + "/" + host + "/" + id + "/" + stream;
}

} // namespace sshm::sinks
