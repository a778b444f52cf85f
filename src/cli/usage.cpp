// The shape of the command line as people meet it: --help with the global options and the
// exit statuses of each command, and parse errors that name the mistyped word.
#include "cli/help.hpp"

#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/terminal_safe.hpp"

#include <fmt/format.h>

namespace sshm::cli {

namespace {

const CLI::App& root_of(const CLI::App& app) {
  const CLI::App* a = &app;
  while (a->get_parent() != nullptr) a = a->get_parent();
  return *a;
}

// Whether the command itself has an option of that name.
bool has_option(const CLI::App& app, const char* name) {
  for (const CLI::Option* opt : app.get_options())
    if (opt->check_name(name)) return true;
  return false;
}

// The exit statuses, as README's table says them.
struct ExitStatus {
  int code;
  const char* meaning;
};
constexpr ExitStatus k_statuses[] = {
    {0, "every invocation succeeded (and every output sink delivered)"},
    {1, "some invocation failed or timed out, or something outside the input failed"},
    {2, "usage or input error (nothing was run)"},
    {3, "stopped by the error threshold (--max-errors)"},
    {4, "no host could be reached"},
    {130, "interrupted (Ctrl-C, SIGTERM)"},
};

class HelpFormatter : public CLI::Formatter {
public:
  // A subcommand's help ends with the root's options (they may follow the subcommand), its
  // own footer if it has one, and the exit statuses it can return.
  std::string make_footer(const CLI::App* app) const override {
    const CLI::App& root = root_of(*app);
    std::string out;
    if (app->get_parent() != nullptr) {
      out += "Global options (before or after the subcommand):\n";
      for (const CLI::Option* opt : global_options(root)) out += make_option(opt, false);
      out += "\n";
      std::string footer = app->get_footer();
      if (!footer.empty() && footer != root.get_footer()) out += footer + "\n\n";
    } else if (!app->get_footer().empty()) {
      out += app->get_footer() + "\n\n";
    }
    out += "Exit status:\n" + exit_statuses_for(*app);
    out += "\nMore: sshm help TOPIC (targets, output, config, exit-codes, documents, inventory), man sshm\n";
    return out;
  }
};

std::vector<std::string> option_names(const CLI::App* app, bool long_names) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
    for (const CLI::Option* opt : a->get_options()) {
      for (const auto& n : long_names ? opt->get_lnames() : opt->get_snames())
        names.push_back((long_names ? "--" : "-") + n);
    }
  return names;
}

std::string subcommand_names(const CLI::App& app, std::vector<std::string>& names) {
  for (const CLI::App* sub : visible_subcommands(app)) names.push_back(sub->get_name());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

std::string with_suggestion(const std::string& message, const std::string& suggestion) {
  return suggestion.empty() ? message : fmt::format("{} (did you mean '{}'?)", message, suggestion);
}

// "unknown command 'exce' for 'sshm' (did you mean 'exec'?)", or the list of commands
// when none is close.
std::string unknown_command(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names;
  std::string list = subcommand_names(app, names);
  std::string suggestion = closest_match(word, names);
  std::string message = fmt::format("unknown command '{}' for '{}'", terminal_safe(word), command_path(app));
  return suggestion.empty() ? fmt::format("{} (commands: {})", message, list) : with_suggestion(message, suggestion);
}

std::string unknown_option(const CLI::App* app, const std::string& name) {
  std::string suggestion = closest_match(name, option_names(app, name.rfind("--", 0) == 0));
  return with_suggestion(fmt::format("unknown option '{}' for '{}' (see {} --help)", terminal_safe(name), command_path(*app),
                                     command_path(*app)),
                         suggestion);
}

} // namespace

const CLI::Option* find_option(const CLI::App& command, const std::string& name) {
  for (const CLI::App* a = &command; a != nullptr; a = a->get_parent())
    for (const CLI::Option* opt : a->get_options())
      if (opt->nonpositional() && opt->check_name(name)) return opt;
  return nullptr;
}

const CLI::App* find_subcommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands({}))
    if (sub->check_name(name)) return sub;
  return nullptr;
}

std::shared_ptr<CLI::Formatter> make_help_formatter() { return std::make_shared<HelpFormatter>(); }

std::string exit_statuses_for(const CLI::App& command) {
  const bool root = command.get_parent() == nullptr;
  const bool reaches_hosts = root || has_option(command, "--targets");
  const bool has_threshold = root || has_option(command, "--max-errors");
  std::string out;
  for (const auto& s : k_statuses) {
    if ((s.code == 3 && !has_threshold) || (s.code == 4 && !reaches_hosts)) continue;
    out += fmt::format("  {:<4} {}\n", s.code, s.meaning);
  }
  return out;
}

std::string command_path(const CLI::App& command) {
  std::string path = command.get_name();
  for (const CLI::App* a = command.get_parent(); a != nullptr; a = a->get_parent()) path = a->get_name() + " " + path;
  return path;
}

std::vector<const CLI::Option*> global_options(const CLI::App& root) {
  std::vector<const CLI::Option*> out;
  for (const CLI::Option* opt : root.get_options())
    if (opt != root.get_help_ptr() && opt != root.get_help_all_ptr() && opt->nonpositional() &&
        !opt->check_name("--version") && !opt->get_group().empty())
      out.push_back(opt);
  return out;
}

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

const CLI::App& find_command(const CLI::App& root, const std::vector<std::string>& path) {
  const CLI::App* cur = &root;
  for (const std::string& word : path) {
    const CLI::App* sub = find_subcommand(*cur, word);
    if (sub == nullptr) {
      std::vector<std::string> names;
      std::string list = subcommand_names(*cur, names);
      throw InputError(fmt::format("'{}' has no command '{}' (commands: {})", command_path(*cur), terminal_safe(word), list),
                       closest_match(word, names));
    }
    cur = sub;
  }
  return *cur;
}

std::string diagnose_usage(const CLI::App& root, const std::vector<std::string>& args) {
  const CLI::App* cur = &root;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      const bool is_long = arg.rfind("--", 0) == 0;
      const size_t eq = arg.find('=');
      const std::string name = is_long ? arg.substr(0, eq) : arg.substr(0, 2);
      const CLI::Option* opt = find_option(*cur, name);
      if (opt == nullptr) return unknown_option(cur, name);
      // Skip the option's value when it is the next word (--opt VALUE, -o VALUE).
      const bool value_attached = is_long ? eq != std::string::npos : arg.size() > 2;
      if (opt->get_type_size_max() > 0 && !value_attached) ++i;
      continue;
    }
    if (const CLI::App* sub = find_subcommand(*cur, arg)) {
      cur = sub;
      continue;
    }
    const bool takes_words = !cur->get_options([](const CLI::Option* o) { return !o->nonpositional(); }).empty();
    if (takes_words || cur->get_subcommands({}).empty()) continue;
    return unknown_command(*cur, arg);
  }
  return {};
}

} // namespace sshm::cli
