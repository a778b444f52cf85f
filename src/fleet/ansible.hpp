#pragma once
// Ansible inventories (INI and YAML), read as `ansible-inventory -i FILE --list` reads them:
// the same hosts, groups (with children, `all` and `ungrouped`) and merged host vars, with
// Ansible's precedence (host vars over group vars, a deeper child group over its parents,
// then ansible_group_priority, then group name; `all` lowest).
//
// Connection settings taken from the merged vars (the ansible_ssh_* spelling wins when both
// are set, as in Ansible's ssh connection plugin):
//   ansible_host / ansible_ssh_host                        -> address
//   ansible_port / ansible_ssh_port (or host:port)         -> port
//   ansible_user / ansible_ssh_user                        -> user
//   ansible_private_key_file / ansible_ssh_private_key_file -> identity_file
//   ansible_ssh_timeout                                    -> connect_timeout
//   -J X or -o ProxyJump=X in ansible_ssh_common_args / ansible_ssh_extra_args -> proxy_jump
//   ansible_become true (method unset or sudo)             -> run_as = ansible_become_user or root
// Every other var becomes a tag (strings as they are, other values JSON-encoded); all vars,
// connection ones included, stay in Host::vars.
#include "fleet/inventory.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <yaml-cpp/yaml.h>

namespace sshm::fleet::ansible {

// Vars that become connection settings and so are not tags.
bool is_connection_var(const std::string& name);

// Whether the first line that is not blank or a comment is an INI section header ([web],
// [web:vars], [web:children]).
bool starts_with_ini_section(const std::string& text);

// Whether a YAML mapping has Ansible's shape rather than sshm's native one (see
// Inventory::detect_format for the whole rule).
bool looks_like_yaml_inventory(const YAML::Node& root);

// Reads an INI inventory. Throws InputError with file:line:col.
Inventory parse_ini(const std::string& text, const std::string& file);
// Reads a YAML inventory from its parsed root. Throws InputError with file:line:col.
Inventory parse_yaml(const YAML::Node& root, const std::string& file);

// An INI value as Ansible reads it: a Python literal (5, 1.5, True, None, 'a', [1, 'x'],
// {'k': 1}) when it is one, else the text itself.
nlohmann::json python_value(const std::string& text);
// A YAML node with YAML 1.1 typing, as Ansible's loader (PyYAML) types plain scalars:
// yes/no/on/off are booleans, 017 is octal, 1e3 is a string.
nlohmann::json yaml_value(const YAML::Node& node);

} // namespace sshm::fleet::ansible
