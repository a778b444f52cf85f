// AES-256-GCM through OpenSSL's EVP interface, and the key file.
#include "params/crypto.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sshm::params {

namespace {

constexpr size_t k_nonce_size = 12;
constexpr size_t k_tag_size = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw RuntimeError("OpenSSL could not allocate a cipher context");
  return ctx;
}

std::string hex(const unsigned char* data, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", data[i]);
  return out;
}

const unsigned char* bytes_of(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

} // namespace

std::string Key::fingerprint() const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr);
  return hex(digest, 8);
}

std::filesystem::path default_key_file() {
  if (const char* f = std::getenv("SSHM_PARAMS_KEY_FILE"); f && *f) return f;
  std::string config;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
    config = x;
  } else {
    const char* home = std::getenv("HOME");
    config = std::string(home ? home : ".") + "/.config";
  }
  return std::filesystem::path(config) / "sshm" / "params.key";
}

Key generate_key() {
  Key key;
  if (RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1)
    throw RuntimeError("OpenSSL could not produce random bytes for a key");
  return key;
}

void write_key_file(const std::filesystem::path& file, const Key& key) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  std::string tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw RuntimeError(fmt::format("cannot write key file {}: {}", tmp, std::strerror(errno)));
  ::fchmod(fd, 0600);
  std::string text = hex(key.bytes.data(), key.bytes.size()) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw RuntimeError(fmt::format("cannot write key file {}: {}", file.string(), std::strerror(errno)));
  }
}

Key load_or_create_key(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    if (std::filesystem::exists(file))
      throw RuntimeError(fmt::format("cannot read key file {}: {}", file.string(), std::strerror(errno)));
    Key key = generate_key();
    write_key_file(file, key);
    return key;
  }
  std::string text;
  in >> text;
  Key key;
  if (text.size() != key.bytes.size() * 2)
    throw RuntimeError(fmt::format("key file {} does not hold a key (64 hex digits)", file.string()));
  for (size_t i = 0; i < key.bytes.size(); ++i) {
    int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      throw RuntimeError(fmt::format("key file {} does not hold a key (64 hex digits)", file.string()));
    key.bytes[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return key;
}

std::string encrypt(const Key& key, const std::string& plain, const std::string& aad) {
  std::string out(k_nonce_size + plain.size() + k_tag_size, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, static_cast<int>(k_nonce_size)) != 1) throw RuntimeError("OpenSSL could not produce a nonce");
  CipherCtx ctx = new_ctx();
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes.data(), nonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nonce + k_nonce_size, &len, bytes_of(plain),
                              static_cast<int>(plain.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), nonce + k_nonce_size + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size),
                                nonce + k_nonce_size + plain.size()) == 1;
  if (!ok) throw RuntimeError("OpenSSL could not encrypt a SecureString value");
  return out;
}

std::optional<std::string> decrypt(const Key& key, const std::string& blob, const std::string& aad) {
  if (blob.size() < k_nonce_size + k_tag_size) return std::nullopt;
  size_t n = blob.size() - k_nonce_size - k_tag_size;
  const unsigned char* nonce = bytes_of(blob);
  std::string tag = blob.substr(k_nonce_size + n);
  std::string plain(n, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx ctx = new_ctx();
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes.data(), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), out, &len, nonce + k_nonce_size, static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size), tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  if (!ok) return std::nullopt;
  return plain;
}

std::string value_aad(const std::string& canonical_name, long long version) {
  return fmt::format("sshm-params-v1\n{}\n{}", canonical_name, version);
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

} // namespace sshm::params
