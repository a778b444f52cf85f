#pragma once
// SSM's names for results: S3 keys, CloudWatch Logs group and stream names.
#include <string>

namespace sshm::sinks {

// `<prefix>/<CommandId>/<host>/<plugin without ':'>/<step without ':'>/<stream>`, joined
// like Go's path.Join (no empty parts, no doubled or trailing '/'). `stream` is "stdout"
// or "stderr".
std::string s3_key(const std::string& prefix, const std::string& command_id, const std::string& host,
                   const std::string& plugin, const std::string& step, const std::string& stream);
// `/aws/ssm/<DocumentName>`, characters outside [a-zA-Z0-9_-/.#] replaced by '.'.
std::string default_log_group(const std::string& document_name);
// `<CommandId>/<host>/<PluginID with ':' and '*' as '-'>/<stream>`; PluginID is the step name
// (2.x) or, for a schema 1.2 property id "0.aws:runShellScript", the plugin name.
std::string log_stream_name(const std::string& command_id, const std::string& host, const std::string& step,
                            const std::string& stream);

} // namespace sshm::sinks
