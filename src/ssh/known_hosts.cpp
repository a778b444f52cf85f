#include "ssh/known_hosts.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sshm::ssh {

namespace {

// Serialises accept-new appends inside the process; flock does it across processes.
std::mutex g_known_hosts_mutex;

// known_hosts files read once and indexed by host name, so checking a host parses only the
// lines that can name it instead of libssh re-reading the whole file for every host
// (measured: O(hosts x lines) fgets/strtok/malloc, ~15% of client CPU at 1000 hosts).
// A file is re-read when its size or mtime changes (accept-new appends, other processes).
class KnownHostsCache {
public:
  static KnownHostsCache& instance() {
    static KnownHostsCache c;
    return c;
  }

  // The lines of `file` that may match `host`, in file order; nullopt when it cannot be read.
  std::optional<std::vector<std::string>> candidates(const std::string& file, const std::string& host) {
    auto f = load(file);
    if (!f) return std::nullopt;
    std::vector<size_t> picks = f->patterns;
    if (auto it = f->by_name.find(to_lower(host)); it != f->by_name.end())
      picks.insert(picks.end(), it->second.begin(), it->second.end());
    std::sort(picks.begin(), picks.end());
    std::vector<std::string> out;
    out.reserve(picks.size());
    for (size_t i : picks) out.push_back(f->lines[i]);
    return out;
  }

private:
  struct File {
    struct timespec mtime{};
    off_t size = 0;
    std::vector<std::string> lines;
    std::map<std::string, std::vector<size_t>> by_name;  // plain host names, lower case
    std::vector<size_t> patterns;                          // hashed, wildcard, negated or marked lines
  };

  std::shared_ptr<const File> load(const std::string& path) {
    struct stat st{};
    if (::access(path.c_str(), R_OK) != 0 || ::stat(path.c_str(), &st) != 0) return nullptr;
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& slot = m_files[path];
    if (slot && slot->size == st.st_size && slot->mtime.tv_sec == st.st_mtim.tv_sec &&
        slot->mtime.tv_nsec == st.st_mtim.tv_nsec)
      return slot;
    auto f = std::make_shared<File>();
    f->mtime = st.st_mtim;
    f->size = st.st_size;
    std::ifstream in(path);
    if (!in) return nullptr;
    std::string line;
    while (std::getline(in, line)) {
      size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '#') continue;
      size_t idx = f->lines.size();
      f->lines.push_back(line);
      size_t e = line.find_first_of(" \t", b);
      std::string names = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
      if (line[b] == '|' || line[b] == '@' || names.find_first_of("*?!") != std::string::npos) {
        f->patterns.push_back(idx);
        continue;
      }
      size_t start = 0;
      while (start <= names.size()) {
        size_t comma = names.find(',', start);
        std::string n = to_lower(names.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        auto& v = f->by_name[n];
        if (v.empty() || v.back() != idx) v.push_back(idx);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    slot = f;
    return slot;
  }

  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<const File>> m_files;
};

// What known_hosts `file` says about `host`'s key, as libssh's ssh_session_get_known_hosts_entry
// decides it: OK if an entry holds this key, CHANGED if one holds another key of this type,
// OTHER if only keys of other types are listed, UNKNOWN if none; ERROR if unreadable.
enum ssh_known_hosts_e known_host_status(const std::string& file, const std::string& host, ssh_key server_key) {
  auto lines = KnownHostsCache::instance().candidates(file, host);
  if (!lines) return SSH_KNOWN_HOSTS_ERROR;
  enum ssh_known_hosts_e st = SSH_KNOWN_HOSTS_UNKNOWN;
  for (const auto& line : *lines) {
    ssh_knownhosts_entry* entry = nullptr;
    if (ssh_known_hosts_parse_line(host.c_str(), line.c_str(), &entry) != SSH_OK || !entry) continue;
    if (entry->publickey) {
      if (ssh_key_cmp(server_key, entry->publickey, SSH_KEY_CMP_PUBLIC) == 0) st = SSH_KNOWN_HOSTS_OK;
      else if (ssh_key_type(server_key) == ssh_key_type(entry->publickey)) st = SSH_KNOWN_HOSTS_CHANGED;
      else if (st == SSH_KNOWN_HOSTS_UNKNOWN) st = SSH_KNOWN_HOSTS_OTHER;
    }
    ssh_knownhosts_entry_free(entry);
    if (st == SSH_KNOWN_HOSTS_OK) break;
  }
  return st;
}

// The fingerprint of the key `file` records for `host` with the same key type.
std::string known_fingerprint(const std::string& file, const std::string& host, enum ssh_keytypes_e type) {
  std::ifstream in(file);
  std::string line, any;
  while (std::getline(in, line)) {
    ssh_knownhosts_entry* entry = nullptr;
    if (ssh_known_hosts_parse_line(host.c_str(), line.c_str(), &entry) != SSH_OK || !entry) continue;
    std::string fp;
    bool same_type = false;
    if (entry->publickey) {
      fp = fingerprint(entry->publickey);
      same_type = ssh_key_type(entry->publickey) == type;
    }
    ssh_knownhosts_entry_free(entry);
    if (same_type) return fp;
    if (any.empty()) any = fp;
  }
  return any.empty() ? "(unknown)" : any;
}

// accept-new: append the key to the first known_hosts file once, safe against other threads
// and other sshm processes doing the same.
std::optional<Failure> append_known_host(const Endpoint& ep, ssh_session s, const std::string& label,
                                         const std::string& file) {
  char* line = nullptr;
  if (ssh_session_export_known_hosts_entry(s, &line) != SSH_OK || !line)
    return fail(FailureKind::protocol, fmt::format("cannot format the host key of {}", label));
  std::string text = line;
  ssh_string_free_char(line);
  if (text.empty() || text.back() != '\n') text += '\n';

  std::lock_guard<std::mutex> lock(g_known_hosts_mutex);
  std::error_code ec;
  auto dir = std::filesystem::path(file).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0700);
  }
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(FailureKind::host_key_unknown,
                fmt::format("cannot record the host key of {} in {}: {}", label, file, std::strerror(errno)));
  ::flock(fd, LOCK_EX);
  // Another process may have added it while we waited for the lock.
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, file.c_str());
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, file.c_str());
  enum ssh_known_hosts_e st = ssh_session_is_known_server(s);
  std::optional<Failure> out;
  if (st == SSH_KNOWN_HOSTS_CHANGED) {
    out = fail(FailureKind::host_key_changed,
               fmt::format("host key of {} CHANGED while connecting (another process recorded a different key in {})",
                           label, file));
  } else if (st != SSH_KNOWN_HOSTS_OK) {
    // Keep the file ending in a newline before appending.
    struct stat stt{};
    if (::fstat(fd, &stt) == 0 && stt.st_size > 0) {
      char last = '\n';
      if (::pread(fd, &last, 1, stt.st_size - 1) == 1 && last != '\n') text = "\n" + text;
    }
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      out = fail(FailureKind::host_key_unknown,
                 fmt::format("cannot record the host key of {} in {}: {}", label, file, std::strerror(errno)));
  }
  ::flock(fd, LOCK_UN);
  ::close(fd);
  (void)ep;
  return out;
}

} // namespace

std::string fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) return "(unknown)";
  char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
  std::string out = fp ? fp : "(unknown)";
  ssh_string_free_char(fp);
  ssh_clean_pubkey_hash(&hash);
  return out;
}

// Looks the server's key up in every known_hosts file; writes nothing.
HostKeyCheck classify_host_key(const Endpoint& ep, ssh_session s, const std::string& label) {
  HostKeyCheck out;
  out.known_hosts_name = known_hosts_name(ep.hostname, ep.port);
  out.file = ep.known_hosts_files.empty() ? std::string("~/.ssh/known_hosts") : ep.known_hosts_files.front();
  ssh_key server_key = nullptr;
  if (ssh_get_server_publickey(s, &server_key) != SSH_OK) {
    out.message = fmt::format("{} sent no host key", label);
    return out;
  }
  struct KeyFree {
    ssh_key k;
    ~KeyFree() { ssh_key_free(k); }
  } free_key{server_key};
  out.fingerprint = fingerprint(server_key);
  out.key_type = ssh_key_type_to_char(ssh_key_type(server_key));
  out.state = HostKeyCheck::State::unknown;
  for (const auto& file : ep.known_hosts_files) {
    enum ssh_known_hosts_e st = known_host_status(file, out.known_hosts_name, server_key);
    if (st == SSH_KNOWN_HOSTS_ERROR) continue;
    if (st == SSH_KNOWN_HOSTS_OK) {
      out.state = HostKeyCheck::State::known;
      out.file = file;
      return out;
    }
    if (st == SSH_KNOWN_HOSTS_CHANGED) {
      out.state = HostKeyCheck::State::changed;
      out.file = file;
      out.known_fingerprint = known_fingerprint(file, out.known_hosts_name, ssh_key_type(server_key));
      return out;
    }
    if (st == SSH_KNOWN_HOSTS_OTHER) out.other_type_known = true;
  }
  return out;
}

// sshm's own host key policy over every known_hosts file; a changed key always fails.
std::optional<Failure> verify_host_key(const Endpoint& ep, ssh_session s, const std::string& label) {
  HostKeyCheck k = classify_host_key(ep, s, label);
  switch (k.state) {
  case HostKeyCheck::State::known: return std::nullopt;
  case HostKeyCheck::State::unreachable: return fail(FailureKind::protocol, k.message);
  case HostKeyCheck::State::changed:
    return fail(FailureKind::host_key_changed,
                fmt::format("host key of {} CHANGED: {} has {}, the server offers {} {}; this may be an attack. "
                            "If the change is expected, run `ssh-keygen -R '{}' -f {}` and connect again",
                            label, k.file, k.known_fingerprint, k.key_type, k.fingerprint, k.known_hosts_name,
                            k.file));
  case HostKeyCheck::State::unknown: break;
  }
  switch (ep.host_key_policy) {
  case HostKeyPolicy::off: return std::nullopt;
  case HostKeyPolicy::accept_new: return append_known_host(ep, s, label, k.file);
  case HostKeyPolicy::strict: break;
  }
  return fail(FailureKind::host_key_unknown,
              fmt::format("host key of {} ({} {}) is not in {}{}; check it, then run `ssh-keyscan -p {} {} >> {}` "
                          "or use --host-key-policy accept-new",
                          label, k.key_type, k.fingerprint, join(ep.known_hosts_files, ", "),
                          k.other_type_known ? " (only keys of another type are known)" : "", ep.port, ep.hostname,
                          k.file));
}

KnownHostsView::KnownHostsView(ssh_session s, const std::vector<std::string>& files, const std::string& host)
    : m_session(s) {
  if (files.empty()) return;
  m_file = files.front();
  std::string path = m_file;
  if (auto lines = KnownHostsCache::instance().candidates(m_file, host)) {
    std::string text;
    for (const auto& line : *lines) text.append(line).push_back('\n');
    int view = ::memfd_create("sshm-known-hosts", MFD_CLOEXEC);
    if (view >= 0 && ::write(view, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
      m_fd = view;
      path = "/proc/self/fd/" + std::to_string(view);
    } else if (view >= 0) {
      ::close(view);
    }
  }
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, path.c_str());
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, path.c_str());
}

KnownHostsView::~KnownHostsView() { close_fd(m_fd); }

void KnownHostsView::restore() {
  if (m_fd < 0) return;
  ssh_options_set(m_session, SSH_OPTIONS_KNOWNHOSTS, m_file.c_str());
  ssh_options_set(m_session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, m_file.c_str());
  close_fd(m_fd);
}

} // namespace sshm::ssh
