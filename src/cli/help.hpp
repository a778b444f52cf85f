#pragma once
// Help for people: every command's --help (with the global options and the exit statuses it
// can return), reference topics (`sshm help targets`), and usage errors that name the
// mistyped word with a did-you-mean (ninja's SpellcheckStringV).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sshm::cli {

// The formatter every command's --help uses; set on the root before any subcommand is
// added (CLI11 copies it into each subcommand when it is made).
std::shared_ptr<CLI::Formatter> make_help_formatter();

// A clearer message for a command line that failed to parse: the unknown command or option,
// with a did-you-mean. "" when the arguments show none (CLI11's own message is then said).
std::string diagnose_usage(const CLI::App& root, const std::vector<std::string>& args);

// The names and texts of the reference topics, in the order `sshm help` lists them.
const std::vector<std::pair<std::string, std::string>>& help_topics();

// The exit statuses a command can return, one per line ("  0    every ...").
std::string exit_statuses_for(const CLI::App& command);

// The command named by `path` under `root` (["commands", "list"]); throws InputError with a
// did-you-mean for the first unknown word.
const CLI::App& find_command(const CLI::App& root, const std::vector<std::string>& path);

// The option `name` ("--targets", "-t") of `command` or of a command above it (options of
// parents may follow a subcommand), or nullptr.
const CLI::Option* find_option(const CLI::App& command, const std::string& name);
// The subcommand of `app` named `name`, or nullptr.
const CLI::App* find_subcommand(const CLI::App& app, const std::string& name);

// "sshm commands list": the words that run `command`.
std::string command_path(const CLI::App& command);

// The options of the root that every subcommand also takes.
std::vector<const CLI::Option*> global_options(const CLI::App& root);

// Subcommands of `app` that users see (hidden helpers such as __complete left out).
std::vector<const CLI::App*> visible_subcommands(const CLI::App& app);

// The manual page sshm(1) as scdoc(5) source, from the command-line definition and the topics.
std::string manpage_scdoc(const CLI::App& root);

} // namespace sshm::cli
