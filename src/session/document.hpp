#pragma once
// Session documents (schema 1.0, sessionType Standard_Stream, InteractiveCommands,
// NonInteractiveCommands or Port) and session preferences (SSM-SessionManagerRunShell's
// `inputs`), read from their text, built-in by name or a file; and the plan a session runs:
// what to start on the host, as whom, with which limits and where the logs go.
#include "documents/source.hpp"
#include "session/port_forward.hpp"
#include "session/shell.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::session {

enum class SessionType { standard_stream, interactive, non_interactive, port };

struct SessionDocument {
  std::string name;
  SessionType type = SessionType::standard_stream;
  nlohmann::json parameters = nlohmann::json::object();  // declarations, as in command documents
  nlohmann::json inputs = nlohmann::json::object();      // Standard_Stream: the preferences
  nlohmann::json properties = nlohmann::json::object();  // the other types: what to run
  documents::SourceMap map;                              // where each value sits, for errors
};

// The session preferences SSM keeps in SSM-SessionManagerRunShell's inputs.
struct Preferences {
  std::string s3_bucket;
  std::string s3_prefix;
  bool s3_encryption = false;
  std::string log_group;
  bool streaming = false;
  std::optional<std::chrono::seconds> idle;          // idleSessionTimeout (minutes in the document)
  std::optional<std::chrono::seconds> max_duration;  // maxSessionDuration
  bool run_as_enabled = false;
  std::string run_as_default_user;
  std::string shell_profile;  // shellProfile.linux
};

// The built-in session documents' names, and the text of one ("" when not built in).
std::vector<std::string> builtin_session_documents();
std::string_view builtin_session_document(const std::string& name);

// Parses a session document; `file` names it in errors (InputError with file:line:col).
SessionDocument parse_session_document(const std::string& text, const std::string& file, const std::string& name);
// A built-in by name, or a file by path.
SessionDocument load_session_document(const std::string& name_or_path);
// The preferences in a Standard_Stream document's inputs; unknown keys are errors.
Preferences preferences_of(const SessionDocument& doc);

// "20" (minutes, as SSM), or with a unit: "30s", "5m", "2h". `what` names it in errors.
std::chrono::seconds parse_duration(const std::string& text, const std::string& what);

// What `sshm session` asks for.
struct PlanRequest {
  std::string document;     // "" SSM-SessionManagerRunShell
  std::vector<std::string> parameters;  // NAME=VALUE
  std::string preferences;  // "" none; else a file or document name
  std::string run_as;       // --run-as
  std::string host_run_as;  // the inventory's run_as for the host
  std::string idle_timeout, max_duration;  // flags over the preferences
  std::filesystem::path state_dir;
};

struct SessionPlan {
  std::string document_name;
  SessionType type = SessionType::standard_stream;
  nlohmann::json parameters = nlohmann::json::object();
  std::string command;  // "" the login shell; else the command line on the host
  std::string run_as;   // "" the login user
  std::string shell_profile;
  ForwardSpec forward;
  Limits limits;
  Preferences preferences;
};

// Puts the document, its parameters, the preferences and the flags together. Throws
// InputError for a bad document, parameter or value.
SessionPlan make_plan(const PlanRequest& request);

} // namespace sshm::session
