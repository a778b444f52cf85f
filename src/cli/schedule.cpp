// sshm schedule next EXPR: when an SSM cron, rate or at expression fires next.
#include "cli/common.hpp"
#include "schedule/schedule.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct ScheduleNextOptions {
  std::string expression;
  std::string timezone;
  std::string from;  // empty: now
  std::string kind = "window";
  int count = 5;
  int offset = 0;
};

int run_schedule_next(const GlobalOptions& g, const ScheduleNextOptions& o) {
  // Read the expression the way SSM would for this kind of resource.
  auto kind = o.kind == "association" ? schedule::Kind::association : schedule::Kind::window;
  auto parsed = schedule::parse(o.expression, kind);
  if (!parsed) throw InputError(parsed.error().message);
  auto zone = schedule::find_time_zone(o.timezone);
  if (!zone) throw InputError(zone.error().message);
  if (auto problem = schedule::check_offset(*parsed, o.offset)) throw InputError(problem->message);

  // Count from --from, else from now (the library never reads the clock).
  schedule::SysSeconds from = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!o.from.empty()) {
    auto t = schedule::parse_time(o.from, *zone);
    if (!t) throw InputError("--from: " + t.error().message);
    from = *t;
  }

  std::vector<schedule::SysSeconds> times = schedule::next_times(*parsed, from, *zone, o.offset, o.count);
  if (structured_output(g)) {
    nlohmann::ordered_json out = {{"ScheduleExpression", o.expression},
                                  {"Kind", o.kind},
                                  {"ScheduleTimezone", schedule::zone_name(*zone)},
                                  {"ScheduleOffset", o.offset},
                                  {"From", schedule::format_local(from, *zone)},
                                  {"NextExecutionTimes", nlohmann::ordered_json::array()}};
    for (auto t : times) out["NextExecutionTimes"].push_back(schedule::format_local(t, *zone));
    print_ordered(g, out);
    return k_exit_ok;
  }
  std::string text;
  for (auto t : times) text += schedule::format_local(t, *zone) + "\n";
  SyncOut::instance().out(text);
  return k_exit_ok;
}

} // namespace

void setup_schedule(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("schedule", "SSM schedule expressions: cron(...), rate(...), at(...)");
  group->require_subcommand(1);
  group->fallthrough();

  auto opts = std::make_shared<ScheduleNextOptions>();
  auto* next = group->add_subcommand("next", "Print the next fire times of a schedule expression");
  next->add_option("expression", opts->expression, "cron(...), rate(...) or at(yyyy-mm-ddThh:mm:ss)")->required();
  next->add_option("--timezone", opts->timezone, "ScheduleTimezone: an IANA name such as America/New_York (default UTC)");
  next->add_option("--count", opts->count, "How many fire times (default 5)")->check(CLI::Range(1, 10000));
  next->add_option("--from", opts->from, "Count from this time (ISO 8601; default now)");
  next->add_option("--offset", opts->offset, "ScheduleOffset: days after each cron time (1-6)");
  next->add_option("--kind", opts->kind, "association or window (default): the rules SSM applies")
      ->check(CLI::IsMember({"association", "window"}));
  next->fallthrough();
  next->callback([&global, &action, opts] {
    action = [&global, opts] { return run_schedule_next(global, *opts); };
  });
}

} // namespace sshm::cli
