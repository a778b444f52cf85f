#!/usr/bin/env bash
# Ansible inventories and target patterns, with ansible-core as the oracle:
#   sshm -i FILE hosts list -o json   must give the hosts, groups, address, port, user, tags
#                                     and vars that `ansible-inventory -i FILE --list` gives;
#   sshm hosts list -t PATTERN         must select the hosts `ansible --list-hosts PATTERN` does.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/check.sh
source "$here/lib/check.sh"

if ! command -v ansible-inventory >/dev/null || ! command -v ansible >/dev/null; then
  echo "SKIP: ansible-core (ansible, ansible-inventory) is not installed; tests/run.sh installs it"
  exit 125
fi
# The interpreter ansible runs under, to use its inventory code for many patterns at once.
ansible_python=$(head -n1 "$(command -v ansible)" | sed -e 's/^#! *//' -e 's/ .*//')
[ -x "$ansible_python" ] || ansible_python=python3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" ANSIBLE_HOME="$work/ansible-home" ANSIBLE_NOCOLOR=1
mkdir -p "$HOME"
cd "$work"

cat > fleet.ini <<'INI'
# Hosts before any section are ungrouped.
lonely ansible_host=10.9.9.9 ansible_become=true
[web]
www[01:03].example.com http_port=80 weight=0x10
web-[a:c] ansible_port=2201
gw:2222 ansible_user=admin note="x y" quoted='1' kept="'1'" flag=True word=yes octal=010 ratio=1.5 list="[1, 'a']" empty=

[db]
db[1:10:3] ansible_ssh_host=192.168.0.1 ansible_ssh_port=2300 ansible_port=22
both  # a trailing comment
[prod:children]
web
db

[prod:vars]
env=prod
shared=from_prod
ansible_group_priority=3

[web:vars]
shared=from_web
ansible_user=webuser

[all:vars]
shared=from_all
base=1
ansible_ssh_user=everyone

[both]

[extra]
db4 role=secondary
INI

cat > fleet.yaml <<'YAML'
all:
  vars:
    level: all
    ansible_user: root
  hosts:
    solo:
      ansible_host: 10.1.1.1
    "gw:2200":
  children:
    web:
      hosts:
        www[01:02].example.com:
          yes_bool: yes
          quoted: "yes"
          octal: 017
          not_octal: 0o17
          hex: 0x1F
          sci: 1e3
          float: 1.0e+3
          sexagesimal: 1:20
          nothing: ~
          day: 2024-01-02
          list: [1, two]
          map: {a: 1, b: [x]}
        app[1:9:4].example.com:
      vars:
        level: web
    prod:
      children:
        web:
        db:
          hosts:
            db-[a:b]:
              ansible_port: "2202"
            db-c:
              ansible_ssh_host: 10.2.2.2
              ansible_host: 10.3.3.3
      vars:
        level: prod
        ansible_group_priority: 5
    zeta:
      hosts:
        db-a:
          zeta_only: true
      vars:
        level: zeta
ungrouped:
  hosts:
    www01.example.com:
    orphan:
YAML

# Compares sshm's view of an inventory with ansible-inventory's, field by field.
compare_inventory() { # file
  local file=$1 rc
  "$SSHM" -i "$file" -o json hosts list > sshm.json 2> sshm.err
  rc=$?
  check_eq "sshm -i $file hosts list exit status" 0 "$rc"
  [ "$rc" -eq 0 ] || { cat sshm.err; return; }
  ansible-inventory -i "$file" --list > ansible.json 2> ansible.err
  rc=$?
  check_eq "ansible-inventory -i $file exit status" 0 "$rc"
  [ "$rc" -eq 0 ] || { cat ansible.err; return; }
  python3 - sshm.json ansible.json <<'PY'
import json, sys
sshm = {h["Name"]: h for h in json.load(open(sys.argv[1]))}
inv = json.load(open(sys.argv[2]))
hostvars = inv.get("_meta", {}).get("hostvars", {})
groups = {k: v for k, v in inv.items() if k != "_meta"}

def members(group, seen=()):
    g = groups.get(group, {})
    out = set(g.get("hosts", []))
    for child in g.get("children", []):
        if child not in seen:
            out |= members(child, seen + (group,))
    return out

every_host = members("all") | set(hostvars)
host_groups = {h: set() for h in every_host}
names = set(groups)
for g in groups.values():
    names |= set(g.get("children", []))
for g in names:
    for h in members(g):
        host_groups[h].add(g)

connection = {"ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port", "ansible_user",
              "ansible_ssh_user", "ansible_private_key_file", "ansible_ssh_private_key_file",
              "ansible_ssh_timeout", "ansible_become", "ansible_become_user", "ansible_become_method"}

def last(vars, *names):
    found = None
    for n in names:
        if vars.get(n) is not None:
            found = vars[n]
    return found

def tag(v):
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), sort_keys=True)

bad = 0
def check(what, expected, actual):
    global bad
    if expected == actual:
        return
    bad += 1
    print(f"  FAIL {what}: expected {expected!r}, actual {actual!r}")

check("host names", sorted(every_host), sorted(sshm))
for h in sorted(every_host & set(sshm)):
    vars = hostvars.get(h, {})
    got = sshm[h]
    port = last(vars, "ansible_port", "ansible_ssh_port")
    check(f"{h} groups", sorted(host_groups[h]), sorted(got["Groups"]))
    check(f"{h} address", str(last(vars, "ansible_host", "ansible_ssh_host") or h), got["Address"])
    check(f"{h} port", None if port is None else int(port), got["Port"])
    check(f"{h} user", last(vars, "ansible_user", "ansible_ssh_user"), got["User"])
    check(f"{h} vars", vars, got["Vars"])
    check(f"{h} tags", {k: tag(v) for k, v in vars.items() if k not in connection}, got["Tags"])
print(f"  compared {len(every_host)} hosts, {len(names)} groups: {bad} differences")
sys.exit(1 if bad else 0)
PY
  check_eq "sshm and ansible-inventory agree on $file (differences above)" 0 "$?"
}

# The hosts sshm selects for a pattern, sorted, one a line ("" when it selects none).
sshm_select() { # file pattern
  "$SSHM" -i "$1" hosts list -t "$2" 2> select.err | awk '{ print $1 }' | sort
  if grep -q "error" select.err && ! grep -q "no host matches" select.err; then
    echo "sshm error: $(cat select.err)"
  fi
}

# The hosts `ansible --list-hosts` selects, sorted, one a line.
ansible_select() { # file pattern
  ansible -i "$1" --list-hosts "$2" 2>/dev/null | sed -n 's/^    //p' | sort
}

# Many patterns at once through the same inventory code `ansible --list-hosts` runs.
ansible_select_many() { # file patterns...
  local file=$1
  shift
  "$ansible_python" - "$file" "$@" <<'PY' 2>/dev/null
import sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
inv = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
for p in sys.argv[2:]:
    try:
        names = sorted(h.name for h in inv.list_hosts(p))
    except Exception as e:
        names = ["error: %s" % e]
    print("%s\t%s" % (p, " ".join(names)))
PY
}

compare_patterns() { # file patterns...
  local file=$1
  shift
  ansible_select_many "$file" "$@" > oracle.txt
  local p expected actual
  for p in "$@"; do
    expected=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' oracle.txt)
    actual=$(sshm_select "$file" "$p" | tr '\n' ' ' | sed 's/ $//')
    check_eq "$file -t '$p'" "$expected" "$actual"
  done
}

case_begin "INI inventory matches ansible-inventory --list"
compare_inventory fleet.ini

case_begin "YAML inventory matches ansible-inventory --list"
compare_inventory fleet.yaml

case_begin "INI: connection settings and precedence a user relies on"
"$SSHM" -i fleet.ini -o json hosts list -t db4,gw,lonely > picked.json
summary=$(python3 -c '
import json
for h in json.load(open("picked.json")):
    print(h["Name"], h["Address"], h["Port"], h["User"], h["Tags"].get("shared"), h["Tags"].get("role"))')
# gw's own ansible_user=admin loses to all's ansible_ssh_user: Ansible's ssh plugin takes
# ansible_ssh_user whenever it is set, at any level.
check_eq "ansible_ssh_* wins over ansible_*, group vars by depth" \
  "lonely 10.9.9.9 None everyone from_all None
gw gw 2222 everyone from_web None
db4 192.168.0.1 2300 everyone from_prod secondary" "$summary"

case_begin "ansible --list-hosts agrees on the headline patterns"
for p in 'web:&prod:!db'; do
  for f in fleet.ini fleet.yaml; do
    check_eq "$f -t '$p'" "$(ansible_select "$f" "$p" | tr '\n' ' ' | sed 's/ $//')" \
      "$(sshm_select "$f" "$p" | tr '\n' ' ' | sed 's/ $//')"
  done
done

case_begin "Ansible patterns on the INI inventory"
compare_patterns fleet.ini 'web:&prod:!db' 'web,db' 'web:db' 'prod:!web' '!ungrouped' '&prod' 'web*' 'w*' \
  '~db' '~(web|db)-[ab]' 'web[0]' 'web[1:2]' 'web[-1]' 'db[2:]' 'all:&prod' 'ungrouped' 'both' 'prod:&both' \
  'db:&web' 'www0?.example.com' 'lonely,db[0]' 'prod:&extra' 'prod:!extra:!web' '*.example.com'

case_begin "Ansible patterns on the YAML inventory"
compare_patterns fleet.yaml 'web:&prod:!db' 'prod:&zeta' 'all:!prod' 'ungrouped' 'db-*' '~app' 'db[0:1]' \
  'zeta,solo' 'web:!www01.example.com' '!zeta:!web'

case_begin "ClusterShell node sets and @group"
check_eq "db[1-10/3] expands like ClusterShell" "db1 db10 db4 db7" \
  "$(sshm_select fleet.ini 'db[1-10/3]' | tr '\n' ' ' | sed 's/ $//')"
check_eq "www[01-02].example.com" "www01.example.com www02.example.com" \
  "$(sshm_select fleet.ini 'www[01-02].example.com' | tr '\n' ' ' | sed 's/ $//')"
check_eq "@extra:&db[1,4]" "db4" "$(sshm_select fleet.ini '@extra:&db[1,4]' | tr '\n' ' ' | sed 's/ $//')"
out=$("$SSHM" -i fleet.ini hosts list -t 'www[01-04].example.com' 2>&1)
rc=$?
check_eq "a node set naming a missing host exits 2" "2" "$rc"
check_contains "and says which host" "unknown host or group 'www04.example.com'" "$out"

case_begin "errors name file, line and column, with a suggestion"
printf '[web]\nw1\n[prod:children]\nwebb\n' > typo.ini
out=$("$SSHM" -i typo.ini hosts list 2>&1)
rc=$?
check_eq "exit status" "2" "$rc"
check_eq "message" "sshm: error: typo.ini:4:1: [prod:children] names group 'webb', which no [webb] or [webb:children] section declares (did you mean 'web'?)" "$out"
printf 'all:\n  children:\n    web:\n      host:\n        w1:\n' > typo.yaml
out=$("$SSHM" -i typo.yaml hosts list 2>&1)
check_eq "YAML unknown key" "sshm: error: typo.yaml:4:7: unknown key 'host' in group 'web' (allowed: hosts, children, vars) (did you mean 'hosts'?)" "$out"
out=$("$SSHM" -i fleet.ini hosts list -t 'web:&prdo' 2>&1)
check_match "unknown group in a pattern" "unknown host or group 'prdo'.*did you mean 'prod'" "$out"

case_begin "sshm help targets documents every form"
help=$("$SSHM" help targets)
for form in 'tag:Env=prod' 'tag-key:' 'group:web' 'Key=tag:Env,Values=prod,stage' 'web:&prod' 'web:!db' '~web' \
  'web[0:2]' 'web[01-40]' 'web[01-05,10]' '@web'; do
  check_contains "mentions $form" "$form" "$help"
done

checks_done
