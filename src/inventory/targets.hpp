#pragma once
// Target selection: turns `-t` expressions into hosts, as SSM's Targets do.
//   names, a,b,c, globs (web-*), tag:Key=v1,v2, tag-key:Key, group:NAME, all,
//   Key=tag:Env,Values=prod,stage, Key=InstanceIds,Values=a,b, Key=tag-key,Values=K,
//   Key=resource-groups:Name,Values=G, and "-" (names on stdin, one a line).
// Values inside one expression are OR'd; several expressions are AND'd; excludes subtract.
#include "inventory/inventory.hpp"

#include <istream>
#include <string>
#include <vector>

namespace sshm::inventory {

struct TargetSpec {
  std::vector<std::string> targets;   // each -t, AND'd
  std::vector<std::string> excludes;  // each --exclude, subtracted
};

// The selected hosts in inventory order. Throws InputError for an unknown name (with a
// suggestion), a malformed expression, or an empty selection ("no host matches ...").
std::vector<const Host*> select_hosts(const Inventory& inv, const TargetSpec& spec, std::istream* stdin_names);

// Whether one host matches one expression (used for groups with `match`).
bool host_matches(const Inventory& inv, const Host& host, const std::string& expression);

} // namespace sshm::inventory
