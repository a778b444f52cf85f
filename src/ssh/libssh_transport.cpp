#include "ssh/libssh_transport.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <list>
#include <map>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace sshm::ssh {

namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

constexpr int k_max_jump_depth = 8;
constexpr size_t k_io_chunk = 32 * 1024;
constexpr size_t k_forward_buffer_limit = 256 * 1024;

Failure fail(FailureKind kind, std::string message) { return Failure{kind, std::move(message)}; }

int remaining_ms(TimePoint deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000'000));
}

bool is_cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

// "host:port" as a user types it, "[host]:port" form for known_hosts.
std::string host_port(const std::string& host, int port) { return fmt::format("{}:{}", host, port); }
std::string known_hosts_name(const std::string& host, int port) {
  return port == 22 ? host : fmt::format("[{}]:{}", host, port);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// ---------------------------------------------------------------------------------------------
// Watchdog: one thread that shuts down the socket of a session that overran its deadline or
// was cancelled, so that a blocking libssh call returns. libssh never gets a chance to hang.
class Watchdog {
public:
  static Watchdog& instance() {
    static Watchdog w;
    return w;
  }

  // Watches `fd` until the guard is destroyed; `fired` says whether it had to act.
  class Guard {
  public:
    // With `idle_window`, the deadline moves on while the peer keeps sending (TCP_INFO's
    // last_data_recv): a handshake slowed by a busy machine is not a dead host. It never moves
    // past `hard_deadline`.
    Guard(int fd, TimePoint deadline, const std::atomic<bool>* cancel, milliseconds idle_window = milliseconds(0),
          TimePoint hard_deadline = TimePoint::max()) {
      m_id = Watchdog::instance().add(fd, deadline, cancel, &m_fired, idle_window, hard_deadline);
    }
    ~Guard() { Watchdog::instance().remove(m_id); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    // 0: not fired, 1: deadline passed (or nothing received for the idle window), 2: cancelled,
    // 3: the hard deadline passed while the peer was still sending.
    int fired() const { return m_fired.load(); }

  private:
    std::uint64_t m_id = 0;
    std::atomic<int> m_fired{0};
  };

private:
  struct Item {
    int fd;
    TimePoint deadline;
    const std::atomic<bool>* cancel;
    std::atomic<int>* fired;
    milliseconds idle_window;
    TimePoint hard_deadline;
  };

  Watchdog() : m_thread([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }

  std::uint64_t add(int fd, TimePoint deadline, const std::atomic<bool>* cancel, std::atomic<int>* fired,
                    milliseconds idle_window, TimePoint hard_deadline) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::uint64_t id = ++m_next;
    m_items.emplace(id, Item{fd, deadline, cancel, fired, idle_window, hard_deadline});
    m_cv.notify_all();
    return id;
  }

  void remove(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_items.erase(id);
  }

  void loop() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_stop) {
      auto now = Clock::now();
      for (auto& [id, item] : m_items) {
        if (item.fired->load() != 0) continue;
        if (now >= item.deadline && item.idle_window.count() > 0) {
          if (now >= item.hard_deadline) {
            item.fired->store(3);
            ::shutdown(item.fd, SHUT_RDWR);
            continue;
          }
          tcp_info info{};
          socklen_t len = sizeof info;
          if (::getsockopt(item.fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
              milliseconds(info.tcpi_last_data_recv) < item.idle_window) {
            item.deadline = std::min(item.hard_deadline, now + item.idle_window - milliseconds(info.tcpi_last_data_recv));
            continue;
          }
        }
        int why = now >= item.deadline ? 1 : is_cancelled(item.cancel) ? 2 : 0;
        if (why != 0) {
          item.fired->store(why);
          ::shutdown(item.fd, SHUT_RDWR);
        }
      }
      m_cv.wait_for(lock, milliseconds(50));
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::map<std::uint64_t, Item> m_items;
  std::uint64_t m_next = 0;
  bool m_stop = false;
  std::thread m_thread;
};

// ---------------------------------------------------------------------------------------------
// Name resolution bounded by the deadline: getaddrinfo cannot be interrupted, so it runs on
// its own thread and is abandoned when the deadline passes.
struct Lookup {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  addrinfo* result = nullptr;
  ~Lookup() {
    if (result) ::freeaddrinfo(result);
  }
};

Expected<std::shared_ptr<Lookup>, Failure> resolve_host(const std::string& host, int port, TimePoint deadline,
                                                        const std::atomic<bool>* cancel, int timeout_s) {
  auto lookup = std::make_shared<Lookup>();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string service = std::to_string(port);
  unsigned char buf[sizeof(in6_addr)];
  bool numeric = ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if (numeric) {
    hints.ai_flags = AI_NUMERICHOST;
    lookup->rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &lookup->result);
    lookup->done = true;
  } else {
    std::thread([lookup, host, service, hints] {
      addrinfo* res = nullptr;
      int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
      std::lock_guard<std::mutex> lock(lookup->mutex);
      lookup->rc = rc;
      lookup->result = res;
      lookup->done = true;
      lookup->cv.notify_all();
    }).detach();
    std::unique_lock<std::mutex> lock(lookup->mutex);
    while (!lookup->done) {
      if (is_cancelled(cancel)) return unexpected(fail(FailureKind::cancelled, "cancelled while resolving " + host));
      if (Clock::now() >= deadline)
        return unexpected(fail(FailureKind::connect_timeout,
                               fmt::format("DNS lookup of {} took longer than {} s (--connect-timeout)", host, timeout_s)));
      lookup->cv.wait_for(lock, milliseconds(std::min(100, std::max(1, remaining_ms(deadline)))));
    }
  }
  if (lookup->rc != 0 || !lookup->result)
    return unexpected(fail(FailureKind::resolve,
                           fmt::format("cannot resolve '{}': {}; check HostName in the inventory or ssh config", host,
                                       ::gai_strerror(lookup->rc))));
  return lookup;
}

// TCP connect to the first address that answers, bounded by the deadline.
Expected<int, Failure> dial(const std::string& host, int port, TimePoint deadline, const std::atomic<bool>* cancel,
                            int timeout_s) {
  auto lookup = resolve_host(host, port, deadline, cancel, timeout_s);
  if (!lookup) return unexpected(lookup.error());
  int last_errno = 0;
  for (addrinfo* ai = (*lookup)->result; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      last_errno = errno;
      ::close(fd);
      continue;
    }
    while (rc != 0) {
      if (is_cancelled(cancel)) {
        ::close(fd);
        return unexpected(fail(FailureKind::cancelled, "cancelled while connecting to " + host_port(host, port)));
      }
      int left = remaining_ms(deadline);
      if (left == 0) {
        ::close(fd);
        return unexpected(fail(FailureKind::connect_timeout,
                               fmt::format("no TCP answer from {} within {} s; check the address, port and "
                                           "firewall, or raise --connect-timeout",
                                           host_port(host, port), timeout_s)));
      }
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, std::min(left, 100));
      if (n > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          rc = 0;
        } else {
          last_errno = err;
          break;
        }
      }
    }
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    ::close(fd);
  }
  if (last_errno == ECONNREFUSED)
    return unexpected(fail(FailureKind::connect_refused,
                           fmt::format("connection refused by {}: is sshd running and listening on port {}?",
                                       host_port(host, port), port)));
  if (last_errno == ETIMEDOUT)
    return unexpected(fail(FailureKind::connect_timeout,
                           fmt::format("no TCP answer from {}; check the address and firewall", host_port(host, port))));
  return unexpected(fail(FailureKind::connect_refused, fmt::format("cannot connect to {}: {}", host_port(host, port),
                                                                   std::strerror(last_errno))));
}

// ---------------------------------------------------------------------------------------------
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

// Serialises accept-new appends inside the process; flock does it across processes.
std::mutex g_known_hosts_mutex;

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

// A libssh session and the socket under it. libssh does not close a socket it was given
// with SSH_OPTIONS_FD, so the owner does, after the session is freed.
class OwnedSession {
public:
  OwnedSession() = default;
  OwnedSession(ssh_session s, int fd) : m_session(s), m_fd(fd) {}
  OwnedSession(OwnedSession&& o) noexcept
      : m_session(std::exchange(o.m_session, nullptr)), m_fd(std::exchange(o.m_fd, -1)) {}
  OwnedSession& operator=(OwnedSession&& o) noexcept {
    if (this != &o) {
      reset();
      m_session = std::exchange(o.m_session, nullptr);
      m_fd = std::exchange(o.m_fd, -1);
    }
    return *this;
  }
  OwnedSession(const OwnedSession&) = delete;
  OwnedSession& operator=(const OwnedSession&) = delete;
  ~OwnedSession() { reset(); }

  ssh_session get() const { return m_session; }
  int fd() const { return m_fd; }

private:
  void reset() {
    if (m_session) {
      ssh_disconnect(m_session);
      ssh_free(m_session);
      m_session = nullptr;
    }
    close_fd(m_fd);
  }
  ssh_session m_session = nullptr;
  int m_fd = -1;
};

} // namespace

// -------------------------------------------------------------------------------------------
// A bastion: one authenticated session that carries direct-tcpip channels to many hosts.
// A single pump thread owns the libssh session; each forwarded connection is a socketpair
// whose other end becomes the target session's socket.
class Bastion {
public:
  using Connector = std::function<Expected<OwnedSession, Failure>(TimePoint deadline)>;

  Bastion(std::string label, int connect_timeout_s, Connector connector)
      : m_label(std::move(label)), m_timeout_s(connect_timeout_s), m_connector(std::move(connector)) {
    m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    m_thread = std::thread([this] { run(); });
  }

  ~Bastion() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stop = true;
    }
    wake();
    m_thread.join();
    close_fd(m_wake);
  }

  Bastion(const Bastion&) = delete;
  Bastion& operator=(const Bastion&) = delete;

  // A socket connected through the bastion to host:port, or why not.
  Expected<int, Failure> forward(const std::string& host, int port, TimePoint deadline,
                                 const std::atomic<bool>* cancel) {
    auto req = std::make_shared<Request>();
    req->host = host;
    req->port = port;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (m_dead) return unexpected(m_dead_failure);
      m_requests.push_back(req);
    }
    wake();
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!req->done) {
      if (is_cancelled(cancel) || Clock::now() >= deadline) {
        req->abandoned = true;
        if (is_cancelled(cancel)) return unexpected(fail(FailureKind::cancelled, "cancelled while opening a channel"));
        return unexpected(fail(FailureKind::connect_timeout,
                               fmt::format("jump host {} did not connect to {} within the connect timeout", m_label,
                                           host_port(host, port))));
      }
      m_cv.wait_for(lock, milliseconds(std::min(100, std::max(1, remaining_ms(deadline)))));
    }
    if (req->fd < 0) return unexpected(req->failure);
    return req->fd;
  }

  // True once the bastion session is gone (failed to connect or dropped).
  bool dead() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_dead;
  }
  // True when it failed before ever being up: later hosts get the same answer at once.
  bool failed_to_connect() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_dead && !m_was_up;
  }

private:
  struct Request {
    std::string host;
    int port = 0;
    bool done = false;
    bool abandoned = false;
    int fd = -1;
    Failure failure{FailureKind::channel, ""};
  };

  struct Forward {
    std::shared_ptr<Request> request;
    ssh_channel channel = nullptr;
    int fd = -1;          // our end of the socketpair
    bool open = false;    // channel open confirmed
    std::string to_sock;  // channel data not yet written to the socket
    bool sock_eof = false;
    bool chan_eof_sent_to_sock = false;
    bool done = false;
  };

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(m_wake, &one, sizeof one);
  }

  void finish(const std::shared_ptr<Request>& req, int fd, Failure failure) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (req->abandoned) {
      if (fd >= 0) ::close(fd);
    } else {
      req->fd = fd;
      req->failure = std::move(failure);
    }
    req->done = true;
    m_cv.notify_all();
  }

  void die(Failure failure) {
    std::deque<std::shared_ptr<Request>> pending;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_dead = true;
      m_dead_failure = failure;
      pending.swap(m_requests);
    }
    for (auto& r : pending) finish(r, -1, failure);
  }

  static Failure open_failure(const std::string& target, const std::string& error, const std::string& label) {
    std::string l = to_lower(error);
    FailureKind kind = FailureKind::channel;
    if (l.find("refused") != std::string::npos) kind = FailureKind::connect_refused;
    else if (l.find("name") != std::string::npos || l.find("resolve") != std::string::npos ||
             l.find("lookup") != std::string::npos)
      kind = FailureKind::resolve;
    else if (l.find("timed out") != std::string::npos || l.find("timeout") != std::string::npos)
      kind = FailureKind::connect_timeout;
    return fail(kind, fmt::format("jump host {} could not reach {}: {}", label, target, error));
  }

  void run() {
    TimePoint deadline = Clock::now() + std::chrono::seconds(m_timeout_s);
    auto connected = m_connector(deadline);
    if (!connected) {
      Failure f = connected.error();
      f.message = fmt::format("jump host {}: {}", m_label, f.message);
      die(f);
      return;
    }
    OwnedSession owned = std::move(*connected);
    ssh_session session = owned.get();
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_was_up = true;
    }
    ssh_set_blocking(session, 0);
    ssh_event event = ssh_event_new();
    ssh_event_add_session(event, session);
    std::list<Forward> forwards;
    char buf[k_io_chunk];
    bool alive = true;

    while (alive) {
      std::deque<std::shared_ptr<Request>> fresh;
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_stop) break;
        fresh.swap(m_requests);
      }
      for (auto& r : fresh) {
        Forward f;
        f.request = r;
        f.channel = ssh_channel_new(session);
        if (!f.channel) {
          finish(r, -1, fail(FailureKind::channel, fmt::format("jump host {}: cannot create a channel", m_label)));
          continue;
        }
        forwards.push_back(std::move(f));
      }

      // Progress every forward: open channels, move bytes both ways, notice EOF.
      bool opening = false;
      for (auto& f : forwards) {
        if (!f.open) {
          bool gone = false;
          {
            std::lock_guard<std::mutex> lock(m_mutex);
            gone = f.request->abandoned;
          }
          if (gone) {
            f.done = true;
            continue;
          }
          int rc = ssh_channel_open_forward(f.channel, f.request->host.c_str(), f.request->port, "127.0.0.1", 22);
          if (rc == SSH_AGAIN) {
            opening = true;
            continue;
          }
          if (rc != SSH_OK) {
            finish(f.request, -1,
                   open_failure(host_port(f.request->host, f.request->port), ssh_get_error(session), m_label));
            f.done = true;
            continue;
          }
          int pair[2];
          if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            finish(f.request, -1, fail(FailureKind::channel, fmt::format("socketpair: {}", std::strerror(errno))));
            f.done = true;
            continue;
          }
          ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
          f.fd = pair[0];
          f.open = true;
          finish(f.request, pair[1], Failure{FailureKind::channel, ""});
        }
        if (f.done) continue;
        // Socket -> channel, only as much as the window takes.
        if (!f.sock_eof) {
          std::uint32_t window = ssh_channel_window_size(f.channel);
          if (window > 0) {
            ssize_t n = ::recv(f.fd, buf, std::min<size_t>(window, sizeof buf), 0);
            if (n > 0) {
              if (ssh_channel_write(f.channel, buf, static_cast<std::uint32_t>(n)) < 0) f.done = true;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
              f.sock_eof = true;  // the target session went away: close the channel
              f.done = true;
            }
          }
        }
        // Channel -> socket, bounded by our buffer.
        while (!f.done && f.to_sock.size() < k_forward_buffer_limit) {
          int n = ssh_channel_read_nonblocking(f.channel, buf, sizeof buf, 0);
          if (n > 0) {
            f.to_sock.append(buf, static_cast<size_t>(n));
          } else {
            if (n < 0 && !ssh_channel_is_eof(f.channel)) f.done = true;
            break;
          }
        }
        if (!f.to_sock.empty()) {
          ssize_t n = ::send(f.fd, f.to_sock.data(), f.to_sock.size(), MSG_NOSIGNAL);
          if (n > 0) f.to_sock.erase(0, static_cast<size_t>(n));
          else if (n < 0 && errno != EAGAIN && errno != EINTR) f.done = true;
        }
        if (f.to_sock.empty() && !f.chan_eof_sent_to_sock &&
            (ssh_channel_is_eof(f.channel) || ssh_channel_is_closed(f.channel))) {
          ::shutdown(f.fd, SHUT_WR);
          f.chan_eof_sent_to_sock = true;
        }
      }
      for (auto it = forwards.begin(); it != forwards.end();) {
        if (it->done) {
          if (it->channel) {
            if (it->open) ssh_channel_close(it->channel);
            ssh_channel_free(it->channel);
          }
          close_fd(it->fd);
          it = forwards.erase(it);
        } else {
          ++it;
        }
      }

      // Wait for the bastion socket, our sockets, or a new request.
      std::vector<pollfd> fds;
      fds.push_back({m_wake, POLLIN, 0});
      short session_events = POLLIN;
      if (ssh_get_poll_flags(session) & SSH_WRITE_PENDING) session_events |= POLLOUT;
      fds.push_back({ssh_get_fd(session), session_events, 0});
      for (auto& f : forwards) {
        if (!f.open) continue;
        short ev = 0;
        if (!f.sock_eof && ssh_channel_window_size(f.channel) > 0) ev |= POLLIN;
        if (!f.to_sock.empty()) ev |= POLLOUT;
        fds.push_back({f.fd, ev, 0});
      }
      ::poll(fds.data(), fds.size(), opening ? 20 : 500);
      if (fds[0].revents & POLLIN) {
        std::uint64_t v = 0;
        [[maybe_unused]] ssize_t n = ::read(m_wake, &v, sizeof v);
      }
      if (ssh_event_dopoll(event, 0) == SSH_ERROR || !ssh_is_connected(session)) alive = false;
    }

    Failure lost = fail(FailureKind::dropped, fmt::format("connection to jump host {} was lost", m_label));
    die(lost);
    for (auto& f : forwards) {
      if (!f.open) finish(f.request, -1, lost);
      if (f.channel) ssh_channel_free(f.channel);
      close_fd(f.fd);
    }
    ssh_event_remove_session(event, session);
    ssh_event_free(event);
  }

  std::string m_label;
  int m_timeout_s;
  Connector m_connector;
  int m_wake = -1;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::shared_ptr<Request>> m_requests;
  bool m_stop = false;
  bool m_dead = false;
  bool m_was_up = false;
  Failure m_dead_failure{FailureKind::dropped, ""};
  std::thread m_thread;
};

// -------------------------------------------------------------------------------------------
// One authenticated session to one host.
class LibsshSession final : public Session {
public:
  LibsshSession(OwnedSession session, milliseconds connect_time, std::shared_ptr<Bastion> via, std::string label)
      : m_via(std::move(via)), m_owned(std::move(session)), m_session(m_owned.get()), m_connect_time(connect_time),
        m_label(std::move(label)) {}

  std::chrono::milliseconds connect_time() const override { return m_connect_time; }

  Expected<ExecResult, Failure> exec(const ExecRequest& request) override {
    if (!ssh_is_connected(m_session))
      return unexpected(fail(FailureKind::dropped, fmt::format("connection to {} was lost", m_label)));
    TimePoint deadline = request.timeout.count() > 0 ? Clock::now() + request.timeout : TimePoint::max();
    // The state and callbacks outlive the channel (libssh keeps a pointer to them until it is
    // freed) and are installed before the exec request: a command that ends at once (sudo
    // refusing, `true` without stdin) sends exit-status while libssh waits for the reply.
    struct State {
      int exit_status = -1;
      std::string exit_signal;
      bool got_exit = false;
    } state;
    ssh_channel_callbacks_struct callbacks{};
    callbacks.userdata = &state;
    callbacks.channel_exit_status_function = [](ssh_session, ssh_channel, int status, void* ud) {
      auto* s = static_cast<State*>(ud);
      s->exit_status = status;
      s->got_exit = true;
    };
    callbacks.channel_exit_signal_function = [](ssh_session, ssh_channel, const char* signal, int, const char*,
                                                const char*, void* ud) {
      auto* s = static_cast<State*>(ud);
      s->exit_signal = signal ? signal : "";
      s->got_exit = true;
    };
    ssh_callbacks_init(&callbacks);
    ssh_channel channel = ssh_channel_new(m_session);
    if (!channel) return unexpected(channel_failure("cannot create a channel"));
    struct ChannelGuard {
      ssh_channel c;
      ~ChannelGuard() {
        ssh_channel_close(c);
        ssh_channel_free(c);
      }
    } guard{channel};

    ssh_set_channel_callbacks(channel, &callbacks);

    if (ssh_channel_open_session(channel) != SSH_OK) return unexpected(channel_failure("cannot open a session channel"));
    if (ssh_channel_request_exec(channel, request.command.c_str()) != SSH_OK)
      return unexpected(channel_failure("the server refused to run the command"));

    ssh_event event = ssh_event_new();
    ssh_event_add_session(event, m_session);
    struct EventGuard {
      ssh_event e;
      ssh_session s;
      ~EventGuard() {
        ssh_event_remove_session(e, s);
        ssh_event_free(e);
      }
    } event_guard{event, m_session};

    ExecResult result;
    size_t sent = 0;
    bool eof_sent = false;
    char buf[k_io_chunk];
    for (;;) {
      // Feed stdin as the window allows, then EOF.
      if (!eof_sent) {
        if (sent < request.stdin_data.size()) {
          std::uint32_t window = ssh_channel_window_size(channel);
          if (window > 0) {
            size_t n = std::min<size_t>({window, k_io_chunk, request.stdin_data.size() - sent});
            int w = ssh_channel_write(channel, request.stdin_data.data() + sent, static_cast<std::uint32_t>(n));
            if (w < 0) return unexpected(lost());
            sent += static_cast<size_t>(w);
          }
        }
        if (sent == request.stdin_data.size()) {
          ssh_channel_send_eof(channel);
          eof_sent = true;
        }
      }
      // Drain what has arrived on both streams.
      bool progress = false;
      for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
        for (int i = 0; i < 16; ++i) {
          int n = ssh_channel_read_nonblocking(channel, buf, sizeof buf, is_stderr);
          if (n == SSH_ERROR) return unexpected(lost());
          if (n <= 0) break;
          progress = true;
          const auto& sink = is_stderr ? request.on_stderr : request.on_stdout;
          if (sink) sink(std::string_view(buf, static_cast<size_t>(n)));
        }
      }
      if (is_cancelled(request.cancel)) {
        result.cancelled = true;
        return result;
      }
      if (Clock::now() >= deadline) {
        result.timed_out = true;
        return result;
      }
      if (progress) continue;
      if (ssh_channel_is_closed(channel) || (ssh_channel_is_eof(channel) && state.got_exit)) break;
      if (!ssh_is_connected(m_session)) return unexpected(lost());
      int wait = deadline == TimePoint::max() ? 200 : std::min(200, std::max(1, remaining_ms(deadline)));
      if (ssh_event_dopoll(event, wait) == SSH_ERROR && !ssh_is_connected(m_session)) return unexpected(lost());
    }
    result.exit_status = state.exit_status;
    result.exit_signal = state.exit_signal;
    if (!state.got_exit && !ssh_is_connected(m_session)) return unexpected(lost());
    return result;
  }

private:
  Failure lost() const {
    return fail(FailureKind::dropped, fmt::format("connection to {} was lost while the command ran", m_label));
  }
  Failure channel_failure(const char* what) const {
    if (!ssh_is_connected(m_session)) return lost();
    return fail(FailureKind::channel, fmt::format("{} on {}: {}", what, m_label, ssh_get_error(m_session)));
  }

  // Keeps the jump host's session up while this one lives (declared first, so destroyed last).
  std::shared_ptr<Bastion> m_via;
  OwnedSession m_owned;
  ssh_session m_session;
  milliseconds m_connect_time;
  std::string m_label;
};

// -------------------------------------------------------------------------------------------
struct LibsshTransport::Impl {
  const SshConfig& config;
  ResolveOptions options;
  std::mutex bastions_mutex;
  std::map<std::string, std::shared_ptr<Bastion>> bastions;

  Impl(const SshConfig& c, ResolveOptions o) : config(c), options(o) {}

  // The endpoint of the last hop in a ProxyJump list; earlier hops become its own jump.
  Endpoint jump_endpoint(const std::string& spec) const {
    std::vector<std::string> hops = split(spec, ',');
    std::string last = trim(hops.back());
    hops.pop_back();
    Overrides o;
    std::string host = last;
    if (auto at = host.rfind('@'); at != std::string::npos) {
      o.user = host.substr(0, at);
      host = host.substr(at + 1);
    }
    if (!host.empty() && host[0] == '[') {
      auto close = host.find(']');
      if (close != std::string::npos) {
        if (close + 2 < host.size() && host[close + 1] == ':') o.port = std::atoi(host.c_str() + close + 2);
        host = host.substr(1, close - 1);
      }
    } else if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) {
      o.port = std::atoi(host.c_str() + colon + 1);
      host = host.substr(0, colon);
    }
    if (!hops.empty()) o.proxy_jump = join(hops, ",");
    return config.resolve(host, o, options);
  }

  std::shared_ptr<Bastion> bastion_for(const Endpoint& jump, int depth) {
    std::string key = fmt::format("{}@{}:{} via {} policy {}", jump.user, jump.hostname, jump.port, jump.proxy_jump,
                                  to_string(jump.host_key_policy));
    std::lock_guard<std::mutex> lock(bastions_mutex);
    auto& slot = bastions[key];
    if (slot && slot->dead() && !slot->failed_to_connect()) slot.reset();  // dropped: reconnect
    if (!slot) {
      std::string label = jump.name == jump.hostname ? host_port(jump.hostname, jump.port)
                                                      : fmt::format("{} ({})", jump.name, host_port(jump.hostname, jump.port));
      slot = std::make_shared<Bastion>(label, jump.connect_timeout_s, [this, jump, depth](TimePoint deadline) {
        return open(jump, nullptr, deadline, depth + 1);
      });
    }
    return slot;
  }

  // Connects and authenticates; returns the raw libssh session and the bastion it rides on.
  Expected<OwnedSession, Failure> open(const Endpoint& ep, const std::atomic<bool>* cancel, TimePoint deadline,
                                      int depth, std::shared_ptr<Bastion>* via = nullptr,
                                      HostKeyCheck* key_only = nullptr) {
    if (depth > k_max_jump_depth)
      return unexpected(fail(FailureKind::protocol, fmt::format("ProxyJump chain for {} is longer than {} hops (a loop?)",
                                                                ep.name, k_max_jump_depth)));
    int fd = -1;
    if (ep.proxy_jump.empty()) {
      auto d = dial(ep.hostname, ep.port, deadline, cancel, ep.connect_timeout_s);
      if (!d) return unexpected(d.error());
      fd = *d;
    } else {
      auto bastion = bastion_for(jump_endpoint(ep.proxy_jump), depth);
      auto f = bastion->forward(ep.hostname, ep.port, deadline, cancel);
      if (!f) return unexpected(f.error());
      fd = *f;
      if (via) *via = bastion;
    }
    return handshake(ep, fd, cancel, deadline, key_only);
  }

  // Banner, key exchange, host key policy and auth over an open socket (which it takes over).
  // With `key_only`, stops after the key exchange and fills it in instead (no policy, no auth).
  Expected<OwnedSession, Failure> handshake(const Endpoint& ep, int fd, const std::atomic<bool>* cancel,
                                           TimePoint deadline, HostKeyCheck* key_only = nullptr) {
    OwnedSession h(ssh_new(), fd);
    if (!h.get()) return unexpected(fail(FailureKind::protocol, "out of memory creating an ssh session"));
    ssh_session s = h.get();
    int port = ep.port;
    // libssh's own limit for blocking steps is the hard one; the watchdog below enforces the
    // connect timeout as "nothing received for that long".
    long timeout = std::max(1, (remaining_ms(deadline) + 999) / 1000) + 5L * std::max(1, ep.connect_timeout_s);
    bool no = false;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(s, SSH_OPTIONS_HOST, ep.hostname.c_str());
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, ep.user.c_str());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    // libssh reads known_hosts during ssh_connect to put the key types it already knows for
    // this host first. It is given only the lines that can concern this host (from the index
    // read once per run) in a memfd, instead of parsing the whole file again for every host:
    // the same answer, without a per-host cost that grows with the fleet.
    struct MemFd {
      int fd = -1;
      ~MemFd() {
        if (fd >= 0) ::close(fd);
      }
    } known_hosts_view;
    if (!ep.known_hosts_files.empty()) {
      const std::string& file = ep.known_hosts_files.front();
      std::string path = file;
      if (auto lines = KnownHostsCache::instance().candidates(file, known_hosts_name(ep.hostname, ep.port))) {
        std::string text;
        for (const auto& line : *lines) text.append(line).push_back('\n');
        int view = ::memfd_create("sshm-known-hosts", MFD_CLOEXEC);
        if (view >= 0 && ::write(view, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
          known_hosts_view.fd = view;
          path = "/proc/self/fd/" + std::to_string(view);
        } else if (view >= 0) {
          ::close(view);
        }
      }
      ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, path.c_str());
      ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, path.c_str());
    }
    // KexAlgorithms / HostKeyAlgorithms from the ssh config; libssh takes the same list syntax.
    if (!ep.kex_algorithms.empty() && ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, ep.kex_algorithms.c_str()) != SSH_OK)
      return unexpected(fail(FailureKind::protocol, fmt::format("KexAlgorithms '{}' for {}: {}", ep.kex_algorithms,
                                                                ep.name, ssh_get_error(s))));
    if (!ep.host_key_algorithms.empty() &&
        ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, ep.host_key_algorithms.c_str()) != SSH_OK)
      return unexpected(fail(FailureKind::protocol, fmt::format("HostKeyAlgorithms '{}' for {}: {}",
                                                                ep.host_key_algorithms, ep.name, ssh_get_error(s))));
    socket_t sock = fd;
    ssh_options_set(s, SSH_OPTIONS_FD, &sock);  // `h` closes it after the session

    std::string label = ep.name == ep.hostname ? host_port(ep.hostname, ep.port)
                                               : fmt::format("{} ({})", ep.name, host_port(ep.hostname, ep.port));
    // The connect timeout bounds a silent or stalled server: while it keeps sending, a handshake
    // slowed by load (hundreds at once on a small controller) goes on, up to 6 times the timeout.
    const milliseconds window(static_cast<long long>(ep.connect_timeout_s) * 1000);
    Watchdog::Guard watch(fd, deadline, cancel, window, deadline + 5 * window);
    auto interrupted = [&]() -> std::optional<Failure> {
      if (watch.fired() == 2 || is_cancelled(cancel))
        return fail(FailureKind::cancelled, "cancelled while connecting to " + label);
      if (watch.fired() == 3)
        return fail(FailureKind::connect_timeout,
                    fmt::format("{} kept the SSH handshake going for {} s without finishing it "
                                "(raise --connect-timeout for slow hosts)",
                                label, 6 * ep.connect_timeout_s));
      if (watch.fired() == 1)
        return fail(FailureKind::connect_timeout,
                    fmt::format("{} accepted TCP but did not finish the SSH handshake within {} s; is it an sshd? "
                                "(raise --connect-timeout for slow hosts)",
                                label, ep.connect_timeout_s));
      return std::nullopt;
    };

    int connected = ssh_connect(s);
    if (known_hosts_view.fd >= 0) {
      // The view's descriptor number may be reused once closed: point libssh back at the file.
      ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, ep.known_hosts_files.front().c_str());
      ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, ep.known_hosts_files.front().c_str());
      ::close(known_hosts_view.fd);
      known_hosts_view.fd = -1;
    }
    if (connected != SSH_OK) {
      if (auto f = interrupted()) return unexpected(*f);
      std::string err = ssh_get_error(s);
      std::string l = to_lower(err);
      if (l.find("timeout") != std::string::npos || l.find("timed out") != std::string::npos)
        return unexpected(fail(FailureKind::connect_timeout, fmt::format("{}: {}", label, err)));
      return unexpected(fail(FailureKind::protocol,
                             fmt::format("SSH handshake with {} failed: {} (is it an sshd? does it accept more "
                                         "connections? see MaxStartups)",
                                         label, err)));
    }

    if (key_only) {
      *key_only = classify_host_key(ep, s, label);
      return h;
    }
    if (auto f = verify_host_key(ep, s, label)) return unexpected(*f);
    if (auto f = interrupted()) return unexpected(*f);
    if (auto f = authenticate(ep, s, label)) {
      if (auto g = interrupted()) return unexpected(*g);
      return unexpected(*f);
    }
    if (auto f = interrupted()) return unexpected(*f);
    return h;
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
};

LibsshTransport::LibsshTransport(const SshConfig& config, ResolveOptions options)
    : m_impl(std::make_unique<Impl>(config, options)) {
  static std::once_flag once;
  std::call_once(once, [] {
    ssh_init();
    // Many sessions in flight need many descriptors: raise the soft limit to the hard one.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
  });
}

LibsshTransport::~LibsshTransport() = default;

Expected<std::unique_ptr<Session>, Failure> LibsshTransport::connect(const Endpoint& endpoint,
                                                                     const std::atomic<bool>* cancel) {
  auto start = Clock::now();
  TimePoint deadline = start + std::chrono::seconds(std::max(1, endpoint.connect_timeout_s));
  std::shared_ptr<Bastion> via;
  auto s = m_impl->open(endpoint, cancel, deadline, 0, &via);
  if (!s) return unexpected(s.error());
  auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  std::string label = endpoint.name == endpoint.hostname
                          ? host_port(endpoint.hostname, endpoint.port)
                          : fmt::format("{} ({})", endpoint.name, host_port(endpoint.hostname, endpoint.port));
  return std::unique_ptr<Session>(std::make_unique<LibsshSession>(std::move(*s), elapsed, std::move(via), label));
}

HostKeyCheck LibsshTransport::check_host_key(const Endpoint& endpoint, const std::atomic<bool>* cancel) {
  TimePoint deadline = Clock::now() + std::chrono::seconds(std::max(1, endpoint.connect_timeout_s));
  HostKeyCheck check;
  check.known_hosts_name = known_hosts_name(endpoint.hostname, endpoint.port);
  auto s = m_impl->open(endpoint, cancel, deadline, 0, nullptr, &check);
  if (!s) {
    check.state = HostKeyCheck::State::unreachable;
    check.message = s.error().message;
  }
  return check;
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
