#pragma once
// src/fleet owns the fleet as the user describes it: hosts, groups and their vars from
// sshm's native YAML inventory (inventory) or an Ansible INI/YAML one (ansible, with the
// Python literals of INI values in python_literal), host name ranges like web[01:20]
// (ranges), and selecting hosts by name, group, tag or pattern (targets). It knows nothing
// of SSH or of what runs on the hosts.
//
// The fleet as the user describes it: sshm's native YAML inventory or an Ansible one.
#include "util/error.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace sshm::fleet {

// Connection settings an inventory may give; unset ones fall back to the ssh config.
struct ConnectionSettings {
  std::optional<std::string> address;
  std::optional<int> port;
  std::optional<std::string> user;
  std::optional<std::string> identity_file;
  std::optional<std::string> proxy_jump;
  std::optional<std::string> run_as;
  std::optional<int> connect_timeout;
};

struct Host {
  std::string name;  // the ID used in history, S3 keys and output
  ConnectionSettings connection;  // defaults already applied
  std::map<std::string, std::string> tags;
  nlohmann::json vars = nlohmann::json::object();
  std::string platform = "Linux";  // SSM platformType: Linux, MacOS, Windows
  std::vector<std::string> groups;  // every group the host belongs to, directly or via children
  Location where;  // where the host was defined
};

// A group: static members, a tag query (a resource group), and child groups.
struct Group {
  std::string name;
  std::vector<std::string> hosts;
  std::string match;  // a target expression such as "tag:Env=prod"; "" for none
  std::vector<std::string> children;
  Location where;
};

// Which reader an inventory file needs.
enum class InventoryFormat { automatic, native, ansible_ini, ansible_yaml };

class Inventory {
public:
  // Reads an inventory in `format`; `automatic` detects it (see detect_format). Throws
  // InputError with file:line:col.
  static Inventory load(const std::string& path, InventoryFormat format = InventoryFormat::automatic);
  static Inventory parse(const std::string& text, const std::string& file_name,
                         InventoryFormat format = InventoryFormat::automatic);
  // The format of an inventory's text, decided in this order:
  //   1. the first line that is not blank or a #/; comment is an INI section header such as
  //      [web] or [web:vars] -> Ansible INI;
  //   2. the text is not YAML, or YAML that is a single scalar (a list of host lines such as
  //      "web1 ansible_host=10.0.0.1") and its first line does not start like YAML
  //      ("key:", "- ", "---") -> Ansible INI;
  //   3. a YAML mapping whose top-level keys are all among defaults, hosts, groups -> native;
  //   4. a YAML mapping with a top-level `all` or `plugin` key, or whose every top-level
  //      value is empty or a mapping with only hosts/children/vars keys -> Ansible YAML;
  //   5. anything else -> native (whose reader then names the unknown key), unless the
  //      first line does not start like YAML (an INI host line with "a: b" in a value)
  //      -> Ansible INI.
  static InventoryFormat detect_format(const std::string& text);
  // An inventory with no hosts (used when no file exists).
  Inventory() = default;

  const std::vector<Host>& hosts() const { return m_hosts; }
  const std::map<std::string, Group>& groups() const { return m_groups; }
  const Host* find(const std::string& name) const;
  std::vector<std::string> host_names() const;
  const std::string& source() const { return m_source; }

  // Adds a host (used by other inventory formats); throws on a duplicate.
  void add_host(Host host);
  void add_group(Group group);
  // Computes Host::groups from static lists, children and match queries.
  void finish();

private:
  // detect_format, keeping the YAML it loaded (when it did) in `root`, so a file is parsed once.
  static InventoryFormat detect_format(const std::string& text, std::optional<YAML::Node>& root);
  static Inventory parse_native(const YAML::Node& root, const std::string& file_name);

  std::vector<Host> m_hosts;
  std::map<std::string, size_t> m_index;
  std::map<std::string, Group> m_groups;
  std::string m_source;
};

} // namespace sshm::fleet
