// sshm help TOPIC: references too long for --help (target expressions, inventory formats).
#include "cli/common.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"

#include <fmt/format.h>
#include <map>

namespace sshm::cli {

namespace {

constexpr const char* k_targets = R"(Targets: which hosts -t, --exclude and groups' `match` select

Every -t is one expression; several -t are AND'd; each --exclude is subtracted.
Names that are neither a host nor a group are errors (with a suggestion); a glob or
query that matches nothing is fine until the whole selection is empty, which is an error.

SSM forms
  web-01                          one host (or, if no host has that name, a group)
  web-01,db-01                    several (a union)
  'web-*'                         a glob over host and group names (* ? [abc] [!a])
  all   *   @*                    every host
  tag:Env=prod                    hosts whose tag Env is prod
  tag:Env=prod,stage              ... prod or stage (values are OR'd)
  tag-key:'Patch Group'           hosts that have the tag key
  group:web                       the hosts of group web and its children
  Key=tag:Env,Values=prod,stage   SSM's Targets syntax (whole expression only), also
  Key=tag-key,Values=K            Key=InstanceIds,Values=a,b and
  Key=resource-groups:Name,Values=G
  -                               host names read from stdin, one a line (# comments)

Ansible patterns (as `ansible --list-hosts PATTERN`)
  web:db   web,db                 union (':' or ',')
  web:&prod                       intersection: in web and in prod
  web:!db                         exclusion: in web but not in db
  'web:&prod:!db'                 all unions first, then every &, then every ! (Ansible's
                                  order, wherever they are written); only & and ! terms
                                  start from all hosts ('!db' = all but db)
  web                             a bare word: a host of that name, else a group
  '!web'  '&web'                  after ! or &, a bare word that is both a host and a group
                                  means the group (Ansible resolves it the same way)
  'web*'                          every group the glob names (all their hosts) plus every
                                  host it names
  '~web\d+'                       a regular expression matched from the start of group and
                                  host names (ECMAScript syntax, close to Python's)
  'web[0]'  'web[-1]'             the first / last host of group web (Ansible subscripts,
  'web[0:2]'  'web[1:]'           0-based, end included) when web names a group or is a
                                  glob; write web[1:3], not Ansible's older web[1-3], which
                                  is a ClusterShell node set here

ClusterShell node sets (as `nodeset -e`)
  'web[01-40]'                    web01 ... web40 (padding from the lower bound)
  'web[01-05,10]'                 web01 ... web05 and web10
  'rack[1-2]-n[1-3]'              rack1-n1 ... rack2-n3 (every combination)
  'n[1-9/2]'                      n1 n3 n5 n7 n9
  @web                            the hosts of group web (ClusterShell's group syntax)
  Each name of a node set must be a host (or a group); a missing one is an error.

Combining forms
  tag:, tag-key: take everything up to the next :& :! ,& or ,! (their values may hold
  commas and colons), so put them last in a union or after & / !:
      -t 'web:&tag:Env=prod'   -t 'group:web:!tag:Role=db'   -t 'db01,tag:Env=stage'
  Other terms end at the next ':' or ',' outside [], {} and (); a whole expression that is
  exactly a host's name (an IPv6 address, 'db:5432') is that host.

Examples
  sshm hosts list -t 'web:&prod:!db'
  sshm hosts list -t 'web[01-10]' --exclude web07
  sshm run -t tag:Env=prod -t tag:Role=web ...        (AND of two expressions)
  grep -l stale hosts.txt | sshm exec -t - 'uptime'
)";

constexpr const char* k_inventory = R"(Inventory: what -i FILE may be

sshm reads its own YAML inventory and Ansible inventories (INI or YAML) as they are.
The format is detected from the content, in this order:
  1. the first line that is not blank or a #/; comment is an INI section header such as
     [web], [web:vars] or [web:children]                          -> Ansible INI
  2. text that is not YAML, or is a single YAML scalar, and whose first line does not
     start like YAML ("key:", "- ", "---"), e.g. "web1 ansible_host=10.0.0.1"  -> Ansible INI
  3. a YAML mapping whose top-level keys are all among defaults, hosts, groups -> native
  4. a YAML mapping with a top-level `all` (or `plugin`) key, or whose every top-level
     value is empty or a mapping of only hosts/children/vars                  -> Ansible YAML
  5. anything else -> native, whose reader names the unknown key (or Ansible INI when
     the first line does not start like YAML).

Ansible inventories give the same hosts, groups (children, all, ungrouped) and vars as
`ansible-inventory -i FILE --list`: ranges www[01:50].x, db-[a:f], n[1:10:2]; host:port;
INI inline vars (host a=1 b="x y") read as Python literals; YAML 1.1 scalars; vars merged
with host vars over group vars, a deeper child group over its parents, then
ansible_group_priority, then group name, `all` lowest.
Connection settings (the ansible_ssh_* spelling wins when both are set):
  ansible_host, ansible_ssh_host                         address
  ansible_port, ansible_ssh_port, host:port              port
  ansible_user, ansible_ssh_user                         user
  ansible_private_key_file, ansible_ssh_private_key_file identity file
  ansible_ssh_timeout                                    connect timeout
  -J X / -o ProxyJump=X in ansible_ssh_common_args or ansible_ssh_extra_args  proxy jump
  ansible_become true (method unset or sudo)             run as ansible_become_user (root)
Every other var becomes a tag (strings as they are, other values as JSON); all vars are
kept as the host's vars (`sshm hosts list -o json`). Unlike Ansible, an unknown key in a
YAML group (not hosts, children or vars) is an error, not a warning; inventory plugin
configurations (plugin: ...) are not read: give sshm `ansible-inventory --list -y` output.
)";

const std::map<std::string, const char*>& topics() {
  static const std::map<std::string, const char*> k_topics = {{"targets", k_targets}, {"inventory", k_inventory}};
  return k_topics;
}

int run_help(const std::string& topic) {
  if (topic.empty()) {
    std::string text = "Help topics (sshm help TOPIC):\n";
    text += "  targets     every -t form: SSM tags, Ansible patterns, ClusterShell node sets\n";
    text += "  inventory   native and Ansible inventories, and how the format is detected\n";
    SyncOut::instance().out(text);
    return k_exit_ok;
  }
  auto it = topics().find(topic);
  if (it == topics().end()) {
    std::vector<std::string> names;
    for (const auto& [name, text] : topics()) names.push_back(name);
    throw InputError(fmt::format("no help topic '{}' (topics: targets, inventory)", topic), closest_match(topic, names));
  }
  SyncOut::instance().out(it->second);
  return k_exit_ok;
}

} // namespace

void setup_help(CLI::App& app, GlobalOptions& /*global*/, Action& action) {
  auto topic = std::make_shared<std::string>();
  auto* help = app.add_subcommand("help", "Reference topics: sshm help targets, sshm help inventory");
  help->add_option("topic", *topic, "targets or inventory");
  help->callback([&action, topic] { action = [topic] { return run_help(*topic); }; });
}

} // namespace sshm::cli
