#!/usr/bin/env bash
# sshm at home in the shell: help for every command and topic, typos named with a
# did-you-mean (exit 2), config.yaml keys checked, "no inventory" saying where it looked,
# and completion driven through real bash (bash-completion), zsh and fish.
set -uo pipefail
: "${SSHM:?set SSHM to the sshm binary}"
: "${SSHM_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/check.sh"
source "$SSHM_SOURCE_DIR/tests/e2e/lib/fleet.sh"

fleet_init
WORK=$FLEET_DIR/shell
mkdir -p "$WORK/home/.config/sshm" "$WORK/empty"
export XDG_CONFIG_HOME=$WORK/home/.config
unset SSHM_INVENTORY SSHM_SSH_CONFIG SSHM_STATE_DIR SSHM_OUTPUT

# Runs sshm in an empty directory; stdout, stderr and status in $out, $err, $rc.
run() {
  out=$(cd "$WORK/empty" && "$SSHM" "$@" 2>"$WORK/stderr")
  rc=$?
  err=$(cat "$WORK/stderr")
}

case_begin "sshm help COMMAND is sshm COMMAND --help, nested commands too"
for words in "run" "exec" "commands list" "hosts show" "documents validate"; do
  # shellcheck disable=SC2086
  run help $words
  help_out=$out help_rc=$rc
  # shellcheck disable=SC2086
  run $words --help
  check_eq "sshm help $words: exit" "0 0" "$help_rc $rc"
  check_eq "sshm help $words = sshm $words --help" "$out" "$help_out"
done
check_contains "help commands list names its usage" "Usage: sshm commands list" "$help_out$(cd "$WORK/empty" && "$SSHM" help commands list)"

case_begin "every subcommand's help shows the global options"
for words in "ping" "commands show" "documents list" "hosts list"; do
  # shellcheck disable=SC2086
  run $words --help
  check_contains "$words --help: -o" "-o,--output" "$out"
  check_contains "$words --help: -i" "-i,--inventory" "$out"
  check_contains "$words --help: --connect-timeout" "--connect-timeout" "$out"
done

case_begin "each command lists only the exit statuses it can return"
run documents list --help
check_not_contains "documents list: no threshold status" "  3 " "$out"
check_not_contains "documents list: no unreachable status" "  4 " "$out"
check_contains "documents list: usage status" "  2    usage or input error" "$out"
run run --help
check_contains "run: threshold status" "  3    stopped by the error threshold" "$out"
check_contains "run: unreachable status" "  4    no host could be reached" "$out"

case_begin "help topics"
for topic in targets output config exit-codes documents inventory; do
  run help "$topic"
  check_eq "help $topic: exit" 0 "$rc"
  check_match "help $topic: text" "^[A-Z][a-z -]+: " "$out"
done
run help
check_contains "sshm help lists the topics" "exit-codes" "$out"
check_contains "sshm help lists the commands" "completion" "$out"
run help exit-codes
check_contains "exit-codes names 130" "130" "$out"
run help tragets
check_eq "help tragets: exit 2" 2 "$rc"
check_contains "help tragets: did you mean" "(did you mean 'targets'?)" "$err"
run help commands lst
check_eq "help commands lst: exit 2" 2 "$rc"
check_contains "help commands lst: did you mean" "'lst'" "$err"
check_contains "help commands lst: suggestion" "(did you mean 'list'?)" "$err"

case_begin "typos name the bad word with a did-you-mean, exit 2"
run exce ls
check_eq "sshm exce ls: exit" 2 "$rc"
check_contains "sshm exce ls" "unknown command 'exce' for 'sshm'" "$err"
check_contains "sshm exce ls: suggestion" "(did you mean 'exec'?)" "$err"
run commands lst
check_eq "sshm commands lst: exit" 2 "$rc"
check_contains "sshm commands lst" "unknown command 'lst' for 'sshm commands'" "$err"
check_contains "sshm commands lst: suggestion" "(did you mean 'list'?)" "$err"
run foo
check_eq "sshm foo: exit" 2 "$rc"
check_contains "sshm foo" "unknown command 'foo'" "$err"
run exec --taget all true
check_eq "--taget all: exit" 2 "$rc"
check_contains "--taget all" "unknown option '--taget' for 'sshm exec'" "$err"
check_contains "--taget all: suggestion" "(did you mean '--targets'?)" "$err"
run hosts list --outptu json
check_contains "a global option's typo after a subcommand" "(did you mean '--output'?)" "$err"
run exec -t all
check_contains "a real missing value keeps CLI11's message" "command" "$err$out"
run -o json exec --targets all --bogus-thing x true
check_contains "an option value is not taken for a command" "unknown option '--bogus-thing'" "$err"

case_begin "config.yaml: an unknown key warns with a suggestion"
printf 'inventroy: /nowhere.yaml\noutput: text\n' >"$XDG_CONFIG_HOME/sshm/config.yaml"
run documents list
check_eq "documents list still runs" 0 "$rc"
check_contains "warning names file:line:col and the key" \
  "sshm: warning: $XDG_CONFIG_HOME/sshm/config.yaml:1:1: unknown key 'inventroy'" "$err"
check_contains "warning suggests" "(did you mean 'inventory'?)" "$err"
rm "$XDG_CONFIG_HOME/sshm/config.yaml"

case_begin "no inventory: the error names every place sshm looked"
run hosts list -t all
check_eq "exit" 2 "$rc"
check_contains "names -i" "-i" "$err"
check_contains "names SSHM_INVENTORY" "SSHM_INVENTORY" "$err"
check_contains "names config.yaml" "$XDG_CONFIG_HOME/sshm/config.yaml" "$err"
check_contains "names ./inventory.yaml" "$WORK/empty/inventory.yaml" "$err"
check_contains "names the XDG inventory" "$XDG_CONFIG_HOME/sshm/inventory.yaml" "$err"

case_begin "the manual page sshm(1) renders without warnings and covers every command"
if command -v scdoc >/dev/null && command -v man >/dev/null; then
  "$SSHM" __manpage >"$WORK/sshm.scd"
  check_eq "scdoc accepts the page source" 0 "$(scdoc <"$WORK/sshm.scd" >"$WORK/sshm.1" 2>"$WORK/scdoc.err"; echo $?)$(cat "$WORK/scdoc.err")"
  man_warnings=$(MANWIDTH=80 man --warnings -l "$WORK/sshm.1" 2>&1 >"$WORK/sshm.txt")
  check_eq "MANWIDTH=80 man --warnings -l: no warnings" "" "$man_warnings"
  page=$(cat "$WORK/sshm.txt")
  for heading in NAME SYNOPSIS "GLOBAL OPTIONS" COMMANDS TARGETS "EXIT CODES" CONFIG; do
    check_contains "page has $heading" "$heading" "$page"
  done
  # Every command the CLI defines has its section (a new command cannot be left out).
  for words in "run" "exec" "commands list" "documents validate" "hosts show" "completion"; do
    check_contains "page documents sshm $words" "sshm $words" "$page"
  done
  check_contains "page names the exit status 4" "no host could be reached" "$page"
else
  echo "  (scdoc or man not installed)"
  CHECK_FAILURES=$((CHECK_FAILURES + 1))
fi

case_begin "times users give are parsed strictly"
run --state-dir "$WORK/st" commands list --since 2026-02-31T00:00:00Z
check_eq "--since 2026-02-31: exit 2" 2 "$rc"
check_contains "--since 2026-02-31: says why" "'2026-02-31T00:00:00Z' is not a valid date" "$err"
run --state-dir "$WORK/st" commands list --since 2026-12-02garbage
check_eq "--since 2026-12-02garbage: exit 2" 2 "$rc"
run --state-dir "$WORK/st" commands list --since 2026-12-02T10:00:00+05:00
check_eq "--since with an offset: exit 0" 0 "$rc"

case_begin "hosts list --names and hosts show vars (as ansible-inventory --host)"
printf '%s\n' '[web]' 'w1 ansible_host=127.0.0.1 color=blue' 'w2 ansible_port=2222' '[web:vars]' 'tier=front' \
  '[all:vars]' 'tier=base' 'region=eu' >"$WORK/inv.ini"
run -i "$WORK/inv.ini" hosts list --names
check_eq "one name a line" "$(printf 'w1\nw2')" "$out"
run -i "$WORK/inv.ini" -o json hosts show w1
sshm_vars=$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["vars"], sort_keys=True))' <<<"$out")
if command -v ansible-inventory >/dev/null; then
  ansible_vars=$(ansible-inventory -i "$WORK/inv.ini" --host w1 2>/dev/null |
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
  check_eq "vars = ansible-inventory --host w1" "$ansible_vars" "$sshm_vars"
else
  check_eq "vars" '{"ansible_host": "127.0.0.1", "color": "blue", "region": "eu", "tier": "front"}' "$sshm_vars"
fi
run -i "$WORK/inv.ini" hosts show w1
check_contains "text form has the vars line" 'vars {"ansible_host":"127.0.0.1"' "$out"

# ---- Completion -------------------------------------------------------------------------
fleet_add_hosts 2 web
fleet_write_files
export SSHM_INVENTORY=$FLEET_INVENTORY SSHM_SSH_CONFIG=$FLEET_SSH_CONFIG SSHM_STATE_DIR=$FLEET_DIR/state
fleet_sshm exec -t all 'true' >/dev/null 2>&1
cid=$("$SSHM" -o json commands list | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("Commands", d) if isinstance(d, dict) else d; print(d[0]["CommandId"])')
check_match "a command in the history" '^[0-9a-f-]{36}$' "$cid"
BIN=$WORK/bin
mkdir -p "$BIN"
ln -sf "$SSHM" "$BIN/sshm"
export PATH="$BIN:$PATH"

case_begin "sshm completion prints a script for each shell"
for shell in bash zsh fish; do
  run completion "$shell"
  check_eq "completion $shell: exit" 0 "$rc"
  check_contains "completion $shell: calls the helper" "__complete" "$out"
done
run completion tcsh
check_eq "completion tcsh: exit 2" 2 "$rc"

# Completes COMP_LINE in real bash with bash-completion loaded; prints COMPREPLY, one a line.
bash_complete() {
  local line=$1
  bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion
    source <(sshm completion bash)
    COMP_LINE=$1; COMP_POINT=${#1}
    read -ra COMP_WORDS <<<"$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _sshm sshm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$line"
}

if [ -f /usr/share/bash-completion/bash_completion ]; then
  case_begin "bash (bash-completion) completes commands, options, values, hosts and command IDs"
  check_eq "sshm ex<TAB>" "exec" "$(bash_complete 'sshm ex')"
  check_eq "sshm commands li<TAB>" "list" "$(bash_complete 'sshm commands li')"
  check_contains "sshm exec --ta<TAB>" "--targets" "$(bash_complete 'sshm exec --ta')"
  check_contains "sshm ping --conn<TAB> (a global option)" "--connect-timeout" "$(bash_complete 'sshm ping --conn')"
  check_eq "sshm -o js<TAB>" "$(printf 'json\njsonl')" "$(bash_complete 'sshm -o js' | sort)"
  check_eq "sshm --host-key-policy a<TAB>" "accept-new" "$(bash_complete 'sshm --host-key-policy a')"
  check_eq "sshm exec -t web-00<TAB>" "$(printf 'web-001\nweb-002')" "$(bash_complete 'sshm exec -t web-00' | sort)"
  check_eq "sshm commands show ${cid:0:6}<TAB>" "$cid" "$(bash_complete "sshm commands show ${cid:0:6}")"
  check_contains "sshm run AWS-RunShell<TAB>" "AWS-RunShellScript" "$(bash_complete 'sshm run AWS-RunShell')"
  check_contains "sshm run AWS-RunShellScript -p wor<TAB>" "workingDirectory=" \
    "$(bash_complete 'sshm run AWS-RunShellScript -p wor')"
  check_eq "sshm help exit<TAB>" "exit-codes" "$(bash_complete 'sshm help exit')"
  check_eq "sshm __comp<TAB> (hidden helper is not offered)" "" "$(bash_complete 'sshm __comp')"
else
  echo "  (bash-completion not installed: bash cases not run)"
  CHECK_FAILURES=$((CHECK_FAILURES + 1))
fi

if command -v fish >/dev/null; then
  case_begin "fish completes commands, options, hosts and command IDs"
  fish_complete() {
    fish --no-config -c 'sshm completion fish | source; complete -C $argv[1]' "$1" 2>/dev/null | cut -f1
  }
  check_eq "sshm ex<TAB>" "exec" "$(fish_complete 'sshm ex')"
  check_contains "sshm exec --ta<TAB>" "--targets" "$(fish_complete 'sshm exec --ta')"
  check_eq "sshm exec -t web-00<TAB>" "$(printf 'web-001\nweb-002')" "$(fish_complete 'sshm exec -t web-00' | sort)"
  check_eq "sshm commands show ${cid:0:6}<TAB>" "$cid" "$(fish_complete "sshm commands show ${cid:0:6}")"
else
  echo "  (fish not installed: fish cases not run)"
  CHECK_FAILURES=$((CHECK_FAILURES + 1))
fi

if command -v zsh >/dev/null; then
  case_begin "zsh completes commands, options, hosts and command IDs"
  # A real interactive zsh in a pseudo-terminal (zpty) with compinit; the completion
  # system's compadd is wrapped to print what it is given, one per line.
  zsh_complete() {
    ZDOTDIR=$WORK/zdot zsh -f "$SSHM_SOURCE_DIR/tests/e2e/lib/zsh_complete.zsh" "$1" 2>/dev/null | tr -d '\r\0'
  }
  mkdir -p "$WORK/zdot/fpath"
  sshm completion zsh >"$WORK/zdot/fpath/_sshm"
  export SSHM_ZSH_FPATH=$WORK/zdot/fpath
  check_contains "sshm ex<TAB>" "exec" "$(zsh_complete 'sshm ex')"
  check_contains "sshm exec --ta<TAB>" "--targets" "$(zsh_complete 'sshm exec --ta')"
  check_contains "sshm exec -t web-00<TAB>" "web-002" "$(zsh_complete 'sshm exec -t web-00')"
  check_contains "sshm commands show ${cid:0:6}<TAB>" "$cid" "$(zsh_complete "sshm commands show ${cid:0:6}")"
else
  echo "  (zsh not installed: zsh cases not run)"
  CHECK_FAILURES=$((CHECK_FAILURES + 1))
fi

checks_done
