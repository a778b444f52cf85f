// sshm report [-t TARGETS] [--since 7d] [--package NAME ...] FILE.html|FILE.md: one page about
// the fleet (runs, patch and association compliance, inventory) from the state store only;
// no host is contacted. -o json prints the data behind the page.
#include "cli/common.hpp"
#include "cli/since.hpp"
#include "report/report.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sshm::cli {

namespace {

struct ReportOptions {
  TargetOptions targets;
  std::string since = "7d";
  std::vector<std::string> packages;
  std::string file;
};

enum class Format { html, markdown };

Format format_of(const std::string& file) {
  std::string lower = to_lower(file);
  if (ends_with(lower, ".html") || ends_with(lower, ".htm")) return Format::html;
  if (ends_with(lower, ".md") || ends_with(lower, ".markdown")) return Format::markdown;
  throw InputError(fmt::format("report file '{}' must end in .html or .md (the format follows the name)", file));
}

// Writes the page next to its final name, then renames it, so a reader never sees half a page.
void write_page(const std::string& file, const std::string& page) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(page.data(), static_cast<std::streamsize>(page.size()));
    out.close();
    if (!out) throw RuntimeError(fmt::format("cannot write report '{}': {}", tmp, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw RuntimeError(fmt::format("cannot write report '{}': {}", file, std::strerror(err)));
  }
}

// The hosts of the report: the selected ones with -t; else the inventory's, and (collect
// adds them) every host the store knows.
report::Scope make_scope(const GlobalOptions& g, const ReportOptions& o) {
  report::Scope scope;
  scope.generated_at = iso8601_ms(SystemClock::instance().now());
  scope.since = since_time(o.since);
  scope.targets = o.targets.targets;
  scope.packages = o.packages;
  auto inv = load_inventory(g);
  if (!o.targets.targets.empty()) {
    for (const auto* h : select(g, inv, o.targets)) scope.hosts[h->name] = h->tags;
  } else {
    for (const auto& name : inv.host_names()) scope.hosts[name] = inv.find(name)->tags;
    scope.add_store_hosts = true;
  }
  return scope;
}

int run_report(const GlobalOptions& g, const ReportOptions& o) {
  bool json = g.output == "json" || g.output == "yaml";
  if (o.file.empty() && !json) throw InputError("give the report file (FILE.html or FILE.md), or -o json for the data");
  std::optional<Format> format;
  if (!o.file.empty()) format = format_of(o.file);
  report::Scope scope = make_scope(g, o);
  auto store = open_state_store(g);
  nlohmann::json data = report::collect(*store, std::move(scope));
  if (format)
    write_page(o.file, *format == Format::html ? report::render_html(data) : report::render_markdown(data));
  if (json) print_structured(g, data);
  else SyncOut::instance().err(fmt::format("report written to {}\n", o.file));
  return k_exit_ok;
}

} // namespace

void setup_report(CLI::App& app, GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report", "One self-contained HTML or Markdown page about the fleet from the state store (no host is contacted)");
  add_target_options(cmd, opts->targets, false);
  cmd->add_option("--since", opts->since, "Period: ISO 8601 time or age (7d, 24h, 30m); default 7d");
  cmd->add_option("--package", opts->packages, "Show how many hosts run each version of this package (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("file", opts->file, "FILE.html or FILE.md (the format follows the name); -o json prints the data");
  cmd->callback([&global, &action, opts] { action = [&global, opts] { return run_report(global, *opts); }; });
}

} // namespace sshm::cli
