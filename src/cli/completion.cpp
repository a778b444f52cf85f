// Shell completion. `sshm completion bash|zsh|fish` prints a small script; the script asks
// the hidden `sshm __complete -- WORD...` for the candidates of the last word, so every
// command, option and value comes from this binary's own command-line definition and the
// user's own files (inventory, history, documents) and can never drift from them.
#include "cli/common.hpp"
#include "cli/help.hpp"
#include "documents/document.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <set>

namespace sshm::cli {

namespace {

// What the value of an option or positional is, for completion.
enum class ValueKind { none, words, targets, host, document, parameter, command_id, file, help_word };

// The candidates of one word: "value" or "value\tdescription" lines, and whether the shell
// should also complete file names.
struct Candidates {
  std::vector<std::string> lines;
  bool files = false;
};

// What the words before the one being completed said.
struct Context {
  const CLI::App* command = nullptr;
  GlobalOptions global;
  std::string document;        // run's document (for -p NAME=)
  size_t positionals = 0;      // positional words given to `command`
  std::vector<std::string> path;  // words naming the command (for help's words)
};

ValueKind option_kind(const CLI::Option& opt, std::vector<std::string>& words) {
  if (opt.check_name("--output")) words = {"text", "json", "jsonl", "yaml", "table"};
  else if (opt.check_name("--host-key-policy")) words = {"strict", "accept-new", "off"};
  else if (opt.check_name("--params-backend")) words = {"local", "aws"};
  else if (opt.check_name("--color")) words = {"auto", "always", "never"};
  if (!words.empty()) return ValueKind::words;
  if (opt.check_name("--targets") || opt.check_name("--exclude")) return ValueKind::targets;
  if (opt.check_name("--parameters")) return ValueKind::parameter;
  if (opt.check_name("--inventory") || opt.check_name("--ssh-config") || opt.check_name("--state-dir") ||
      opt.check_name("--parameters-file") || opt.check_name("--file") || opt.check_name("--output-dir") ||
      opt.check_name("--value-file"))
    return ValueKind::file;
  return ValueKind::none;
}

// What the next positional word of `command` is, from its name and the command.
ValueKind positional_kind(const Context& ctx, std::vector<std::string>& words) {
  const CLI::App& cmd = *ctx.command;
  auto positionals = cmd.get_options([](const CLI::Option* o) { return !o->nonpositional(); });
  if (positionals.empty()) return ValueKind::none;
  const CLI::Option* opt = positionals[std::min(ctx.positionals, positionals.size() - 1)];
  const std::string name = opt->get_name();
  const std::string parent = cmd.get_parent() ? cmd.get_parent()->get_name() : "";
  if (cmd.get_name() == "help") return ValueKind::help_word;
  if (cmd.get_name() == "completion") {
    words = {"bash", "zsh", "fish"};
    return ValueKind::words;
  }
  if (name == "id") return ValueKind::command_id;
  if (name == "host" || (name == "name" && parent == "hosts")) return ValueKind::host;
  if (name == "document" || (name == "name" && parent == "documents")) return ValueKind::document;
  if (name == "file" || name == "files" || name == "path") return ValueKind::file;
  return ValueKind::none;
}

void add_targets(const GlobalOptions& global, Candidates& out) {
  fleet::Inventory inv = load_inventory(global);
  std::set<std::string> tags;
  for (const auto& h : inv.hosts()) {
    out.lines.push_back(h.name + "\thost");
    for (const auto& [k, v] : h.tags) tags.insert(fmt::format("tag:{}={}", k, v));
  }
  for (const auto& [name, group] : inv.groups()) out.lines.push_back(name + "\tgroup");
  for (const auto& t : tags) out.lines.push_back(t + "\ttag");
}

void add_command_ids(const GlobalOptions& global, Candidates& out) {
  store::CommandFilter filter;
  filter.limit = 200;
  for (const auto& c : open_state_store(global)->list_commands(filter))
    out.lines.push_back(fmt::format("{}\t{} {} {}", c.command_id, c.document_name, c.status, c.requested_date_time));
}

void add_parameters(const Context& ctx, Candidates& out) {
  if (ctx.document.empty()) return;
  documents::Document doc = documents::load(ctx.document);
  const auto params = doc.content.value("parameters", nlohmann::json::object());
  if (!params.is_object()) return;
  for (const auto& [name, decl] : params.items()) {
    std::string description = decl.is_object() ? decl.value("description", std::string()) : std::string();
    out.lines.push_back(fmt::format("{}=\t{}", name, description.substr(0, 60)));
  }
}

void add_subcommands(const CLI::App& app, Candidates& out) {
  for (const CLI::App* sub : visible_subcommands(app))
    out.lines.push_back(sub->get_name() + "\t" + sub->get_description());
}

void add_values(ValueKind kind, const std::vector<std::string>& words, const Context& ctx, Candidates& out) {
  switch (kind) {
    case ValueKind::words:
      for (const auto& w : words) out.lines.push_back(w);
      break;
    case ValueKind::targets: add_targets(ctx.global, out); break;
    case ValueKind::host:
      for (const auto& name : load_inventory(ctx.global).host_names()) out.lines.push_back(name);
      break;
    case ValueKind::document:
      for (const auto& name : documents::builtin_names()) out.lines.push_back(name);
      out.files = true;
      break;
    case ValueKind::parameter: add_parameters(ctx, out); break;
    case ValueKind::command_id: add_command_ids(ctx.global, out); break;
    case ValueKind::file: out.files = true; break;
    case ValueKind::help_word:
      if (ctx.positionals == 0)
        for (const auto& [name, text] : help_topics()) out.lines.push_back(name + "\ttopic");
      try {
        add_subcommands(find_command(*ctx.command->get_parent(), ctx.path), out);
      } catch (const InputError&) {
      }
      break;
    case ValueKind::none: break;
  }
}

void add_options(const CLI::App& app, Candidates& out) {
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent())
    for (const CLI::Option* opt : a->get_options()) {
      if (!opt->nonpositional() || opt->get_group().empty()) continue;
      const std::string description = opt->get_description();
      for (const auto& n : opt->get_lnames()) out.lines.push_back("--" + n + "\t" + description);
      for (const auto& n : opt->get_snames()) out.lines.push_back("-" + n + "\t" + description);
    }
}

// Records a global option's value the words gave (-i FILE completes hosts of FILE).
void note_global(Context& ctx, const CLI::Option& opt, const std::string& value) {
  if (opt.check_name("--inventory")) ctx.global.inventory = value;
  else if (opt.check_name("--state-dir")) ctx.global.state_dir = value;
  else if (opt.check_name("--ssh-config")) ctx.global.ssh_config = value;
}

// Completes the last of `words`, the ones before it read as the command line is parsed.
Candidates complete(const CLI::App& root, const GlobalOptions& global, const std::vector<std::string>& words) {
  Context ctx{&root, global, {}, 0, {}};
  const CLI::Option* pending = nullptr;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    if (pending != nullptr) {
      note_global(ctx, *pending, w);
      pending = nullptr;
    } else if (w.size() > 1 && w[0] == '-') {
      const size_t eq = w.find('=');
      const CLI::Option* opt = find_option(*ctx.command, w.substr(0, w.rfind("--", 0) == 0 ? eq : 2));
      if (opt != nullptr && opt->get_type_size_max() > 0) {
        if (eq != std::string::npos) note_global(ctx, *opt, w.substr(eq + 1));
        else if (w.rfind("--", 0) == 0 || w.size() == 2) pending = opt;
      }
    } else if (const CLI::App* sub = find_subcommand(*ctx.command, w)) {
      ctx.command = sub;
      ctx.positionals = 0;
    } else {
      if (ctx.command->get_name() == "run" && ctx.positionals == 0) ctx.document = w;
      if (ctx.command->get_name() == "help") ctx.path.push_back(w);
      ++ctx.positionals;
    }
  }
  const std::string last = words.empty() ? std::string() : words.back();
  Candidates out;
  std::vector<std::string> values;
  if (pending != nullptr) {
    add_values(option_kind(*pending, values), values, ctx, out);
  } else if (last.rfind("--", 0) == 0 && last.find('=') != std::string::npos) {
    const std::string name = last.substr(0, last.find('='));
    if (const CLI::Option* opt = find_option(*ctx.command, name)) {
      Candidates inner;
      add_values(option_kind(*opt, values), values, ctx, inner);
      for (const auto& l : inner.lines) out.lines.push_back(name + "=" + l);
      out.files = inner.files;
    }
  } else if (!last.empty() && last[0] == '-') {
    add_options(*ctx.command, out);
  } else {
    add_subcommands(*ctx.command, out);
    add_values(positional_kind(ctx, values), values, ctx, out);
  }
  return out;
}

int run_complete(const CLI::App& root, const GlobalOptions& global, const std::vector<std::string>& words) {
  Candidates c;
  try {
    c = complete(root, global, words);
  } catch (const std::exception&) {
    // A broken inventory or store must not break the shell's completion: offer nothing.
  }
  const std::string last = words.empty() ? std::string() : words.back();
  std::string text;
  for (const auto& line : c.lines) {
    if (line.rfind(last, 0) != 0) continue;
    // Names from the user's files are offered as they are, but never as terminal control.
    if (std::any_of(line.begin(), line.end(), [](char ch) { return (ch >= 0 && ch < 32 && ch != '\t') || ch == 127; }))
      continue;
    text += line + "\n";
  }
  if (c.files) text += ":files\n";
  SyncOut::instance().out(text);
  return k_exit_ok;
}

} // namespace

// bash: bash-completion's _init_completion when loaded (keeps tag:K=V and --opt=V whole).
constexpr const char* k_bash = R"(# bash completion for sshm; generated by `sshm completion bash`.
_sshm() {
  local cur words cword
  if declare -F _init_completion >/dev/null 2>&1; then
    _init_completion -n =: || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  fi
  local IFS=$'\n' line files=0
  local -a out=()
  for line in $("${words[0]}" __complete -- "${words[@]:1:cword-1}" "$cur" 2>/dev/null); do
    if [[ $line == :files ]]; then files=1; else out+=("${line%%$'\t'*}"); fi
  done
  COMPREPLY=($(compgen -W "${out[*]}" -- "$cur"))
  if [[ $files == 1 ]]; then COMPREPLY+=($(compgen -f -- "$cur")); fi
  if [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]]; then compopt -o nospace 2>/dev/null; fi
  if declare -F __ltrim_colon_completions >/dev/null 2>&1; then __ltrim_colon_completions "$cur"; fi
}
complete -F _sshm sshm
)";

// zsh: as a file _sshm on $fpath (autoloaded), or sourced (then it registers itself).
constexpr const char* k_zsh = R"(#compdef sshm
# zsh completion for sshm; generated by `sshm completion zsh`.
_sshm() {
  local -a items lines
  local line want_files=0
  lines=("${(@f)$(${words[1]} __complete -- "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
  for line in "${lines[@]}"; do
    [[ -z $line ]] && continue
    if [[ $line == :files ]]; then want_files=1; continue; fi
    if [[ $line == *$'\t'* ]]; then
      items+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
    else
      items+=("${line//:/\\:}")
    fi
  done
  (( ${#items} )) && _describe -t values 'sshm' items
  (( want_files )) && _files
  return 0
}
if [[ ${funcstack[1]} == _sshm ]]; then _sshm "$@"; else compdef _sshm sshm; fi
)";

// fish: the helper's "value<TAB>description" lines are fish's own format.
constexpr const char* k_fish = R"(# fish completion for sshm; generated by `sshm completion fish`.
function __sshm_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    for line in ($tokens[1] __complete -- $tokens[2..-1] $current 2>/dev/null)
        if test "$line" = ":files"
            __fish_complete_path $current
        else
            printf '%s\n' $line
        end
    end
end
complete -c sshm -f -a '(__sshm_complete)'
)";

std::string completion_script(const std::string& shell) {
  if (shell == "zsh") return k_zsh;
  if (shell == "fish") return k_fish;
  return k_bash;
}

void setup_completion(CLI::App& app, GlobalOptions& global, Action& action) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand(
      "completion", "Print the shell completion script: sshm completion bash|zsh|fish (see man sshm, FILES)");
  completion->add_option("shell", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->callback([&action, shell] {
    action = [shell] {
      SyncOut::instance().out(completion_script(*shell));
      return k_exit_ok;
    };
  });

  // The scripts' helper: `sshm __complete -- WORD... CURRENT` prints the candidates for
  // CURRENT, one a line (value, tab, description), then ":files" when file names also fit.
  auto words = std::make_shared<std::vector<std::string>>();
  auto* helper = app.add_subcommand("__complete", "Candidates for shell completion");
  helper->group("");
  helper->add_option("words", *words, "The words typed so far, the last one being completed");
  const CLI::App* root = &app;

  // The build's source of the manual page: `sshm __manpage | scdoc > sshm.1`.
  auto* manpage = app.add_subcommand("__manpage", "The manual page sshm(1) as scdoc source");
  manpage->group("");
  manpage->callback([&action, root] {
    action = [root] {
      SyncOut::instance().out(manpage_scdoc(*root));
      return k_exit_ok;
    };
  });
  helper->callback([&action, &global, words, root] {
    action = [&global, words, root] { return run_complete(*root, global, *words); };
  });
}

} // namespace sshm::cli
