#include "sinks/layout.hpp"

#include "store/store.hpp"

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
  std::string id = step;
  for (char& c : id)
    if (c == ':' || c == '*') c = '-';
  return command_id + "/" + host + "/" + id + "/" + stream;
}

} // namespace sshm::sinks
