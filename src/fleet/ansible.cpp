#include "fleet/ansible.hpp"

#include "fleet/python_literal.hpp"
#include "fleet/ranges.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>

namespace sshm::fleet::ansible {

namespace {

const std::vector<std::string> k_connection_vars = {
    "ansible_host",        "ansible_ssh_host",         "ansible_port",
    "ansible_ssh_port",    "ansible_user",             "ansible_ssh_user",
    "ansible_private_key_file", "ansible_ssh_private_key_file", "ansible_ssh_timeout",
    "ansible_become",      "ansible_become_user",      "ansible_become_method"};
const std::vector<std::string> k_group_sections = {"hosts", "children", "vars"};

// ---------------------------------------------------------------------------------------
// YAML 1.1 plain scalars, as PyYAML resolves them.

std::optional<nlohmann::json> yaml11_scalar(const std::string& s) {
  static const std::set<std::string> k_null = {"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> k_true = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> k_false = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  static const std::regex k_int(
      R"([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)");
  static const std::regex k_float(
      R"([-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)?|\.[0-9][0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*)");
  if (k_null.count(s)) return nlohmann::json(nullptr);
  if (k_true.count(s)) return nlohmann::json(true);
  if (k_false.count(s)) return nlohmann::json(false);
  if (s.empty() || s.size() > 40) return std::nullopt;
  char first = s[0];
  if (!std::isdigit(static_cast<unsigned char>(first)) && first != '-' && first != '+' && first != '.') return std::nullopt;
  std::string v;
  for (char c : s)
    if (c != '_') v += c;
  bool negative = !v.empty() && v[0] == '-';
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v = v.substr(1);
  auto sexagesimal = [](const std::string& text) {
    double value = 0;
    for (const auto& part : split(text, ':')) value = value * 60 + std::stod(part);
    return value;
  };
  try {
    if (std::regex_match(s, k_int)) {
      long long n = 0;
      if (v == "0") n = 0;
      else if (starts_with(v, "0b")) n = std::stoll(v.substr(2), nullptr, 2);
      else if (starts_with(v, "0x")) n = std::stoll(v.substr(2), nullptr, 16);
      else if (v.find(':') != std::string::npos) n = static_cast<long long>(sexagesimal(v));
      else if (v[0] == '0') n = std::stoll(v, nullptr, 8);
      else n = std::stoll(v);
      return nlohmann::json(negative ? -n : n);
    }
    if (std::regex_match(s, k_float)) {
      double d = v.find(':') != std::string::npos ? sexagesimal(v) : std::stod(v);
      return nlohmann::json(negative ? -d : d);
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return std::nullopt;
}

std::string tag_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

bool ansible_true(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() == 1.0;
  if (v.is_string()) {
    static const std::set<std::string> k_yes = {"y", "yes", "on", "1", "true", "t"};
    return k_yes.count(to_lower(v.get<std::string>())) > 0;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// The inventory as Ansible builds it, before it becomes sshm hosts and groups.

struct AnsibleGroup {
  std::string name;
  std::vector<std::string> hosts;
  std::vector<std::string> children;
  std::vector<std::string> parents;
  nlohmann::json vars = nlohmann::json::object();
  int priority = 1;
  Location where;
};

struct AnsibleHost {
  std::string name;
  nlohmann::json vars = nlohmann::json::object();
  std::vector<std::string> groups;  // direct groups
  Location where;
};

class Model {
public:
  explicit Model(std::string file) : m_file(std::move(file)) {
    group("all", Location{m_file, 0, 0});
    group("ungrouped", Location{m_file, 0, 0});
    add_child("all", "ungrouped", Location{m_file, 0, 0});
  }

  bool has_group(const std::string& name) const { return m_group_index.count(name) > 0; }

  AnsibleGroup& group(const std::string& name, const Location& where) {
    auto it = m_group_index.find(name);
    if (it != m_group_index.end()) return m_groups[it->second];
    m_group_index[name] = m_groups.size();
    m_groups.push_back(AnsibleGroup{name, {}, {}, {}, nlohmann::json::object(), 1, where});
    return m_groups.back();
  }

  AnsibleHost& host(const std::string& name, const Location& where) {
    auto it = m_host_index.find(name);
    if (it != m_host_index.end()) return m_hosts[it->second];
    m_host_index[name] = m_hosts.size();
    m_hosts.push_back(AnsibleHost{name, nlohmann::json::object(), {}, where});
    return m_hosts.back();
  }

  // Adds hosts to a group with their vars, as Ansible's _populate_host_vars: the port of
  // host:port first, then the vars in order (a later definition of a var wins).
  void add_hosts(const std::vector<std::string>& names, int port, const std::vector<std::pair<std::string, nlohmann::json>>& vars,
                 const std::string& group_name, const Location& where) {
    for (const auto& name : names) {
      AnsibleHost& h = host(name, where);
      AnsibleGroup& g = group(group_name, where);
      if (std::find(g.hosts.begin(), g.hosts.end(), name) == g.hosts.end()) g.hosts.push_back(name);
      if (std::find(h.groups.begin(), h.groups.end(), group_name) == h.groups.end()) h.groups.push_back(group_name);
      if (port) h.vars["ansible_port"] = port;
      for (const auto& [k, v] : vars) h.vars[k] = v;
    }
  }

  void set_group_var(const std::string& group_name, const std::string& key, const nlohmann::json& value, const Location& where) {
    AnsibleGroup& g = group(group_name, where);
    if (key == "ansible_group_priority") {
      long long p = 0;
      if (value.is_number_integer()) {
        p = value.get<long long>();
      } else {
        try {
          size_t used = 0;
          std::string s = tag_text(value);
          p = std::stoll(s, &used);
          if (used != s.size()) throw std::invalid_argument(s);
        } catch (const std::exception&) {
          throw InputError(where, fmt::format("ansible_group_priority of group '{}' must be a whole number, not {}",
                                              group_name, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
        }
      }
      g.priority = static_cast<int>(std::clamp<long long>(p, INT_MIN, INT_MAX));
      return;
    }
    g.vars[key] = value;
  }

  std::vector<std::string> ancestors(const std::string& name) const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::function<void(const std::string&)> walk = [&](const std::string& g) {
      for (const auto& p : m_groups[m_group_index.at(g)].parents) {
        if (seen.insert(p).second) {
          out.push_back(p);
          walk(p);
        }
      }
    };
    walk(name);
    return out;
  }

  // Makes `child` a child of `parent`; a loop is an error, as in Ansible.
  void add_child(const std::string& parent, const std::string& child, const Location& where) {
    if (parent == child) throw InputError(where, fmt::format("group '{}' cannot be its own child", child));
    AnsibleGroup& p = group(parent, where);
    if (std::find(p.children.begin(), p.children.end(), child) != p.children.end()) return;
    auto up = ancestors(parent);
    if (std::find(up.begin(), up.end(), child) != up.end())
      throw InputError(where, fmt::format("adding group '{}' as a child of '{}' makes a loop", child, parent));
    p.children.push_back(child);
    group(child, where).parents.push_back(parent);
  }

  std::vector<std::string> group_names() const {
    std::vector<std::string> out;
    for (const auto& g : m_groups) out.push_back(g.name);
    return out;
  }

  // Ansible's reconcile step, var merging, and the translation to sshm hosts and groups.
  Inventory build() {
    Location none{m_file, 0, 0};
    for (size_t i = 0; i < m_groups.size(); ++i) {
      if (m_groups[i].name != "all" && m_groups[i].parents.empty()) add_child("all", m_groups[i].name, none);
    }
    // A host in no group but all (or ungrouped) is in ungrouped; any other group takes it out.
    AnsibleGroup& ungrouped = m_groups[m_group_index.at("ungrouped")];
    for (auto& h : m_hosts) {
      bool grouped = std::any_of(h.groups.begin(), h.groups.end(),
                                 [](const std::string& g) { return g != "all" && g != "ungrouped"; });
      auto in_ungrouped = std::find(h.groups.begin(), h.groups.end(), "ungrouped");
      if (grouped && in_ungrouped != h.groups.end()) {
        h.groups.erase(in_ungrouped);
        ungrouped.hosts.erase(std::find(ungrouped.hosts.begin(), ungrouped.hosts.end(), h.name));
      } else if (!grouped && in_ungrouped == h.groups.end()) {
        h.groups.push_back("ungrouped");
        ungrouped.hosts.push_back(h.name);
      }
    }
    // Depth: the longest path from all, as Ansible's Group.depth.
    std::map<std::string, int> depth;
    std::function<int(const std::string&)> depth_of = [&](const std::string& name) -> int {
      auto it = depth.find(name);
      if (it != depth.end()) return it->second;
      int d = 0;
      for (const auto& p : m_groups[m_group_index.at(name)].parents) d = std::max(d, depth_of(p) + 1);
      depth[name] = d;
      return d;
    };

    Inventory inv;
    for (auto& h : m_hosts) {
      std::set<std::string> names;
      for (const auto& g : h.groups) {
        names.insert(g);
        for (const auto& a : ancestors(g)) names.insert(a);
      }
      std::vector<const AnsibleGroup*> ordered;
      for (const auto& n : names) ordered.push_back(&m_groups[m_group_index.at(n)]);
      std::sort(ordered.begin(), ordered.end(), [&](const AnsibleGroup* a, const AnsibleGroup* b) {
        int da = depth_of(a->name);
        int db = depth_of(b->name);
        if (da != db) return da < db;
        if (a->priority != b->priority) return a->priority < b->priority;
        return a->name < b->name;
      });
      nlohmann::json vars = nlohmann::json::object();
      for (const auto* g : ordered)
        for (const auto& [k, v] : g->vars.items()) vars[k] = v;
      for (const auto& [k, v] : h.vars.items()) vars[k] = v;
      inv.add_host(to_host(h, std::move(vars)));
    }
    for (const auto& g : m_groups) {
      Group out;
      out.name = g.name;
      out.hosts = g.hosts;
      out.children = g.children;
      out.where = g.where;
      inv.add_group(std::move(out));
    }
    inv.finish();
    return inv;
  }

private:
  Host to_host(const AnsibleHost& h, nlohmann::json vars) const {
    Host out;
    out.name = h.name;
    out.where = h.where;
    auto pick = [&](std::initializer_list<const char*> names) -> const nlohmann::json* {
      const nlohmann::json* found = nullptr;
      for (const char* n : names) {
        auto it = vars.find(n);
        if (it != vars.end() && !it->is_null()) found = &*it;
      }
      return found;
    };
    auto number = [&](const nlohmann::json* v, const char* what, int lo, int hi) -> std::optional<int> {
      if (!v) return std::nullopt;
      long long n = 0;
      bool ok = false;
      if (v->is_number_integer()) {
        n = v->get<long long>();
        ok = true;
      } else if (v->is_string()) {
        const std::string s = trim(v->get<std::string>());
        ok = !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (ok) n = std::stoll(s);
      }
      if (!ok || n < lo || n > hi)
        throw InputError(h.where, fmt::format("{} of host '{}' must be a number from {} to {}, not {}", what, h.name, lo,
                                              hi, v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
      return static_cast<int>(n);
    };
    ConnectionSettings& c = out.connection;
    if (auto* v = pick({"ansible_host", "ansible_ssh_host"})) c.address = tag_text(*v);
    c.port = number(pick({"ansible_port", "ansible_ssh_port"}), "ansible_port", 1, 65535);
    if (auto* v = pick({"ansible_user", "ansible_ssh_user"})) c.user = tag_text(*v);
    if (auto* v = pick({"ansible_private_key_file", "ansible_ssh_private_key_file"})) c.identity_file = tag_text(*v);
    c.connect_timeout = number(pick({"ansible_ssh_timeout"}), "ansible_ssh_timeout", 1, 3600);
    for (const char* args : {"ansible_ssh_common_args", "ansible_ssh_extra_args"}) {
      if (auto* v = pick({args}); v && v->is_string()) {
        if (auto jump = proxy_jump(v->get<std::string>())) c.proxy_jump = jump;
      }
    }
    if (auto* become = pick({"ansible_become"}); become && ansible_true(*become)) {
      auto* method = pick({"ansible_become_method"});
      if (!method || tag_text(*method) == "sudo") {
        auto* user = pick({"ansible_become_user"});
        c.run_as = user ? tag_text(*user) : "root";
      }
    }
    for (const auto& [k, v] : vars.items())
      if (!is_connection_var(k)) out.tags[k] = tag_text(v);
    out.vars = std::move(vars);
    return out;
  }

  // The jump host of `-J X`, `-JX`, `-o ProxyJump=X` or `-o ProxyJump X` in ssh arguments.
  static std::optional<std::string> proxy_jump(const std::string& args) {
    std::vector<std::string> words;
    for (const auto& w : split(args, ' '))
      if (!trim(w).empty()) words.push_back(trim(w));
    std::optional<std::string> out;
    for (size_t i = 0; i < words.size(); ++i) {
      std::string w = words[i];
      if (w == "-J" && i + 1 < words.size()) {
        out = words[++i];
      } else if (starts_with(w, "-J")) {
        out = w.substr(2);
      } else if (w == "-o" && i + 1 < words.size()) {
        std::string opt = words[++i];
        if (to_lower(opt) == "proxyjump" && i + 1 < words.size()) out = words[++i];
        else if (starts_with(to_lower(opt), "proxyjump=")) out = opt.substr(10);
      } else if (starts_with(to_lower(w), "-oproxyjump=")) {
        out = w.substr(12);
      }
    }
    if (out) {
      // Quotes around the value, as in -o 'ProxyJump=x'.
      std::string v = *out;
      v.erase(std::remove(v.begin(), v.end(), '\''), v.end());
      v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
      out = v;
    }
    return out;
  }

  std::string m_file;
  std::vector<AnsibleGroup> m_groups;
  std::map<std::string, size_t> m_group_index;
  std::vector<AnsibleHost> m_hosts;
  std::map<std::string, size_t> m_host_index;
};

// Expands a host pattern with an optional :port, turning range errors into located ones.
std::vector<std::string> host_names(const std::string& pattern, int& port, const Location& where) {
  HostPort hp = split_host_port(pattern);
  if (!hp.port && ends_with(trim(pattern), ":"))
    throw InputError(where, fmt::format("host pattern '{}' ends in ':' with no port after it", pattern));
  if (trim(hp.host) == "---")
    throw InputError(where, "host '---' looks like the start of a YAML document; is this file YAML?");
  port = hp.port;
  try {
    return expand_ansible_range(hp.host);
  } catch (const InputError& e) {
    throw InputError(where, e.what());
  }
}

// ---------------------------------------------------------------------------------------
// INI.

struct Token {
  std::string text;
  int column = 0;  // 1-based
};

// Splits a host line as Python's shlex.split(line, comments=True) does.
std::vector<Token> shell_words(const std::string& line, const Location& where) {
  std::vector<Token> out;
  std::string cur;
  bool in_word = false;
  bool quoted = false;
  int start = 0;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (quote == '"' && c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        cur += line[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) out.push_back(Token{cur, start});
      cur.clear();
      in_word = quoted = false;
      continue;
    }
    if (c == '#') break;
    if (!in_word) {
      in_word = true;
      start = static_cast<int>(i) + 1;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      quoted = true;
    } else if (c == '\\') {
      if (i + 1 >= line.size())
        throw InputError(Location{where.file, where.line, static_cast<int>(i) + 1}, "a '\\' at the end of the line escapes nothing");
      cur += line[++i];
    } else {
      cur += c;
    }
  }
  if (quote) throw InputError(Location{where.file, where.line, start}, fmt::format("no closing {} quote", quote));
  if (in_word || quoted) out.push_back(Token{cur, start});
  return out;
}

struct Section {
  std::string group;
  std::string kind;  // hosts, vars, children
};

// "[name]" or "[name:kind]" with an optional trailing # comment, as Ansible's section pattern.
std::optional<Section> section_header(const std::string& line) {
  if (line.empty() || line[0] != '[') return std::nullopt;
  size_t close = line.find(']');
  if (close == std::string::npos) return std::nullopt;
  std::string rest = trim(std::string_view(line).substr(close + 1));
  if (!rest.empty() && rest[0] != '#') return std::nullopt;
  std::string body = line.substr(1, close - 1);
  size_t colon = body.find(':');
  std::string name = body.substr(0, colon);
  if (name.empty()) return std::nullopt;
  for (char c : name)
    if (std::isspace(static_cast<unsigned char>(c))) return std::nullopt;
  Section s{name, "hosts"};
  if (colon != std::string::npos) {
    s.kind = body.substr(colon + 1);
    if (s.kind.empty()) return std::nullopt;
    for (char c : s.kind)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
  }
  return s;
}

} // namespace

bool is_connection_var(const std::string& name) {
  return std::find(k_connection_vars.begin(), k_connection_vars.end(), name) != k_connection_vars.end();
}

nlohmann::json python_value(const std::string& text) {
  if (auto v = parse_python_literal(text)) return *v;
  return text;
}

nlohmann::json yaml_value(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Map: {
    nlohmann::json obj = nlohmann::json::object();
    for (const auto& kv : node) obj[kv.first.Scalar()] = yaml_value(kv.second);
    return obj;
  }
  case YAML::NodeType::Sequence: {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& item : node) arr.push_back(yaml_value(item));
    return arr;
  }
  case YAML::NodeType::Scalar: {
    const std::string& tag = node.Tag();
    if (tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      if (auto v = yaml11_scalar(node.Scalar())) return *v;
    }
    return node.Scalar();
  }
  default:
    return nullptr;
  }
}

bool starts_with_ini_section(const std::string& text) {
  for (const auto& raw : split(text, '\n')) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    return section_header(line).has_value();
  }
  return false;
}

bool looks_like_yaml_inventory(const YAML::Node& root) {
  if (!root.IsMap()) return false;
  if (root["plugin"] || root["all"]) return true;
  for (const auto& kv : root) {
    const YAML::Node& body = kv.second;
    if (body.IsNull()) continue;
    if (!body.IsMap()) return false;
    for (const auto& section : body) {
      const std::string key = section.first.Scalar();
      if (std::find(k_group_sections.begin(), k_group_sections.end(), key) == k_group_sections.end()) return false;
    }
  }
  return true;
}

namespace {

// A group named in a [parent:children] section, checked once every section is read.
struct ChildRef {
  std::string parent;
  std::string child;
  Location where;
};

// One line of a [group] section: a host name or pattern, then key=value vars.
void add_ini_hosts(Model& model, const std::string& raw, const Location& line, const std::string& group) {
  auto tokens = shell_words(raw, line);
  if (tokens.empty()) return;
  Location host_at{line.file, line.line, tokens[0].column};
  int port = 0;
  auto names = host_names(tokens[0].text, port, host_at);
  std::vector<std::pair<std::string, nlohmann::json>> vars;
  for (size_t i = 1; i < tokens.size(); ++i) {
    size_t eq = tokens[i].text.find('=');
    if (eq == std::string::npos)
      throw InputError(Location{line.file, line.line, tokens[i].column},
                       fmt::format("expected key=value after the host name, got '{}'", tokens[i].text));
    vars.emplace_back(tokens[i].text.substr(0, eq), python_value(tokens[i].text.substr(eq + 1)));
  }
  model.add_hosts(names, port, vars, group, host_at);
}

// Children and vars sections may only name groups that a section declares somewhere.
void check_ini_references(Model& model, const std::set<std::string>& declared, const std::vector<ChildRef>& child_refs,
                          const std::map<std::string, Location>& vars_sections) {
  std::vector<std::string> known(declared.begin(), declared.end());
  for (const auto& ref : child_refs) {
    if (!declared.count(ref.child))
      throw InputError(ref.where,
                       fmt::format("[{}:children] names group '{}', which no [{}] or [{}:children] section declares",
                                   ref.parent, ref.child, ref.child, ref.child),
                       closest_match(ref.child, known));
    model.add_child(ref.parent, ref.child, ref.where);
  }
  for (const auto& [group, where] : vars_sections) {
    if (!declared.count(group))
      throw InputError(where, fmt::format("[{}:vars] is for group '{}', which no [{}] or [{}:children] section declares",
                                          group, group, group, group),
                       closest_match(group, known));
  }
}

} // namespace

Inventory parse_ini(const std::string& text, const std::string& file) {
  Model model(file);
  std::set<std::string> declared = {"all", "ungrouped"};
  std::map<std::string, Location> vars_sections;  // group -> first [g:vars] header
  std::vector<ChildRef> child_refs;
  Section current{"ungrouped", "hosts"};
  int line_no = 0;
  for (const auto& raw : split(text, '\n')) {
    ++line_no;
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    int indent = static_cast<int>(raw.find_first_not_of(" \t")) + 1;
    Location where{file, line_no, indent};
    if (auto s = section_header(line)) {
      static const std::vector<std::string> kinds = {"hosts", "children", "vars"};
      if (std::find(kinds.begin(), kinds.end(), s->kind) == kinds.end())
        throw InputError(where, fmt::format("section [{}:{}] has unknown type '{}' (use [{}], [{}:children] or [{}:vars])",
                                            s->group, s->kind, s->kind, s->group, s->group, s->group),
                         closest_match(s->kind, kinds));
      model.group(s->group, where);
      if (s->kind == "vars") vars_sections.emplace(s->group, where);
      else declared.insert(s->group);
      current = *s;
      continue;
    }
    if (line[0] == '[' && line.back() == ']')
      throw InputError(where, fmt::format("invalid section header '{}': a group name has no spaces, ':' or ']'", line));

    if (current.kind == "hosts") {
      add_ini_hosts(model, raw, Location{file, line_no, 0}, current.group);
    } else if (current.kind == "vars") {
      size_t eq = line.find('=');
      if (eq == std::string::npos)
        throw InputError(where, fmt::format("expected key=value in [{}:vars], got '{}'", current.group, line));
      model.set_group_var(current.group, trim(std::string_view(line).substr(0, eq)),
                          python_value(trim(std::string_view(line).substr(eq + 1))), where);
    } else {
      std::string name = line;
      size_t hash = name.find('#');
      if (hash != std::string::npos) name = trim(std::string_view(name).substr(0, hash));
      bool ok = !name.empty() && name.find_first_of(":] \t") == std::string::npos;
      if (!ok) throw InputError(where, fmt::format("expected a group name in [{}:children], got '{}'", current.group, line));
      child_refs.push_back(ChildRef{current.group, name, where});
    }
  }
  check_ini_references(model, declared, child_refs, vars_sections);
  return model.build();
}

namespace {

class YamlReader {
public:
  YamlReader(Model& model, std::string file) : m_model(model), m_file(std::move(file)) {}

  Location at(const YAML::Node& node) const {
    return yaml_location(m_file, node);
  }

  std::string key_text(const YAML::Node& key) const {
    if (!key.IsScalar()) throw InputError(at(key), "a name here must be a plain string");
    return key.Scalar();
  }

  void group(const std::string& name, const YAML::Node& key, const YAML::Node& body) {
    m_model.group(name, at(key));
    if (!body || body.IsNull()) return;
    if (!body.IsMap())
      throw InputError(at(body), fmt::format("group '{}' must be a mapping with hosts, children or vars", name));
    for (const auto& kv : body) {
      std::string section = key_text(kv.first);
      if (std::find(k_group_sections.begin(), k_group_sections.end(), section) == k_group_sections.end())
        throw InputError(at(kv.first),
                         fmt::format("unknown key '{}' in group '{}' (allowed: hosts, children, vars)", section, name),
                         closest_match(section, k_group_sections));
      const YAML::Node& value = kv.second;
      if (value.IsNull()) continue;
      // A single name is allowed where a mapping is expected, as in Ansible.
      std::vector<std::pair<YAML::Node, YAML::Node>> entries;
      if (value.IsScalar()) {
        entries.emplace_back(value, YAML::Node());
      } else if (value.IsMap()) {
        for (const auto& e : value) entries.emplace_back(e.first, e.second);
      } else {
        throw InputError(at(value), fmt::format("'{}' of group '{}' must be a mapping", section, name));
      }
      for (const auto& [k, v] : entries) {
        std::string entry = key_text(k);
        if (section == "vars") {
          m_model.set_group_var(name, entry, yaml_value(v), at(k));
        } else if (section == "children") {
          group(entry, k, v);
          m_model.add_child(name, entry, at(k));
        } else {
          host(name, entry, k, v);
        }
      }
    }
  }

  void host(const std::string& group_name, const std::string& pattern, const YAML::Node& key, const YAML::Node& body) {
    int port = 0;
    auto names = host_names(pattern, port, at(key));
    std::vector<std::pair<std::string, nlohmann::json>> vars;
    if (body && !body.IsNull()) {
      if (!body.IsMap()) throw InputError(at(body), fmt::format("the vars of host '{}' must be a mapping", pattern));
      for (const auto& kv : body) vars.emplace_back(key_text(kv.first), yaml_value(kv.second));
    }
    m_model.add_hosts(names, port, vars, group_name, at(key));
  }

private:
  Model& m_model;
  std::string m_file;
};

} // namespace

Inventory parse_yaml(const YAML::Node& root, const std::string& file) {
  Model model(file);
  YamlReader reader(model, file);
  if (!root.IsMap()) throw InputError(reader.at(root), "an Ansible YAML inventory must be a mapping of groups");
  if (auto plugin = root["plugin"])
    throw InputError(reader.at(plugin), fmt::format("this is an inventory plugin configuration (plugin: {}); sshm reads "
                                                    "static inventories: run `ansible-inventory -i FILE --list -y` and "
                                                    "give sshm its output",
                                                    plugin.IsScalar() ? plugin.Scalar() : "?"));
  for (const auto& kv : root) reader.group(reader.key_text(kv.first), kv.first, kv.second);
  return model.build();
}

} // namespace sshm::fleet::ansible
