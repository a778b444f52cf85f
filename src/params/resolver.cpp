// The Parameter Store side of {{ssm:...}} references.
#include "params/resolver.hpp"

#include <fmt/format.h>

namespace sshm::params {

nlohmann::json resolve_reference(Backend& backend, const std::string& reference, bool whole_value) {
  Version v = backend.get(reference, false);
  if (v.type == "SecureString")
    throw Error("UnsupportedParameterType",
                fmt::format("parameter {} is a SecureString; documents can't reference SecureString parameters with "
                            "{{{{ssm:}}}}",
                            reference));
  if (v.type == "StringList" && whole_value) return string_list_items(v.value);
  return v.value;
}

SsmLookup make_ssm_resolver(std::shared_ptr<Backend> backend) {
  return [backend](const std::string& reference, bool whole_value) {
    return resolve_reference(*backend, reference, whole_value);
  };
}

namespace {

// The local store, opened on first use (a document without references never opens it).
std::function<Backend&()> lazy_local(std::filesystem::path db_file, std::filesystem::path key_file) {
  auto backend = std::make_shared<std::shared_ptr<Backend>>();
  return [backend, db_file = std::move(db_file), key_file = std::move(key_file)]() -> Backend& {
    if (!*backend) *backend = open_local(db_file, key_file, SystemClock::instance());
    return **backend;
  };
}

} // namespace

SsmLookup make_local_ssm_resolver(std::filesystem::path db_file, std::filesystem::path key_file) {
  auto backend = lazy_local(std::move(db_file), std::move(key_file));
  return [backend](const std::string& reference, bool whole_value) {
    return resolve_reference(backend(), reference, whole_value);
  };
}

std::string resolve_secure_reference(Backend& backend, const std::string& reference) {
  Version v = backend.get(reference, true);
  if (v.type != "SecureString")
    throw Error("UnsupportedParameterType",
                fmt::format("parameter {} is a {}; {{{{ssm-secure:}}}} references SecureString parameters only "
                            "(use {{{{ssm:{}}}}})",
                            reference, v.type, reference));
  return v.value;
}

SecureLookup make_secure_resolver(std::shared_ptr<Backend> backend) {
  return [backend](const std::string& reference) { return resolve_secure_reference(*backend, reference); };
}

SecureLookup make_local_secure_resolver(std::filesystem::path db_file, std::filesystem::path key_file) {
  auto backend = lazy_local(std::move(db_file), std::move(key_file));
  return [backend](const std::string& reference) { return resolve_secure_reference(backend(), reference); };
}

} // namespace sshm::params
