#pragma once
// Secrets in documents: which parameters are secret (recorded and shown masked, sent to the
// hosts as given), and the Parameter Store references {{ssm:NAME}} / {{ssm-secure:NAME}},
// which are resolved before a run or refused, never sent verbatim.
#include "documents/document.hpp"

#include <functional>
#include <optional>
#include <string>

namespace sshm::documents {

// Whether a parameter's name looks secret (password, passwd, secret, token, key,
// credential, any case): its value is never recorded or shown, only sent to the hosts.
bool looks_secret(const std::string& name);

// A Parameter Store as documents see it: NAME's value (a string, or a list for a
// StringList), or nullopt when there is no such parameter. `secure` is true for
// {{ssm-secure:NAME}}. A store plugs in here; until then no_parameter_store() is used.
using ParameterResolver = std::function<std::optional<nlohmann::json>(const std::string& name, bool secure)>;

// The resolver that knows no parameter: every reference is an error, never sent verbatim.
ParameterResolver no_parameter_store();

// An SsmResolver for resolve() over `lookup`: an unknown NAME is an InputError
// "parameter store: parameter NAME not found".
SsmResolver ssm_resolver(ParameterResolver lookup);

// Replaces every {{ssm-secure:NAME}} in the strings of `node` through `lookup`, with the
// same error for an unknown NAME. Run on a resolved step's inputs before they are sent.
nlohmann::json resolve_secure_references(const nlohmann::json& node, const ParameterResolver& lookup);

} // namespace sshm::documents
