#pragma once
// Host name ranges: Ansible's inventory ranges (www[01:50].example.com, db-[a:f],
// node[1:10:2]) and ClusterShell's node sets (web[01-40], web[01-05,10], rack[1-2]-n[1-3]).
#include <string>
#include <string_view>
#include <vector>

namespace sshm::fleet {

// Expands every [begin:end] or [begin:end:step] range in an Ansible host pattern, as
// ansible's expand_hostname_range does: numeric ranges keep the zero padding of `begin`
// (which must then be as long as `end`), one-letter ranges run over a-zA-Z, several ranges
// multiply. A pattern without '[' is returned as is. Throws InputError (no location) for a
// malformed range.
std::vector<std::string> expand_ansible_range(const std::string& pattern);

// Splits an Ansible host pattern into the host part and an optional port, as Ansible's
// parse_address does: "host:22", "www[01:03].x:22", "[::1]:22". Returns port 0 when none.
struct HostPort {
  std::string host;
  int port = 0;
};
HostPort split_host_port(const std::string& pattern);

// Whether `text` is a ClusterShell node set with at least one numeric bracket (web[01-40],
// web[1,3-5], n[1-9/2]) and no shell glob characters outside the brackets.
bool is_nodeset(std::string_view text);

// The names a ClusterShell node set stands for, in order: web[01-03] gives web01 web02 web03;
// the padding of a range is the width of its lower bound. Throws InputError (no location) for
// a malformed set or one of more than a million names.
std::vector<std::string> expand_nodeset(std::string_view text);

// The reverse, for display as dshbak and clush show groups: names that differ only in their
// last number fold into one bracket (host002 host004 host005 host006 -> host[002,004-006]),
// zero padding kept; other names stay as they are; the parts are joined by ','.
std::string fold_nodeset(const std::vector<std::string>& names);

} // namespace sshm::fleet
