#include "fleet/inventory.hpp"

#include "fleet/ansible.hpp"
#include "fleet/targets.hpp"
#include "util/bounded_parse.hpp"
#include "util/safe_path.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace sshm::fleet {

namespace {

// The native inventory's reader: sshm's own vocabulary, so maps are "a mapping".
class Reader : public YamlReader {
public:
  explicit Reader(std::string file) : YamlReader(std::move(file), "a mapping") {}

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a string", what));
    return node.Scalar();
  }

  int integer(const YAML::Node& node, const std::string& what, int lo, int hi) const {
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a number", what));
    const std::string& s = node.Scalar();
    int value = 0;
    size_t used = 0;
    try {
      value = std::stoi(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size()) fail(node, fmt::format("{} must be a whole number, not '{}'", what, s));
    if (value < lo || value > hi) fail(node, fmt::format("{} must be between {} and {}, not {}", what, lo, hi, value));
    return value;
  }

  std::vector<std::string> string_list(const YAML::Node& node, const std::string& what) const {
    if (node.IsNull()) return {};
    if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(scalar(item, what + " entry"));
    return out;
  }

  nlohmann::json to_json(const YAML::Node& node) const {
    switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = to_json(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : node) arr.push_back(to_json(item));
      return arr;
    }
    case YAML::NodeType::Scalar:
      return node.Scalar();
    default:
      return nullptr;
    }
  }

  // Reads the connection keys shared by `defaults` and hosts into `c`.
  bool connection_key(const std::string& key, const YAML::Node& value, ConnectionSettings& c) const {
    if (key == "address") c.address = scalar(value, "address");
    else if (key == "port") c.port = integer(value, "port", 1, 65535);
    else if (key == "user") c.user = scalar(value, "user");
    else if (key == "identity_file") c.identity_file = scalar(value, "identity_file");
    else if (key == "proxy_jump") c.proxy_jump = scalar(value, "proxy_jump");
    else if (key == "run_as") c.run_as = scalar(value, "run_as");
    else if (key == "connect_timeout") c.connect_timeout = integer(value, "connect_timeout", 1, 3600);
    else return false;
    return true;
  }

};

const std::vector<std::string> k_top_keys = {"defaults", "hosts", "groups"};
const std::vector<std::string> k_default_keys = {"user", "port", "identity_file", "proxy_jump",
                                                 "run_as", "connect_timeout", "vars", "platform"};
const std::vector<std::string> k_host_keys = {"address", "port", "user", "identity_file", "proxy_jump", "run_as",
                                              "connect_timeout", "tags", "vars", "platform"};
const std::vector<std::string> k_group_keys = {"hosts", "match", "children"};
const std::vector<std::string> k_platforms = {"Linux", "MacOS", "Windows"};

void merge_defaults(ConnectionSettings& c, const ConnectionSettings& d) {
  if (!c.port) c.port = d.port;
  if (!c.user) c.user = d.user;
  if (!c.identity_file) c.identity_file = d.identity_file;
  if (!c.proxy_jump) c.proxy_jump = d.proxy_jump;
  if (!c.run_as) c.run_as = d.run_as;
  if (!c.connect_timeout) c.connect_timeout = d.connect_timeout;
}

// What `defaults` gives every host that does not say otherwise.
struct HostDefaults {
  ConnectionSettings connection;
  nlohmann::json vars = nlohmann::json::object();
  std::string platform = "Linux";
};

HostDefaults read_defaults(const Reader& r, const YAML::Node& d) {
  HostDefaults defaults;
  if (!d || d.IsNull()) return defaults;
  r.expect_map(d, "defaults");
  r.check_keys(d, k_default_keys, "defaults");
  for (const auto& kv : d) {
    std::string key = kv.first.as<std::string>();
    if (key == "vars") {
      r.expect_map(kv.second, "vars");
      defaults.vars = r.to_json(kv.second);
    } else if (key == "platform") {
      defaults.platform = r.scalar(kv.second, "platform");
    } else {
      r.connection_key(key, kv.second, defaults.connection);
    }
  }
  return defaults;
}

// A host's keys beyond the connection ones: tags, vars (on top of the defaults' vars), platform.
void read_host_key(const Reader& r, const std::string& key, const YAML::Node& value, Host& h) {
  if (key == "tags") {
    if (value.IsNull()) return;
    r.expect_map(value, "tags");
    for (const auto& t : value) h.tags[r.scalar(t.first, "tag key")] = r.scalar(t.second, "tag value");
  } else if (key == "vars") {
    r.expect_map(value, "vars");
    for (const auto& v : value) h.vars[v.first.as<std::string>()] = r.to_json(v.second);
  } else if (key == "platform") {
    h.platform = r.scalar(value, "platform");
    if (std::find(k_platforms.begin(), k_platforms.end(), h.platform) == k_platforms.end())
      r.fail(value, fmt::format("unknown platform '{}' (use Linux, MacOS or Windows)", h.platform),
             closest_match(h.platform, k_platforms));
  }
}

Host read_host(const Reader& r, const YAML::Node& name, const YAML::Node& body, const HostDefaults& defaults,
               const Inventory& inv) {
  Host h;
  h.name = r.scalar(name, "host name");
  h.where = r.at(name);
  h.vars = defaults.vars;
  h.platform = defaults.platform;
  if (const Host* first = inv.find(h.name))
    r.fail(name, fmt::format("host '{}' is defined twice (first at {})", h.name, first->where.str()));
  if (!body.IsNull()) {
    r.expect_map(body, fmt::format("host '{}'", h.name));
    r.check_keys(body, k_host_keys, fmt::format("host '{}'", h.name));
    for (const auto& hk : body) {
      std::string key = hk.first.as<std::string>();
      if (!r.connection_key(key, hk.second, h.connection)) read_host_key(r, key, hk.second, h);
    }
  }
  merge_defaults(h.connection, defaults.connection);
  return h;
}

// A group's body; the hosts it lists must be defined (hosts come before groups).
Group read_group(const Reader& r, const YAML::Node& name, const YAML::Node& body, const Inventory& inv) {
  Group g;
  g.name = r.scalar(name, "group name");
  g.where = r.at(name);
  if (inv.groups().count(g.name)) r.fail(name, fmt::format("group '{}' is defined twice", g.name));
  if (body.IsNull()) return g;
  r.expect_map(body, fmt::format("group '{}'", g.name));
  r.check_keys(body, k_group_keys, fmt::format("group '{}'", g.name));
  if (body["hosts"]) {
    g.hosts = r.string_list(body["hosts"], "hosts");
    size_t i = 0;
    for (const auto& host : g.hosts) {
      if (!inv.find(host))
        r.fail(body["hosts"][i], fmt::format("group '{}' lists unknown host '{}'", g.name, host),
               closest_match(host, inv.host_names()));
      ++i;
    }
  }
  if (body["match"]) g.match = r.scalar(body["match"], "match");
  if (body["children"]) g.children = r.string_list(body["children"], "children");
  return g;
}

// Children must name groups; checked once every group is read, as a child may come later.
void check_children(const Reader& r, const YAML::Node& groups, const Inventory& inv) {
  std::vector<std::string> group_names;
  for (const auto& [name, g] : inv.groups()) group_names.push_back(name);
  for (const auto& kv : groups) {
    const auto& g = inv.groups().at(kv.first.as<std::string>());
    for (size_t i = 0; i < g.children.size(); ++i) {
      if (!inv.groups().count(g.children[i]))
        r.fail(kv.second["children"][i], fmt::format("group '{}' has unknown child group '{}'", g.name, g.children[i]),
               closest_match(g.children[i], group_names));
    }
  }
}

} // namespace

Inventory Inventory::load(const std::string& path, InventoryFormat format) {
  return parse(bounded::read_file(path, "inventory file"), path, format);
}

InventoryFormat Inventory::detect_format(const std::string& text) {
  std::optional<YAML::Node> unused;
  return detect_format(text, unused);
}

InventoryFormat Inventory::detect_format(const std::string& text, std::optional<YAML::Node>& loaded) {
  if (ansible::starts_with_ini_section(text)) return InventoryFormat::ansible_ini;
  // The first line that is not blank or a comment, to tell host lines from YAML.
  std::string first;
  for (const auto& raw : split(text, '\n')) {
    std::string line = trim(raw);
    if (!line.empty() && line[0] != '#' && line[0] != ';') {
      first = line;
      break;
    }
  }
  std::string first_word = first.substr(0, first.find_first_of(" \t"));
  bool yaml_start = ends_with(first_word, ":") || first_word == "-" || first_word == "---" || first[0] == '{';
  YAML::Node root;
  try {
    root = bounded::load_yaml(text, "inventory");
  } catch (const YAML::Exception&) {
    return yaml_start ? InventoryFormat::native : InventoryFormat::ansible_ini;
  }
  loaded = root;
  if (root.IsScalar()) return yaml_start ? InventoryFormat::native : InventoryFormat::ansible_ini;
  if (!root.IsMap()) return InventoryFormat::native;
  bool all_native = true;
  for (const auto& kv : root) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(k_top_keys.begin(), k_top_keys.end(), key) == k_top_keys.end()) all_native = false;
  }
  if (all_native) return InventoryFormat::native;
  if (ansible::looks_like_yaml_inventory(root)) return InventoryFormat::ansible_yaml;
  // An INI host line can read as a YAML mapping ('w1 note="a: b"'); its first word has no ':'.
  return yaml_start ? InventoryFormat::native : InventoryFormat::ansible_ini;
}

Inventory Inventory::parse(const std::string& text, const std::string& file_name, InventoryFormat format) {
  // Limits first, with the file's name, so detection and the readers never meet a hostile
  // text. Text that is not YAML at all is left to detection and the INI reader.
  bounded::check_size(text, file_name);
  if (format != InventoryFormat::ansible_ini) {
    try {
      bounded::check_yaml(text, file_name);
    } catch (const YAML::Exception&) {
    }
  }
  std::optional<YAML::Node> root;
  if (format == InventoryFormat::automatic) format = detect_format(text, root);
  Inventory inv;
  try {
    if (format == InventoryFormat::ansible_ini) {
      inv = ansible::parse_ini(text, file_name);
    } else if (format == InventoryFormat::ansible_yaml) {
      inv = ansible::parse_yaml(root ? *root : bounded::load_yaml(text, file_name), file_name);
    } else {
      inv = parse_native(root ? *root : load_yaml_input(text, file_name), file_name);
    }
  } catch (const YAML::Exception& e) {
    // A syntax error, or a node of the wrong kind where a reader converts (a list as a key).
    throw InputError(Location{file_name, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  inv.m_source = file_name;
  return inv;
}

Inventory Inventory::parse_native(const YAML::Node& root, const std::string& file_name) {
  Reader r(file_name);
  Inventory inv;
  inv.m_source = file_name;
  if (root.IsNull()) return inv;
  r.expect_map(root, "the inventory");
  r.check_keys(root, k_top_keys, "the inventory");

  HostDefaults defaults = read_defaults(r, root["defaults"]);
  if (auto hosts = root["hosts"]; hosts && !hosts.IsNull()) {
    r.expect_map(hosts, "hosts");
    for (const auto& kv : hosts) inv.add_host(read_host(r, kv.first, kv.second, defaults, inv));
  }
  if (auto groups = root["groups"]; groups && !groups.IsNull()) {
    r.expect_map(groups, "groups");
    for (const auto& kv : groups) inv.add_group(read_group(r, kv.first, kv.second, inv));
    check_children(r, groups, inv);
  }
  inv.finish();
  return inv;
}

const Host* Inventory::find(const std::string& name) const {
  auto it = m_index.find(name);
  return it == m_index.end() ? nullptr : &m_hosts[it->second];
}

std::vector<std::string> Inventory::host_names() const {
  std::vector<std::string> out;
  out.reserve(m_hosts.size());
  for (const auto& h : m_hosts) out.push_back(h.name);
  return out;
}

void Inventory::add_host(Host host) {
  // Host names become directories of the output layout and parts of S3 keys.
  if (std::string problem = name_problem(host.name); !problem.empty())
    throw InputError(host.where, fmt::format("host name '{}' is not valid: {}", printable_name(host.name), problem));
  if (m_index.count(host.name))
    throw InputError(host.where, fmt::format("host '{}' is defined twice", host.name));
  m_index[host.name] = m_hosts.size();
  m_hosts.push_back(std::move(host));
}

void Inventory::add_group(Group group) {
  std::string name = group.name;
  m_groups[name] = std::move(group);
}

void Inventory::finish() {
  // Direct membership: static lists and match queries.
  std::map<std::string, std::set<std::string>> members;
  for (const auto& [name, g] : m_groups) {
    auto& set = members[name];
    for (const auto& h : g.hosts) set.insert(h);
    if (!g.match.empty()) {
      for (const Host* h : match_hosts(*this, g.match)) set.insert(h->name);
    }
  }
  // A host of a child group belongs to the parent too; children may not form a cycle.
  std::map<std::string, int> state;  // 0 new, 1 visiting, 2 done
  std::function<const std::set<std::string>&(const std::string&)> closure =
      [&](const std::string& name) -> const std::set<std::string>& {
    auto& g = m_groups[name];
    if (state[name] == 1) throw InputError(g.where, fmt::format("group '{}' is its own descendant via children", name));
    if (state[name] == 2) return members[name];
    state[name] = 1;
    for (const auto& child : g.children) {
      const auto& sub = closure(child);
      members[name].insert(sub.begin(), sub.end());
    }
    state[name] = 2;
    return members[name];
  };
  for (const auto& [name, g] : m_groups) closure(name);
  for (auto& h : m_hosts) h.groups.clear();
  for (const auto& [name, set] : members) {
    for (const auto& host : set) {
      auto it = m_index.find(host);
      if (it != m_index.end()) m_hosts[it->second].groups.push_back(name);
    }
  }
}

} // namespace sshm::fleet
