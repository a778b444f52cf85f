#pragma once
// {{ssm:NAME}}, {{ssm:NAME:3}} and {{ssm:NAME:label}} in documents, resolved from Parameter
// Store at send time, as the service does before a command reaches any instance.
#include "params/backend.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace sshm::params {

// Same shape as documents::SsmResolver: the value for `reference` (NAME with an optional
// :version or :label). A StringList is a list (split on every comma) when `whole_value`,
// else its text. Throws Error (exit 2): ParameterNotFound, ParameterVersionNotFound, or
// UnsupportedParameterType for a SecureString, which documents can't reference.
using SsmLookup = std::function<nlohmann::json(const std::string& reference, bool whole_value)>;

nlohmann::json resolve_reference(Backend& backend, const std::string& reference, bool whole_value);
SsmLookup make_ssm_resolver(std::shared_ptr<Backend> backend);
// The local store at `db_file`, opened on the first reference (a document without any
// {{ssm:}} never opens it).
SsmLookup make_local_ssm_resolver(std::filesystem::path db_file, std::filesystem::path key_file);

// {{ssm-secure:NAME}} (with an optional :version or :label): the SecureString's plain text,
// decrypted on the controller. Throws Error: ParameterNotFound, ParameterVersionNotFound,
// or UnsupportedParameterType when the parameter is not a SecureString (an ssm-secure
// reference names SecureString parameters only). The message never holds the value.
using SecureLookup = std::function<std::string(const std::string& reference)>;

std::string resolve_secure_reference(Backend& backend, const std::string& reference);
SecureLookup make_secure_resolver(std::shared_ptr<Backend> backend);
SecureLookup make_local_secure_resolver(std::filesystem::path db_file, std::filesystem::path key_file);

} // namespace sshm::params
