#pragma once
// SSM command documents: load (JSON or YAML, schema 1.2 / 2.0 / 2.2; built-in by name or a
// file by path), validate parameters as SSM does, interpolate, and flatten into steps.
#include "util/error.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::documents {

// Parameter values given by the user: name -> typed JSON value.
using ParameterValues = std::map<std::string, nlohmann::json>;

struct Document {
  std::string name;            // built-in name, or the file's stem
  std::string path;            // "" for built-ins
  std::string schema_version;  // "1.2", "2.0", "2.2"
  std::string description;
  nlohmann::json content;      // the parsed document
  std::string source_text;     // for locations in later errors
};

// One step ready to run on a host of a given platform.
struct Step {
  std::string name;    // 2.x step name, or the 1.2 property id ("0.aws:runShellScript")
  std::string action;  // plugin, e.g. "aws:runShellScript"
  nlohmann::json inputs = nlohmann::json::object();  // after interpolation
  int timeout_seconds = 3600;  // inputs.timeoutSeconds, 5..172800 else 3600
  std::string on_failure;      // "", "exit", "successAndExit"
  std::string on_success;      // "", "exit"
  bool finally_step = false;   // honoured on the last step only
  // Precondition outcome: when skip_reason is set the step is Skipped; when
  // failure_reason is set the step Fails without running.
  std::string skip_reason;
  std::string failure_reason;
  // interpolationType ENV_VAR: values passed as environment variables, not text.
  std::map<std::string, std::string> environment;
};

struct ResolvedDocument {
  std::vector<Step> steps;
  // Parameters as SSM records them: name -> list of strings (defaults included).
  nlohmann::json parameters = nlohmann::json::object();
};

// A built-in document by name (AWS-RunShellScript, ...) or a file by path.
// Throws InputError (with file:line:col) when missing or invalid.
Document load(const std::string& name_or_path);
// Names of the built-in documents.
std::vector<std::string> builtin_names();

// `-p name=value` (repeatable; repeated values or a JSON array make a StringList) and an
// optional --parameters-file (JSON or YAML map), typed against the document's declarations.
ParameterValues parse_cli_parameters(const Document& doc, const std::vector<std::string>& assignments,
                                     const std::string& parameters_file);

// Validates values (types, required, allowedValues, allowedPattern full match, min/max
// items and chars), interpolates exactly as SSM, and evaluates preconditions for
// `platform` ("Linux", "MacOS", "Windows"). Throws InputErrors listing every problem.
ResolvedDocument resolve(const Document& doc, const ParameterValues& values, const std::string& platform);

// Every problem in a document file, each with file:line:col (for `documents validate`).
std::vector<InputError> validate_file(const std::string& path);

} // namespace sshm::documents
