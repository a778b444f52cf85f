#pragma once
// Encryption at rest for SecureString values: AES-256-GCM under one local key, a fresh
// random 12-byte nonce per value, and the parameter's name and version as associated data,
// so a value copied to another row or version fails to decrypt instead of being misread.
#include <array>
#include <filesystem>
#include <optional>
#include <string>

namespace sshm::params {

struct Key {
  std::array<unsigned char, 32> bytes{};
  // A short SHA-256 digest that names the key (stored beside each value, never the key).
  std::string fingerprint() const;
};

// SSHM_PARAMS_KEY_FILE, else $XDG_CONFIG_HOME/sshm/params.key (~/.config when unset).
std::filesystem::path default_key_file();
// A new random key.
Key generate_key();
// Reads the key file; creates it (mode 0600, directories as needed) with a new key when
// it does not exist. Throws RuntimeError when it cannot, or when the file is not a key.
Key load_or_create_key(const std::filesystem::path& file);
// Writes `key` to `file` with mode 0600, replacing it atomically.
void write_key_file(const std::filesystem::path& file, const Key& key);

// nonce (12) || ciphertext || tag (16).
std::string encrypt(const Key& key, const std::string& plain, const std::string& aad);
// The plain text, or nullopt when the key or associated data is not the one used or the
// blob was altered (GCM's tag check).
std::optional<std::string> decrypt(const Key& key, const std::string& blob, const std::string& aad);
// The associated data for a value: the canonical name and version.
std::string value_aad(const std::string& canonical_name, long long version);
std::string base64(const std::string& bytes);

} // namespace sshm::params
