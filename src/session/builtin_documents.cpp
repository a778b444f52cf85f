// The built-in Session documents, in the shape AWS publishes them (schema 1.0).
#include "session/document.hpp"

#include <map>

namespace sshm::session {

namespace {

constexpr std::string_view k_ssm_sessionmanagerrunshell = R"json({
  "schemaVersion": "1.0",
  "description": "Document to hold regional settings for Session Manager",
  "sessionType": "Standard_Stream",
  "inputs": {
    "s3BucketName": "",
    "s3KeyPrefix": "",
    "s3EncryptionEnabled": true,
    "cloudWatchLogGroupName": "",
    "cloudWatchEncryptionEnabled": true,
    "cloudWatchStreamingEnabled": false,
    "idleSessionTimeout": "20",
    "maxSessionDuration": "",
    "kmsKeyId": "",
    "runAsEnabled": false,
    "runAsDefaultUser": "",
    "shellProfile": {"windows": "", "linux": ""}
  }
})json";

constexpr std::string_view k_aws_startinteractivecommand = R"json({
  "schemaVersion": "1.0",
  "description": "Document to run single interactive command on an instance",
  "sessionType": "InteractiveCommands",
  "parameters": {
    "command": {"type": "String", "description": "The command to run on the instance"}
  },
  "properties": {
    "windows": {"commands": "{{command}}", "runAsElevated": false},
    "linux": {"commands": "{{command}}", "runAsElevated": false},
    "macos": {"commands": "{{command}}", "runAsElevated": false}
  }
})json";

constexpr std::string_view k_aws_startnoninteractivecommand = R"json({
  "schemaVersion": "1.0",
  "description": "Document to run single non-interactive command on an instance",
  "sessionType": "NonInteractiveCommands",
  "parameters": {
    "command": {"type": "String", "description": "The command to run on the instance"}
  },
  "properties": {
    "windows": {"commands": "{{command}}", "runAsElevated": false},
    "linux": {"commands": "{{command}}", "runAsElevated": false},
    "macos": {"commands": "{{command}}", "runAsElevated": false}
  }
})json";

constexpr std::string_view k_aws_startportforwardingsession = R"json({
  "schemaVersion": "1.0",
  "description": "Document to start port forwarding session over Session Manager",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {"type": "String", "description": "(Optional) Port number of the server on the instance",
                   "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
                   "default": "80"},
    "localPortNumber": {"type": "String", "description": "(Optional) Port number on local machine to forward traffic to. An open port is chosen at run-time if not provided",
                        "allowedPattern": "^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
                        "default": "0"}
  },
  "properties": {"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding", "localPortNumber": "{{ localPortNumber }}"}
})json";

constexpr std::string_view k_aws_startportforwardingsessiontoremotehost = R"json({
  "schemaVersion": "1.0",
  "description": "Document to start port forwarding session over Session Manager to a remote host",
  "sessionType": "Port",
  "parameters": {
    "host": {"type": "String", "description": "(Required) The hostname or IP address of the destination server",
             "allowedPattern": "^[^,$^&\\(\\)!;'\"<>\\`{}\\[\\]\\|#=]{3,}$"},
    "portNumber": {"type": "String", "description": "(Optional) Port number of the server on the instance",
                   "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
                   "default": "80"},
    "localPortNumber": {"type": "String", "description": "(Optional) Port number on local machine to forward traffic to. An open port is chosen at run-time if not provided",
                        "allowedPattern": "^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
                        "default": "0"}
  },
  "properties": {"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding", "localPortNumber": "{{ localPortNumber }}", "host": "{{ host }}"}
})json";

constexpr std::string_view k_aws_startsshsession = R"json({
  "schemaVersion": "1.0",
  "description": "Document to start SSH session over Session Manager",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {"type": "String", "description": "(Optional) Port number of SSH server on the instance",
                   "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
                   "default": "22"}
  },
  "properties": {"portNumber": "{{ portNumber }}"}
})json";

const std::map<std::string, std::string_view>& table() {
  static const std::map<std::string, std::string_view> docs = {
      {"SSM-SessionManagerRunShell", k_ssm_sessionmanagerrunshell},
      {"AWS-StartInteractiveCommand", k_aws_startinteractivecommand},
      {"AWS-StartNonInteractiveCommand", k_aws_startnoninteractivecommand},
      {"AWS-StartPortForwardingSession", k_aws_startportforwardingsession},
      {"AWS-StartPortForwardingSessionToRemoteHost", k_aws_startportforwardingsessiontoremotehost},
      {"AWS-StartSSHSession", k_aws_startsshsession},
  };
  return docs;
}

} // namespace

std::vector<std::string> builtin_session_documents() {
  std::vector<std::string> names;
  for (const auto& [name, text] : table()) names.push_back(name);
  return names;
}

std::string_view builtin_session_document(const std::string& name) {
  auto it = table().find(name);
  return it == table().end() ? std::string_view() : it->second;
}

} // namespace sshm::session
