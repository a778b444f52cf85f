#include "ssh/config.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <glob.h>
#include <optional>
#include <pwd.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <fcntl.h>
#include <cerrno>
#include <unistd.h>

namespace sshm::ssh {

namespace {

constexpr int k_max_include_depth = 16;

} // namespace

// Not internal: SshConfig::Impl holds these.
namespace config_lines {

// One criterion of a `Match` line (ssh_config(5)): all, canonical, final, host,
// originalhost, user, localuser, exec, localnetwork; `!` before it negates it.
struct Criterion {
  std::string kind;  // lower case
  std::string arg;   // a comma-separated pattern list, or exec's command
  bool negate = false;
};

// A `Host` or `Match` line: which host names the lines after it apply to.
struct Condition {
  std::vector<std::string> patterns;  // Host's patterns; "!" prefix negates
  bool is_match = false;              // a Match line: `criteria` decide (all AND'd)
  std::vector<Criterion> criteria;
};

// One setting line with the conditions (outer Include contexts first) that gate it.
struct Entry {
  std::vector<size_t> conditions;
  std::string keyword;  // lower case
  std::vector<std::string> args;
  Location where;
};

} // namespace config_lines

using config_lines::Condition;
using config_lines::Criterion;
using config_lines::Entry;

namespace {

// OpenSSH's pattern match: `*` and `?` only, case-sensitive.
bool wildcard_match(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool host_matches(const Condition& c, const std::string& name) {
  bool positive = false;
  for (const auto& p : c.patterns) {
    if (!p.empty() && p[0] == '!') {
      if (wildcard_match(std::string_view(p).substr(1), name)) return false;
    } else if (wildcard_match(p, name)) {
      positive = true;
    }
  }
  return positive;
}

// ssh's match_pattern_list: comma-separated patterns, `!` negating; true when one positive
// pattern matches and no negated one does. Host names compare case-insensitively.
bool pattern_list_matches(const std::string& value, const std::string& list, bool fold_case) {
  const std::string v = fold_case ? to_lower(value) : value;
  bool positive = false;
  for (const std::string& raw : split(list, ',')) {
    const bool negated = !raw.empty() && raw[0] == '!';
    std::string p = negated ? raw.substr(1) : raw;
    if (fold_case) p = to_lower(p);
    if (!wildcard_match(p, v)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

// The criteria of a `Match` line, checked as ssh checks them when it reads the file.
std::vector<Criterion> parse_match(const std::vector<std::string>& args, const Location& where) {
  static const std::vector<std::string> with_arg = {"host", "originalhost", "user", "localuser", "exec",
                                                    "localnetwork", "tagged"};
  std::vector<Criterion> out;
  for (size_t i = 0; i < args.size(); ++i) {
    Criterion c;
    c.negate = !args[i].empty() && args[i][0] == '!';
    c.kind = to_lower(c.negate ? args[i].substr(1) : args[i]);
    if (c.kind == "all" || c.kind == "canonical" || c.kind == "final") {
      if (c.kind == "all" && (c.negate || args.size() > 1) &&
          !(args.size() <= 3 && std::all_of(args.begin(), args.end(), [](const std::string& a) {
            std::string k = to_lower(a);
            return k == "all" || k == "canonical" || k == "final";
          })))
        throw InputError(where, "Match all must appear alone or after canonical/final");
    } else if (std::find(with_arg.begin(), with_arg.end(), c.kind) != with_arg.end()) {
      if (i + 1 >= args.size()) throw InputError(where, fmt::format("Match {} needs an argument", c.kind));
      c.arg = args[++i];
    } else {
      throw InputError(where, fmt::format("unsupported Match criterion '{}'", args[i]));
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) throw InputError(where, "Match needs criteria (Match all, Match host NAME, ...)");
  return out;
}

// Splits the arguments of a config line as ssh does: whitespace separated, double quotes
// group, an unquoted `#` starting an argument ends the line.
std::vector<std::string> split_args(std::string_view s, const Location& where) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    if (s[i] == '#') break;
    std::string arg;
    if (s[i] == '"') {
      size_t end = s.find('"', i + 1);
      if (end == std::string_view::npos) throw InputError(where, "unterminated quote in ssh config");
      arg = std::string(s.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) arg += s[i++];
    }
    out.push_back(std::move(arg));
  }
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string local_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Expands %-tokens as ssh does for IdentityFile and UserKnownHostsFile, then `~`.
std::string expand_tokens(const std::string& value, const LocalIdentity& local, const Endpoint& e,
                          const std::string& original) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%' || i + 1 >= value.size()) {
      out += value[i];
      continue;
    }
    char t = value[++i];
    switch (t) {
    case '%': out += '%'; break;
    case 'd': out += local.home; break;
    case 'u': out += local.user; break;
    case 'h': out += e.hostname; break;
    case 'r': out += e.user; break;
    case 'p': out += std::to_string(e.port); break;
    case 'n': out += original; break;
    case 'i': out += std::to_string(::getuid()); break;
    case 'l': out += local_hostname(); break;
    case 'L': {
      std::string h = local_hostname();
      out += h.substr(0, h.find('.'));
      break;
    }
    default:
      out += '%';
      out += t;
    }
  }
  return expand_tilde(out, local.home);
}

bool parse_yes_no(const std::string& v, const Location& where, const std::string& keyword) {
  std::string l = to_lower(v);
  if (l == "yes" || l == "true") return true;
  if (l == "no" || l == "false") return false;
  throw InputError(where, fmt::format("{} wants yes or no, not '{}'", keyword, v));
}

int parse_int(const std::string& v, int lo, int hi, const Location& where, const std::string& keyword) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi)
    throw InputError(where, fmt::format("{} wants a number from {} to {}, not '{}'", keyword, lo, hi, v));
  return static_cast<int>(n);
}

// What the config says for one host: the first value each keyword is given (ssh's rule:
// the first match wins), and every IdentityFile (they add up).
struct HostSettings {
  std::optional<std::string> hostname, user, proxy_jump, strict, kex, host_key_algos;
  std::optional<int> port, connect_timeout;
  std::optional<bool> identities_only;
  std::optional<std::vector<std::string>> known_hosts;
  std::vector<std::string> identity_files;
};

// Adds one matching entry to `s` (values were validated when the file was read).
void take(HostSettings& s, const Entry& e) {
  const std::string& v = e.args[0];
  if (e.keyword == "hostname") {
    if (!s.hostname) s.hostname = v;
  } else if (e.keyword == "user") {
    if (!s.user) s.user = v;
  } else if (e.keyword == "port") {
    if (!s.port) s.port = std::stoi(v);
  } else if (e.keyword == "identityfile") {
    // ssh adds each file once (a final pass reads the same lines again).
    if (std::find(s.identity_files.begin(), s.identity_files.end(), v) == s.identity_files.end())
      s.identity_files.push_back(v);
  } else if (e.keyword == "identitiesonly") {
    if (!s.identities_only) s.identities_only = parse_yes_no(v, e.where, "IdentitiesOnly");
  } else if (e.keyword == "proxyjump") {
    if (!s.proxy_jump) s.proxy_jump = v;
  } else if (e.keyword == "connecttimeout") {
    if (!s.connect_timeout) s.connect_timeout = to_lower(v) == "none" ? 0 : std::stoi(v);
  } else if (e.keyword == "userknownhostsfile") {
    if (!s.known_hosts) s.known_hosts = e.args;
  } else if (e.keyword == "stricthostkeychecking") {
    if (!s.strict) s.strict = to_lower(v);
  } else if (e.keyword == "kexalgorithms") {
    if (!s.kex) s.kex = v;
  } else if (e.keyword == "hostkeyalgorithms") {
    if (!s.host_key_algos) s.host_key_algos = v;
  }
}

// What a Match line is checked against while the config is read: the host as given, the
// settings taken so far, and whether this is ssh's final pass (`Match final`/`canonical`).
struct MatchState {
  const std::string& original;
  const HostSettings& so_far;
  const LocalIdentity& local;
  bool final_pass = false;
};

std::string expand_hostname(const std::string& hostname, const std::string& name);

// `Match exec`: the command, its %-tokens expanded, run by /bin/sh with stdin and stdout on
// /dev/null as ssh runs it; exit status 0 is a match.
bool exec_matches(const std::string& command, const MatchState& st, const std::string& host) {
  Endpoint ep;
  ep.hostname = host;
  ep.user = st.so_far.user.value_or(st.local.user);
  ep.port = st.so_far.port.value_or(22);
  const std::string cmd = expand_tokens(command, st.local, ep, st.original);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool criterion_matches(const Criterion& c, const MatchState& st) {
  // `host` is the HostName taken so far (%h expanded), else the name as given.
  const std::string host = st.so_far.hostname ? expand_hostname(*st.so_far.hostname, st.original) : st.original;
  bool r = false;
  if (c.kind == "all") r = true;
  else if (c.kind == "canonical" || c.kind == "final") r = st.final_pass;
  else if (c.kind == "host") r = pattern_list_matches(host, c.arg, true);
  else if (c.kind == "originalhost") r = pattern_list_matches(st.original, c.arg, true);
  else if (c.kind == "user") r = pattern_list_matches(st.so_far.user.value_or(st.local.user), c.arg, false);
  else if (c.kind == "localuser") r = pattern_list_matches(st.local.user, c.arg, false);
  else if (c.kind == "exec") r = exec_matches(c.arg, st, host);
  // localnetwork and tagged: sshm has no such facts here; they never match.
  return c.negate ? !r : r;
}

bool condition_matches(const Condition& c, const MatchState& st) {
  if (!c.is_match) return host_matches(c, st.original);
  return std::all_of(c.criteria.begin(), c.criteria.end(), [&](const Criterion& k) { return criterion_matches(k, st); });
}

// HostName may carry %h (the name as given) and %%.
std::string expand_hostname(const std::string& hostname, const std::string& name) {
  std::string hn;
  for (size_t i = 0; i < hostname.size(); ++i) {
    if (hostname[i] == '%' && i + 1 < hostname.size()) {
      char t = hostname[++i];
      if (t == 'h') hn += name;
      else if (t == '%') hn += '%';
      else {
        hn += '%';
        hn += t;
      }
    } else {
      hn += hostname[i];
    }
  }
  return hn;
}

// The key files to offer, in order and once each: the override, else the config's, else
// ssh's defaults.
std::vector<std::string> identity_files(const HostSettings& s, const Overrides& overrides, const LocalIdentity& local,
                                        const Endpoint& ep) {
  std::vector<std::string> ids;
  if (overrides.identity_file) {
    ids = {*overrides.identity_file};
  } else if (!s.identity_files.empty()) {
    ids = s.identity_files;
  } else {
    ids = {"~/.ssh/id_rsa",        "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
           "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss",  "~/.ssh/id_dsa"};
  }
  std::vector<std::string> out;
  for (const auto& f : ids) {
    std::string x = expand_tokens(f, local, ep, ep.name);
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(std::move(x));
  }
  return out;
}

std::vector<std::string> known_hosts_files(const HostSettings& s, const LocalIdentity& local, const Endpoint& ep) {
  std::vector<std::string> out;
  for (const auto& f : s.known_hosts.value_or(std::vector<std::string>{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"})) {
    if (to_lower(f) == "none") continue;
    out.push_back(expand_tokens(f, local, ep, ep.name));
  }
  return out;
}

HostKeyPolicy host_key_policy(const HostSettings& s, const ResolveOptions& options) {
  if (options.host_key_policy) return *options.host_key_policy;
  if (s.strict == "accept-new") return HostKeyPolicy::accept_new;
  return HostKeyPolicy::strict;  // `no`/`off` never weakens sshm's policy
}

// The first that is given: the inventory's, the command line's, the config's (0 is "none"), 10.
int connect_timeout_s(const HostSettings& s, const Overrides& overrides, const ResolveOptions& options) {
  if (overrides.connect_timeout) return *overrides.connect_timeout;
  if (options.connect_timeout) return *options.connect_timeout;
  if (s.connect_timeout && *s.connect_timeout > 0) return *s.connect_timeout;
  return 10;
}

} // namespace

std::string expand_tilde(const std::string& path, const std::string& home) {
  if (path == "~") return home;
  if (starts_with(path, "~/")) return home + path.substr(1);
  return path;
}

LocalIdentity LocalIdentity::current() {
  LocalIdentity id;
  if (const passwd* pw = ::getpwuid(::geteuid())) {
    id.user = pw->pw_name ? pw->pw_name : "";
    id.home = pw->pw_dir ? pw->pw_dir : "";
  }
  if (id.home.empty())
    if (const char* h = std::getenv("HOME")) id.home = h;
  if (id.user.empty())
    if (const char* u = std::getenv("USER")) id.user = u;
  return id;
}

struct SshConfig::Impl {
  LocalIdentity local;
  std::vector<Condition> conditions;
  std::vector<Entry> entries;
  std::vector<std::string> files;

  // Adds the lines of one file; `outer` gates them (the Include's context); `base` is where
  // relative Include paths point.
  void parse_text(const std::string& text, const std::string& file_name, const std::vector<size_t>& outer,
                  const std::string& base, int depth) {
    files.push_back(file_name);
    std::optional<size_t> current;
    std::istringstream in(text);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t i = line.find_first_not_of(" \t");
      if (i == std::string::npos || line[i] == '#') continue;
      size_t k = i;
      while (k < line.size() && !std::isspace(static_cast<unsigned char>(line[k])) && line[k] != '=') ++k;
      std::string keyword = to_lower(line.substr(i, k - i));
      size_t rest = line.find_first_not_of(" \t", k);
      if (rest != std::string::npos && line[rest] == '=') rest = line.find_first_not_of(" \t", rest + 1);
      Location where{file_name, line_no, static_cast<int>(i) + 1};
      std::vector<std::string> args =
          rest == std::string::npos ? std::vector<std::string>{} : split_args(std::string_view(line).substr(rest), where);
      if (keyword == "host") {
        if (args.empty()) throw InputError(where, "Host needs at least one pattern");
        conditions.push_back(Condition{args, false, {}});
        current = conditions.size() - 1;
        continue;
      }
      if (keyword == "match") {
        conditions.push_back(Condition{{}, true, parse_match(args, where)});
        current = conditions.size() - 1;
        continue;
      }
      std::vector<size_t> gate = outer;
      if (current) gate.push_back(*current);
      if (keyword == "include") {
        if (args.empty()) throw InputError(where, "Include needs a file name");
        if (depth >= k_max_include_depth) throw InputError(where, "Include nested too deeply");
        for (const auto& a : args) include(a, gate, base, depth, where);
        continue;
      }
      entries.push_back(Entry{std::move(gate), keyword, std::move(args), where});
      validate(entries.back());
    }
  }

  void include(const std::string& arg, const std::vector<size_t>& gate, const std::string& base, int depth,
               const Location& where) {
    std::string pattern = expand_tilde(arg, local.home);
    if (pattern.empty() || pattern[0] != '/') pattern = base + "/" + pattern;
    glob_t g{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> paths;
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    for (const auto& p : paths) {
      if (std::filesystem::is_directory(p)) continue;
      auto text = read_file(p);
      if (!text) throw InputError(where, fmt::format("cannot read included file '{}'", p));
      parse_text(*text, p, gate, base, depth + 1);
    }
  }

  // The settings for `name` as `ssh -G` reads them: in file order, first value wins, each
  // condition checked (once) when its first line is reached, against what was taken so far;
  // a second, final pass when a `Match final` asks for one.
  HostSettings settings_for(const std::string& name, const std::optional<std::string>& user) const {
    HostSettings s;
    s.user = user;
    read_pass(name, s, false);
    if (wants_final_pass()) read_pass(name, s, true);
    return s;
  }

  void read_pass(const std::string& name, HostSettings& s, bool final_pass) const {
    std::vector<signed char> verdict(conditions.size(), -1);
    const MatchState st{name, s, local, final_pass};
    auto active = [&](const Entry& e) {
      for (size_t c : e.conditions) {
        if (verdict[c] < 0) verdict[c] = condition_matches(conditions[c], st) ? 1 : 0;
        if (verdict[c] == 0) return false;
      }
      return true;
    };
    for (const Entry& e : entries)
      if (!e.args.empty() && active(e)) take(s, e);
  }

  bool wants_final_pass() const {
    for (const Condition& c : conditions)
      for (const Criterion& k : c.criteria)
        if (k.kind == "final" && !k.negate) return true;
    return false;
  }

  // Rejects values ssh itself would reject, with the line they are on.
  static void validate(const Entry& e) {
    auto need = [&](size_t n) {
      if (e.args.size() < n) throw InputError(e.where, fmt::format("{} needs a value", e.keyword));
    };
    if (e.keyword == "port") {
      need(1);
      parse_int(e.args[0], 1, 65535, e.where, "Port");
    } else if (e.keyword == "connecttimeout") {
      need(1);
      if (to_lower(e.args[0]) != "none") parse_int(e.args[0], 0, 86400, e.where, "ConnectTimeout");
    } else if (e.keyword == "identitiesonly") {
      need(1);
      parse_yes_no(e.args[0], e.where, "IdentitiesOnly");
    } else if (e.keyword == "stricthostkeychecking") {
      need(1);
      static const std::vector<std::string> ok = {"yes", "no", "ask", "accept-new", "off", "true", "false"};
      if (std::find(ok.begin(), ok.end(), to_lower(e.args[0])) == ok.end())
        throw InputError(e.where, fmt::format("StrictHostKeyChecking wants yes, no, ask, accept-new or off, not '{}'",
                                              e.args[0]));
    } else if (e.keyword == "hostname" || e.keyword == "user" || e.keyword == "identityfile" ||
               e.keyword == "proxyjump" || e.keyword == "userknownhostsfile" || e.keyword == "kexalgorithms" ||
               e.keyword == "hostkeyalgorithms") {
      need(1);
    }
  }
};

SshConfig::SshConfig() : m_impl(std::make_unique<Impl>()) { m_impl->local = LocalIdentity::current(); }
SshConfig::~SshConfig() = default;
SshConfig::SshConfig(SshConfig&&) noexcept = default;
SshConfig& SshConfig::operator=(SshConfig&&) noexcept = default;

SshConfig SshConfig::load(const std::string& path) {
  SshConfig c;
  Impl& impl = *c.m_impl;
  std::string user_dir = impl.local.home + "/.ssh";
  if (!path.empty()) {
    std::string p = expand_tilde(path, impl.local.home);
    if (p == "none") return c;
    auto text = read_file(p);
    if (!text) throw InputError(fmt::format("ssh config file '{}' cannot be read", path));
    impl.parse_text(*text, p, {}, user_dir, 0);
    return c;
  }
  if (auto text = read_file(user_dir + "/config")) impl.parse_text(*text, user_dir + "/config", {}, user_dir, 0);
  if (auto text = read_file("/etc/ssh/ssh_config")) impl.parse_text(*text, "/etc/ssh/ssh_config", {}, "/etc/ssh", 0);
  return c;
}

SshConfig SshConfig::parse(const std::string& text, const std::string& file_name, const LocalIdentity& local) {
  SshConfig c;
  c.m_impl->local = local;
  c.m_impl->parse_text(text, file_name, {}, local.home + "/.ssh", 0);
  return c;
}

const std::vector<std::string>& SshConfig::files() const { return m_impl->files; }

bool SshConfig::defines_host(const std::string& name) const {
  for (const Condition& c : m_impl->conditions)
    for (const std::string& p : c.patterns)
      if (p == name && p.find_first_of("*?!") == std::string::npos) return true;
  return false;
}

Endpoint SshConfig::resolve(const std::string& name, const Overrides& overrides, const ResolveOptions& options) const {
  const Impl& impl = *m_impl;
  HostSettings s = impl.settings_for(name, overrides.user);
  Endpoint ep;
  ep.name = name;
  ep.hostname = overrides.hostname.value_or(s.hostname ? expand_hostname(*s.hostname, name) : name);
  ep.port = overrides.port.value_or(s.port.value_or(22));
  ep.user = overrides.user.value_or(s.user.value_or(impl.local.user));
  ep.identities_only = s.identities_only.value_or(false);
  ep.proxy_jump = overrides.proxy_jump.value_or(s.proxy_jump.value_or(""));
  if (to_lower(ep.proxy_jump) == "none") ep.proxy_jump.clear();
  ep.kex_algorithms = s.kex.value_or("");
  ep.host_key_algorithms = s.host_key_algos.value_or("");
  // Tokens such as %h and %r stand for the values above, so these come after them.
  ep.identity_files = identity_files(s, overrides, impl.local, ep);
  ep.known_hosts_files = known_hosts_files(s, impl.local, ep);
  ep.host_key_policy = host_key_policy(s, options);
  ep.connect_timeout_s = connect_timeout_s(s, overrides, options);
  return ep;
}

} // namespace sshm::ssh
