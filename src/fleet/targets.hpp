#pragma once
// Target selection: turns `-t` expressions into hosts. One parser for every form:
//   SSM:          names, a,b,c, globs (web-*), tag:Key=v1,v2, tag-key:Key, group:NAME, all,
//                 Key=tag:Env,Values=prod,stage, Key=InstanceIds,Values=a,b, Key=tag-key,Values=K,
//                 Key=resource-groups:Name,Values=G, and "-" (names on stdin, one a line);
//   Ansible:      web:&prod:!db (':' or ',' union, ':&' intersection, ':!' exclusion, applied
//                 unions first, then intersections, then exclusions), bare group names,
//                 web* (globs over host and group names), ~regex, web[0], web[0:2];
//   ClusterShell: web[01-40], web[01-05,10], rack[1-2]-n[1-3], @group, @*.
// A bare word that is both a host and a group is the host when it is unioned and the group
// after & or ! (as Ansible resolves it). Several expressions are AND'd; excludes subtract.
// `sshm help targets` (cli/help.cpp) is the user's reference.
#include "fleet/inventory.hpp"

#include <istream>
#include <string>
#include <vector>

namespace sshm::fleet {

struct TargetSpec {
  std::vector<std::string> targets;   // each -t, AND'd
  std::vector<std::string> excludes;  // each --exclude, subtracted
};

// The selected hosts in inventory order. Throws InputError for an unknown name (with a
// suggestion), a malformed expression, or an empty selection ("no host matches ...").
std::vector<const Host*> select_hosts(const Inventory& inv, const TargetSpec& spec, std::istream* stdin_names);

// Whether one host matches one expression (used for groups with `match`).
bool host_matches(const Inventory& inv, const Host& host, const std::string& expression);

// Every host one expression selects, in inventory order; an empty result is not an error
// (used for groups with `match`, evaluated once for the whole inventory).
std::vector<const Host*> match_hosts(const Inventory& inv, const std::string& expression);

} // namespace sshm::fleet
