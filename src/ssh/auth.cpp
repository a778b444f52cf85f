#include "ssh/auth.hpp"

#include "ssh/libssh_transport.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <mutex>
#include <sys/stat.h>

namespace sshm::ssh {

namespace {

// Identity files, read once per process.
struct KeyCache {
  struct Key {
    ssh_key key = nullptr;
    std::string problem;  // why it cannot be used; "" when usable or when the file is absent
    bool absent = false;
    ~Key() {
      if (key) ssh_key_free(key);
    }
  };

  static KeyCache& instance() {
    static KeyCache c;
    return c;
  }

  std::shared_ptr<const Key> get(const std::string& path) {
    std::shared_ptr<Entry> entry;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      auto& slot = m_entries[path];
      if (!slot) slot = std::make_shared<Entry>();
      entry = slot;
    }
    std::call_once(entry->once, [&] { entry->key = load(path, passphrase()); });
    return entry->key;
  }

  void set_passphrase(std::string p) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_passphrase = std::move(p);
    m_has_passphrase = true;
    m_entries.clear();
  }

  std::optional<std::string> passphrase() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_has_passphrase) return m_passphrase;
    if (const char* env = std::getenv("SSHM_KEY_PASSPHRASE")) return std::string(env);
    return std::nullopt;
  }

  // Loads a private key; `asked` tells whether libssh wanted a passphrase.
  static std::shared_ptr<Key> load(const std::string& path, const std::optional<std::string>& pass,
                                   bool* asked = nullptr) {
    auto k = std::make_shared<Key>();
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
      k->absent = true;
      return k;
    }
    bool wanted = false;
    auto ask = [](const char*, char*, size_t, int, int, void* userdata) -> int {
      *static_cast<bool*>(userdata) = true;
      return -1;
    };
    int rc = ssh_pki_import_privkey_file(path.c_str(), pass ? pass->c_str() : nullptr, pass ? nullptr : +ask,
                                         pass ? nullptr : &wanted, &k->key);
    if (asked) *asked = wanted;
    if (rc != SSH_OK) {
      k->key = nullptr;
      if (wanted) k->problem = "encrypted: set SSHM_KEY_PASSPHRASE or run on a terminal to be asked";
      else if (pass) k->problem = "cannot be read (wrong passphrase or not a private key)";
      else k->problem = "cannot be read as a private key";
    }
    return k;
  }

private:
  struct Entry {
    std::once_flag once;
    std::shared_ptr<const Key> key;
  };
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<Entry>> m_entries;
  std::string m_passphrase;
  bool m_has_passphrase = false;
};

} // namespace

// ssh-agent first (unless IdentitiesOnly), then each identity file.
std::optional<Failure> authenticate(const Endpoint& ep, ssh_session s, const std::string& label) {
  std::vector<std::string> tried, skipped;
  const char* agent = std::getenv("SSH_AUTH_SOCK");
  if (!ep.identities_only && agent && *agent) {
    int rc = ssh_userauth_agent(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return std::nullopt;
    if (rc == SSH_AUTH_ERROR && !ssh_is_connected(s))
      return fail(FailureKind::protocol, fmt::format("{} closed the connection during auth: {}", label, ssh_get_error(s)));
    tried.push_back("ssh-agent");
  }
  for (const auto& path : ep.identity_files) {
    auto key = KeyCache::instance().get(path);
    if (key->absent) continue;
    if (!key->key) {
      skipped.push_back(fmt::format("{} ({})", path, key->problem));
      continue;
    }
    int rc = ssh_userauth_publickey(s, nullptr, key->key);
    if (rc == SSH_AUTH_SUCCESS) return std::nullopt;
    if (rc == SSH_AUTH_ERROR && !ssh_is_connected(s))
      return fail(FailureKind::auth_denied,
                  fmt::format("{} closed the connection during auth after {} keys (MaxAuthTries?): {}", label,
                              tried.size() + 1, ssh_get_error(s)));
    tried.push_back(path);
  }
  std::string msg = fmt::format("{} refused user '{}': tried {}", label, ep.user,
                                tried.empty() ? std::string("no key (none found)") : join(tried, ", "));
  if (!skipped.empty()) msg += "; skipped " + join(skipped, ", ");
  msg += fmt::format("; add the public key to ~{}/.ssh/authorized_keys or set identity_file", ep.user);
  return fail(FailureKind::auth_denied, msg);
}

void set_key_passphrase(std::string passphrase) { KeyCache::instance().set_passphrase(std::move(passphrase)); }

std::vector<std::string> keys_needing_passphrase(const std::vector<std::string>& identity_files) {
  std::vector<std::string> out;
  auto pass = KeyCache::instance().passphrase();
  for (const auto& f : identity_files) {
    if (std::find(out.begin(), out.end(), f) != out.end()) continue;
    bool asked = false;
    auto k = KeyCache::load(f, pass, &asked);
    if (k->absent || k->key) continue;
    if (!pass) {
      if (asked) out.push_back(f);
      continue;
    }
    // A passphrase is known but does not fit: ask only if the key is encrypted at all.
    bool encrypted = false;
    KeyCache::load(f, std::nullopt, &encrypted);
    if (encrypted) out.push_back(f);
  }
  return out;
}

} // namespace sshm::ssh
