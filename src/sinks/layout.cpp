#include "sinks/layout.hpp"

#include <cctype>
#include <vector>

namespace sshm::sinks {

namespace {

std::string without(std::string s, char c) {
  std::erase(s, c);
  return s;
}

} // namespace

std::string s3_key(const std::string& prefix, const std::string& command_id, const std::string& host,
                   const std::string& plugin, const std::string& step, const std::string& stream) {
  std::string joined;
  for (const std::string& part : {prefix, command_id, host, without(plugin, ':'), without(step, ':'), stream}) {
    std::string piece;
    // Split on '/' so doubled and edge slashes inside a part vanish, as path.Join does.
    for (size_t start = 0; start <= part.size();) {
      size_t end = part.find('/', start);
      if (end == std::string::npos) end = part.size();
      std::string segment = part.substr(start, end - start);
      if (!segment.empty() && segment != ".") {
        if (!joined.empty()) joined += '/';
        joined += segment;
      }
      start = end + 1;
    }
  }
  return joined;
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
