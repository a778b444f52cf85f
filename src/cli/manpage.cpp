// The manual page sshm(1), as scdoc(5) source, from the command-line definition itself (every
// command and option with its help text) and the help topics (targets, output, config and
// files, exit codes, documents, inventory). The build runs `sshm __manpage | scdoc`.
#include "cli/help.hpp"

#include <fmt/format.h>

namespace sshm::cli {

namespace {

// Text as scdoc reads it literally: its markup characters escaped.
std::string scdoc_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '*' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

// "*-t, --targets* _TEXT_" then the description, indented.
std::string option_entry(const CLI::Option& opt) {
  std::string names;
  for (const auto& s : opt.get_snames()) names += (names.empty() ? "-" : ", -") + s;
  for (const auto& l : opt.get_lnames()) names += (names.empty() ? "--" : ", --") + l;
  if (!opt.nonpositional()) names = opt.get_name();
  std::string out = "*" + scdoc_escape(names) + "*";
  if (opt.get_type_size_max() > 0 && opt.nonpositional()) out += " _" + scdoc_escape(opt.get_type_name()) + "_";
  std::string description = opt.get_description();
  if (opt.get_required()) description += " (required)";
  return out + "\n\t" + scdoc_escape(description) + "\n\n";
}

// One section per command, nested commands after their parent, options of each.
void command_sections(const CLI::App& app, std::string& out) {
  for (const CLI::App* sub : visible_subcommands(app)) {
    const bool group = !visible_subcommands(*sub).empty();
    out += fmt::format("## {}\n\n{}\n\n", scdoc_escape(command_path(*sub)), scdoc_escape(sub->get_description()));
    for (const CLI::Option* opt : sub->get_options())
      if (opt != sub->get_help_ptr() && !opt->get_group().empty()) out += option_entry(*opt);
    if (!group) out += fmt::format("Exit status:\n```\n{}```\n\n", exit_statuses_for(*sub));
    command_sections(*sub, out);
  }
}

// A help topic as a section: its first line the heading, the rest a literal block.
std::string topic_section(const std::string& text) {
  const size_t end = text.find('\n');
  std::string title = text.substr(0, end);
  std::string heading = title.substr(0, title.find(':'));
  for (auto& c : heading) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string body = end == std::string::npos ? std::string() : text.substr(end + 1);
  while (!body.empty() && body.front() == '\n') body.erase(0, 1);
  return fmt::format("# {}\n\n{}\n\n```\n{}```\n\n", heading, scdoc_escape(title.substr(title.find(':') + 2)), body);
}

} // namespace

std::string manpage_scdoc(const CLI::App& root) {
  std::string summary = root.get_description();
  if (const size_t colon = summary.find(": "); colon != std::string::npos) summary.erase(0, colon + 2);
  std::string out = "sshm(1)\n\n# NAME\n\nsshm - " + scdoc_escape(summary) + "\n\n";
  out += "# SYNOPSIS\n\n*sshm* [_global options_] _command_ [_subcommand_] [_options_] [_arguments_]\n\n";
  out += "*sshm help* [_command_... | _topic_]\n\n";
  out += "# DESCRIPTION\n\n"
         "sshm gives a fleet of Linux servers what AWS Systems Manager gives EC2: Run Command with SSM "
         "documents, Parameter Store, State Manager, Patch Manager, Inventory, Compliance and maintenance "
         "windows, over plain SSH with no agent on the hosts. Hosts come from an inventory (native YAML or "
         "Ansible) and the OpenSSH client config; results are kept in a local history.\n\n"
         "*sshm help* _command_ prints the same text as *sshm* _command_ *--help*; *sshm help* _topic_ "
         "prints the sections TARGETS to INVENTORY below.\n\n";
  out += "# GLOBAL OPTIONS\n\nThey may come before or after the command.\n\n";
  for (const CLI::Option* opt : global_options(root)) out += option_entry(*opt);
  out += "# COMMANDS\n\n";
  command_sections(root, out);
  for (const auto& [name, text] : help_topics()) out += topic_section(text);
  out += "# SHELL COMPLETION\n\n*sshm completion* _bash_|_zsh_|_fish_ prints the completion script; "
         "installed packages put them in /usr/share/bash-completion/completions/sshm, "
         "/usr/share/zsh/vendor-completions/\\_sshm and /usr/share/fish/vendor\\_completions.d/sshm.fish.\n\n";
  out += "# SEE ALSO\n\n*ssh*(1), *ssh\\_config*(5), *ansible-inventory*(1), *aws*(1)\n";
  return out;
}

} // namespace sshm::cli
