#pragma once
// SSM command documents: load (JSON or YAML, schema 1.2 / 2.0 / 2.2; built-in by name or a
// file by path), validate parameters as SSM does, interpolate, and flatten into steps.
#include "util/error.hpp"

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::documents {

class SourceMap;

// Parameter values given by the user: name -> typed JSON value.
using ParameterValues = std::map<std::string, nlohmann::json>;

struct Document {
  std::string name;            // built-in name, or the file's stem
  std::string path;            // "" for built-ins
  std::string schema_version;  // "1.2", "2.0", "2.2"
  std::string description;
  nlohmann::json content;      // the parsed document
  std::string source_text;     // for locations in later errors
  std::string format;          // "JSON" or "YAML", as the text was written
  // "Command", or "Session" for a Session Manager document (it has sessionType): those are
  // started by `sshm session`, and resolve() refuses them.
  std::string document_type = "Command";
  std::string session_type;  // Standard_Stream, InteractiveCommands, NonInteractiveCommands, Port
  // Where each key of `content` sits in source_text (for file:line:col in errors).
  std::shared_ptr<const SourceMap> source_map;
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
// A document from its text; `file` names it in errors, `name` is Document::name.
// Throws InputError, or InputErrors listing every problem found.
Document load_text(const std::string& text, const std::string& file, const std::string& name);
// Names of the built-in documents.
std::vector<std::string> builtin_names();

// `-p name=value` (repeatable; repeated values or a JSON array make a StringList) and an
// optional --parameters-file (JSON or YAML map), typed against the document's declarations.
ParameterValues parse_cli_parameters(const Document& doc, const std::vector<std::string>& assignments,
                                     const std::string& parameters_file);

// Typed values from a JSON object of name -> value, as a --parameters-file or
// aws:runDocument's documentParameters give them: typed values, text (as with -p), or
// SSM's wire form (a list of strings); `object` may also be that map as JSON or YAML text.
// `where` names the source in errors.
ParameterValues typed_parameters(const Document& doc, const nlohmann::json& object, const std::string& where);

// Resolves one {{ssm:NAME}} reference (NAME may end in :version or :label). `whole_value`
// is true when the reference is a whole string, so a StringList may come back as a list;
// otherwise the result must be a string. Throws InputError when the name is unknown.
using SsmResolver = std::function<nlohmann::json(const std::string& name, bool whole_value)>;

// Validates values (types, required, allowedValues, allowedPattern full match, min/max
// items and chars), interpolates exactly as SSM, and evaluates preconditions for
// `platform` ("Linux", "MacOS", "Windows"). Throws InputErrors listing every problem.
// {{ssm:...}} references are left as they are unless `ssm` is given.
ResolvedDocument resolve(const Document& doc, const ParameterValues& values, const std::string& platform);
ResolvedDocument resolve(const Document& doc, const ParameterValues& values, const std::string& platform,
                         const SsmResolver& ssm);

// SSM's parameter interpolation over any JSON value: a string that is exactly
// "{{ name }}" takes the typed value; inside longer strings each {{ name }} becomes the
// value as text (strings as they are, others JSON-encoded, "$$" collapsed to "$"); one
// pass, left to right; unknown names stay verbatim; arrays and objects recurse.
nlohmann::json interpolate(const nlohmann::json& node, const ParameterValues& values);
// Replaces {{ssm:NAME}} references in every string of `node` through `ssm`.
nlohmann::json resolve_ssm_references(const nlohmann::json& node, const SsmResolver& ssm);

// Every problem in a document file, each with file:line:col (for `documents validate`).
std::vector<InputError> validate_file(const std::string& path);
// The same for a document's text; `file` names it in the errors.
std::vector<InputError> validate_text(const std::string& text, const std::string& file);

} // namespace sshm::documents
