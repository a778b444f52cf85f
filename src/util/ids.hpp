#pragma once
// Identifiers: SSM-shaped command IDs (UUID v4) and random hex.
#include <string>

namespace sshm {

// A random UUID v4, 36 characters, as SSM's CommandId.
std::string new_uuid();
// `bytes` random bytes as lower-case hex.
std::string random_hex(size_t bytes);

} // namespace sshm
