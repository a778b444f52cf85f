// sshm help TOPIC: references too long for --help (target expressions, inventory formats).
#include "cli/common.hpp"
#include "cli/help.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/terminal_safe.hpp"

#include <fmt/format.h>
#include <algorithm>

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

constexpr const char* k_output = R"(Output: what -o gives, and where it goes

  -o text    for people (the default): columns as wide as their data; host output and names
             are made terminal-safe (`table` is the same as text)
  -o json    one JSON document; where sshm answers what the AWS CLI answers, the AWS API's
             shape ({"Commands": [...]}, list-command-invocations, get-command-invocation)
  -o jsonl   one JSON object per line, always: a list prints one element per line
  -o yaml    the same data as block YAML
Keys are PascalCase, except in `hosts show`, which names ssh's own settings.
Also settable with SSHM_OUTPUT or `output:` in config.yaml (sshm help config).
Progress and colour are for terminals only: --no-progress turns the progress line off;
--color always|never|auto (the default: a terminal only), --no-color or NO_COLOR set to
anything turn colour off; pipes get neither unless --color always.
Full outputs of every host stay in the state directory (sshm commands output ID HOST);
--output-dir, --s3-bucket, --cloudwatch and --notify copy them elsewhere.
)";

constexpr const char* k_config = R"(Config: where settings come from

Each global setting is taken from, in order: the flag, the environment, the config file
$XDG_CONFIG_HOME/sshm/config.yaml (~/.config/sshm/config.yaml), the built-in default.

  flag                 environment            config.yaml key
  -i, --inventory      SSHM_INVENTORY         inventory
  -F, --ssh-config     SSHM_SSH_CONFIG        ssh_config
  --state-dir          SSHM_STATE_DIR         state_dir
  -o, --output         SSHM_OUTPUT            output
  --host-key-policy    SSHM_HOST_KEY_POLICY   host_key_policy
  --params-backend     SSHM_PARAMS_BACKEND    params_backend
  --no-color           NO_COLOR
  (none)                                      log: syslog (where `sshm tick` logs)

An unknown key in config.yaml is warned about, with the key it was probably meant to be.

Files
  inventory   -i, SSHM_INVENTORY, `inventory:`, else ./inventory.yaml, else
              $XDG_CONFIG_HOME/sshm/inventory.yaml (sshm help inventory)
  ssh config  -F, SSHM_SSH_CONFIG, else ~/.ssh/config then /etc/ssh/ssh_config, read as
              `ssh -G` reads it; every host it names is also a target
  state       --state-dir, SSHM_STATE_DIR, else $XDG_STATE_HOME/sshm (~/.local/state/sshm):
              sshm.db (SQLite) and outputs/<CommandId>/<host>/<plugin>/<step>/stdout|stderr
)";

constexpr const char* k_documents = R"(Documents: what sshm run runs

sshm runs SSM Command documents (schemaVersion 1.2, 2.0, 2.2; JSON or YAML): a built-in
one by name or a file by path.
  sshm documents list                       the built-in documents
  sshm documents show AWS-RunShellScript    one document (-o yaml for YAML)
  sshm documents validate FILE...           every problem, as FILE:LINE:COL
  sshm run AWS-RunShellScript -t all -p commands='uptime'
  sshm run ./my-doc.yaml -t web -p Name=value -p List=a -p List=b
  sshm exec -t all 'uptime'                 AWS-RunShellScript, shorter
Parameters (-p name=value, repeat for a StringList, or --parameters-file FILE) are typed and
checked as SSM checks them: allowedValues, allowedPattern, min/max chars and items; a
{{ssm:NAME}} value is read from the Parameter Store (sshm help config, sshm params).
Plugins: aws:runShellScript, aws:runDocument, aws:downloadContent, aws:applications
(where they apply), aws:softwareInventory, aws:runPatchBaseline ...; steps, preconditions
(platformType), onFailure/onSuccess/finallyStep and timeoutSeconds as SSM does.
)";

} // namespace

const std::vector<std::pair<std::string, std::string>>& help_topics() {
  static const std::vector<std::pair<std::string, std::string>> k_topics = [] {
    CLI::App all_statuses;
    std::string exit_codes = "Exit codes: what sshm's exit status means\n\n" + exit_statuses_for(all_statuses) +
                             "\nEach command's --help lists the ones it can return. A command that runs on hosts\n"
                             "returns 1 when any invocation failed, even if others succeeded; scripts that want\n"
                             "per-host results read -o json (sshm help output).\n";
    return std::vector<std::pair<std::string, std::string>>{{"targets", k_targets},     {"output", k_output},
                                                            {"config", k_config},       {"exit-codes", exit_codes},
                                                            {"documents", k_documents}, {"inventory", k_inventory}};
  }();
  return k_topics;
}

namespace {

// The first line of each topic, after its name: "targets: which hosts -t ... select".
std::string topic_list() {
  std::string out;
  for (const auto& [name, text] : help_topics()) {
    std::string title = text.substr(0, text.find('\n'));
    const size_t colon = title.find(": ");
    out += fmt::format("  {:<12}{}\n", name, colon == std::string::npos ? title : title.substr(colon + 2));
  }
  return out;
}

// `sshm help`, `sshm help TOPIC`, `sshm help COMMAND [SUBCOMMAND...]` (= COMMAND --help).
int run_help(const CLI::App& root, const std::vector<std::string>& words) {
  if (words.empty()) {
    // The formatter itself: root.help() would describe the chosen subcommand (this one).
    SyncOut::instance().out(root.get_formatter()->make_help(&root, "sshm", CLI::AppFormatMode::Normal) +
                            "\nHelp topics (sshm help TOPIC):\n" + topic_list());
    return k_exit_ok;
  }
  for (const auto& [name, text] : help_topics())
    if (words.size() == 1 && words[0] == name) {
      SyncOut::instance().out(text);
      return k_exit_ok;
    }
  std::vector<std::string> names;
  for (const auto& [name, text] : help_topics()) names.push_back(name);
  for (const CLI::App* sub : visible_subcommands(root)) names.push_back(sub->get_name());
  const bool is_command = std::any_of(names.begin() + static_cast<long>(help_topics().size()), names.end(),
                                      [&](const std::string& n) { return n == words[0]; });
  if (!is_command)
    throw InputError(fmt::format("no help topic or command '{}' (topics: targets, output, config, exit-codes, "
                                 "documents, inventory; commands: sshm --help)",
                                 terminal_safe(words[0])),
                     closest_match(words[0], names));
  const CLI::App& command = find_command(root, words);
  SyncOut::instance().out(command.get_formatter()->make_help(&command, command_path(command), CLI::AppFormatMode::Normal));
  return k_exit_ok;
}

} // namespace

void setup_help(CLI::App& app, GlobalOptions& /*global*/, Action& action) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* help = app.add_subcommand("help", "Help on a command (sshm help run) or a topic (sshm help targets)");
  help->add_option("topic", *words, "A command (as many words as it has) or a topic: targets, output, config, "
                                    "exit-codes, documents, inventory");
  const CLI::App* root = &app;
  help->callback([&action, words, root] { action = [words, root] { return run_help(*root, *words); }; });
}

} // namespace sshm::cli
