#include "schedule/schedule.hpp"

#include "util/spell.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <set>

namespace sshm::schedule {

namespace {

namespace chr = std::chrono;

// date/tz.h has its own local clock; the calendar types come from <chrono>.
date::local_seconds to_date(chr::local_seconds t) { return date::local_seconds{t.time_since_epoch()}; }
chr::local_seconds from_date(date::local_seconds t) { return chr::local_seconds{t.time_since_epoch()}; }

// SSM's wording for a schedule it refuses (the InvalidSchedule error of the API).
constexpr const char* k_invalid_schedule = "The schedule is invalid. Verify your cron or rate expression and try again.";
// The agent's wording for rate expressions.
constexpr const char* k_invalid_rate = "Schedule expression is not a valid rate expression.";
constexpr const char* k_positive_rate = "Time value should be a positive number.";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// The text between `name(` and the final `)`, or null when the expression is not of that shape.
std::optional<std::string_view> inside(std::string_view expression, std::string_view name) {
  std::string head = lower(expression.substr(0, name.size() + 1));
  if (head != std::string(name) + "(" || expression.size() < name.size() + 2 || expression.back() != ')')
    return std::nullopt;
  std::string_view body = expression.substr(name.size() + 1, expression.size() - name.size() - 2);
  if (body.find_first_of("()") != std::string_view::npos) return std::nullopt;
  return body;
}

Expected<Rate, Error> parse_rate(std::string_view expression, Kind kind) {
  auto body = inside(expression, "rate");
  auto fail = [&](const std::string& why) {
    return unexpected(Error{fmt::format("{} {}: {}.", k_invalid_rate, expression, why)});
  };
  if (!body) return fail("write it as rate(value unit), for example rate(30 minutes)");
  auto space = body->find(' ');
  std::string_view value = body->substr(0, space);
  auto unit_at = space == std::string_view::npos ? space : body->find_first_not_of(' ', space);
  std::string unit = unit_at == std::string_view::npos ? "" : lower(body->substr(unit_at));
  if (!digits(value)) return fail(fmt::format("the value '{}' is not a whole number", value));
  if (std::all_of(value.begin(), value.end(), [](char c) { return c == '0'; }) || value.size() > 9)
    return unexpected(Error{fmt::format("{} {} {}", k_invalid_rate, k_positive_rate, expression)});
  long n = std::stol(std::string(value));
  static const std::vector<std::pair<std::string, long>> units = {{"minute", 60}, {"hour", 3600}, {"day", 86400}};
  auto it = std::find_if(units.begin(), units.end(),
                         [&](const auto& u) { return unit == u.first || unit == u.first + "s"; });
  if (it == units.end()) return fail(fmt::format("the unit '{}' is not minute(s), hour(s) or day(s)", unit));
  bool plural = unit.back() == 's';
  if (n == 1 && plural) return fail(fmt::format("a value of 1 takes the singular unit '{}'", it->first));
  if (n != 1 && !plural) return fail(fmt::format("a value greater than 1 takes the plural unit '{}s'", it->first));
  Rate rate{std::chrono::seconds(n * it->second)};
  if (kind == Kind::association && (rate.interval < std::chrono::minutes(30) || rate.interval >= chr::days(31)))
    return unexpected(Error{fmt::format("{} {}: associations only support rate expressions of 30 minutes or greater "
                                        "and less than 31 days.",
                                        k_invalid_schedule, expression)});
  return rate;
}

Expected<At, Error> parse_at(std::string_view expression) {
  auto fail = unexpected(Error{fmt::format("{} {}: write a one-time schedule as at(yyyy-mm-ddThh:mm:ss), for "
                                           "example at(2020-07-07T15:55:00).",
                                           k_invalid_schedule, expression)});
  auto body = inside(expression, "at");
  if (!body || body->size() != 19) return fail;
  const std::string b(*body);
  for (std::size_t i = 0; i < b.size(); ++i) {
    char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : '0';
    if (want == '0' ? !std::isdigit(static_cast<unsigned char>(b[i])) : b[i] != want) return fail;
  }
  auto num = [&](std::size_t at, std::size_t len) { return std::stoi(b.substr(at, len)); };
  chr::year_month_day ymd{chr::year(num(0, 4)), chr::month(static_cast<unsigned>(num(5, 2))),
                          chr::day(static_cast<unsigned>(num(8, 2)))};
  if (!ymd.ok() || num(11, 2) > 23 || num(14, 2) > 59 || num(17, 2) > 59) return fail;
  return At{chr::local_days(ymd) + std::chrono::hours(num(11, 2)) + std::chrono::minutes(num(14, 2)) +
            std::chrono::seconds(num(17, 2))};
}

// A single number such as `13` or `09`.
bool single(const std::string& field) { return digits(field); }

// `*`, `0/N`, `*/N` or `H/N` (H < N) with N one of the hour steps associations support.
bool hour_step(const std::string& field) {
  if (field == "*") return true;
  auto slash = field.find('/');
  if (slash == std::string::npos) return false;
  std::string start = field.substr(0, slash), step = field.substr(slash + 1);
  static const std::set<std::string> steps = {"1", "2", "4", "8", "12"};
  if (steps.count(step) == 0) return false;
  return start == "*" || (digits(start) && start.size() <= 2 && std::stoi(start) < std::stoi(step));
}

bool any_day(const std::string& field) { return field == "*" || field == "?"; }

// The narrower cron forms State Manager accepts for associations.
std::optional<std::string> association_cron_problem(const CronSpec& spec) {
  std::size_t i = spec.has_seconds ? 1 : 0;
  if (spec.has_seconds && spec.fields[0] != "0")
    return "if you specify the optional Seconds field, its value can only be 0";
  const std::string &minutes = spec.fields[i], &hours = spec.fields[i + 1], &dom = spec.fields[i + 2];
  const std::string &month = spec.fields[i + 3], &dow = spec.fields[i + 4], &year = spec.fields[i + 5];
  if (month != "*") return "State Manager doesn't support specifying months in cron expressions for associations";
  if (year != "*") return "associations don't support values in the Year field";
  bool every_half_hour = (minutes == "0/30" || minutes == "*/30" || minutes == "0,30") && hours == "*";
  bool repeating = every_half_hour || (single(minutes) && hour_step(hours));
  if (repeating && any_day(dom) && any_day(dow)) return std::nullopt;
  bool at_time = single(minutes) && single(hours);
  bool weekly = dom == "?" && (spec.dow_rule == DayOfWeekRule::nth || spec.dow_rule == DayOfWeekRule::last ||
                               (spec.dow_rule == DayOfWeekRule::set && dow.find_first_of(",-/*") == std::string::npos));
  if (at_time && ((any_day(dom) && any_day(dow)) || weekly)) return std::nullopt;
  return "associations only support cron expressions every 1/2, 1, 2, 4, 8 or 12 hours, or every day, every week, "
         "the nth weekday or the last weekday of the month at a specific time";
}

Expected<CronSpec, Error> parse_checked_cron(std::string_view expression, Kind kind) {
  auto body = inside(expression, "cron");
  if (!body) return unexpected(Error{fmt::format("Cron expression {} is invalid.", expression)});
  auto spec = parse_cron(*body, expression);
  if (!spec) return spec;
  if (kind == Kind::association) {
    if (auto problem = association_cron_problem(*spec))
      return unexpected(Error{fmt::format("{} {}: {}.", k_invalid_schedule, expression, *problem)});
  } else if (shortest_gap_seconds(*spec) < 300) {
    return unexpected(Error{fmt::format("Cron expression {} is invalid: cron expressions that lead to rates faster "
                                        "than 5 minutes are not supported.",
                                        expression)});
  }
  return spec;
}

// The first cron time after `from`, as wall-clock time and as the instant it fires.
std::optional<std::pair<chr::local_seconds, SysSeconds>> next_cron(const CronSpec& spec, SysSeconds from, Zone zone) {
  chr::local_seconds start = from_date(zone->to_local(from));
  // Times in a repeated hour map back before `from`; step past them.
  while (auto local = next_local_match(spec, start)) {
    SysSeconds at = to_instant(*local, zone);
    if (at > from) return std::make_pair(*local, at);
    start = *local + std::chrono::seconds(1);
  }
  return std::nullopt;
}

} // namespace

Expected<Schedule, Error> parse(std::string_view expression, Kind kind) {
  Schedule schedule;
  schedule.text = std::string(expression);
  schedule.kind = kind;
  std::string head = lower(expression.substr(0, 5));
  if (head.rfind("cron", 0) == 0) {
    auto spec = parse_checked_cron(expression, kind);
    if (!spec) return unexpected(spec.error());
    schedule.form = std::move(*spec);
  } else if (head.rfind("rate", 0) == 0) {
    auto rate = parse_rate(expression, kind);
    if (!rate) return unexpected(rate.error());
    schedule.form = *rate;
  } else if (head.rfind("at(", 0) == 0) {
    auto at = parse_at(expression);
    if (!at) return unexpected(at.error());
    schedule.form = *at;
  } else {
    return unexpected(Error{fmt::format("Unknown expression type detected in expression {}", expression)});
  }
  return schedule;
}

Expected<Zone, Error> find_time_zone(std::string_view name) {
  std::string wanted = name.empty() ? "UTC" : std::string(name);
  try {
    return date::locate_zone(wanted);
  } catch (const std::exception&) {
    std::vector<std::string> names;
    try {
      for (const auto& zone : date::get_tzdb().zones) names.emplace_back(zone.name());
    } catch (const std::exception&) {
      // No time zone database at all: the message below still says what was wrong.
    }
    std::string suggestion = closest_match(wanted, names);
    return unexpected(Error{fmt::format("ScheduleTimezone '{}' is not an IANA time zone name (for example "
                                        "America/Los_Angeles, Europe/London or UTC){}",
                                        wanted, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion))});
  }
}

std::optional<Error> check_offset(const Schedule& schedule, int offset_days) {
  if (offset_days == 0) return std::nullopt;
  if (offset_days < 1 || offset_days > 6)
    return Error{fmt::format("1 validation error detected: Value '{}' at 'scheduleOffset' failed to satisfy "
                             "constraint: Member must have value {} {}",
                             offset_days, offset_days < 1 ? "greater than or equal to" : "less than or equal to",
                             offset_days < 1 ? 1 : 6)};
  if (!schedule.is_cron())
    return Error{fmt::format("ScheduleOffset is supported for cron expressions only, not {}", schedule.text)};
  return std::nullopt;
}

std::string zone_name(Zone zone) { return zone->name(); }

SysSeconds to_instant(chr::local_seconds local, Zone zone) {
  date::local_info info = zone->get_info(to_date(local));
  if (info.result == date::local_info::nonexistent) return info.second.begin;
  return SysSeconds{local.time_since_epoch()} - info.first.offset;
}

std::optional<SysSeconds> next_after(const Schedule& schedule, SysSeconds from, Zone zone,
                                     int offset_days) {
  if (const auto* rate = std::get_if<Rate>(&schedule.form)) return from + rate->interval;
  if (const auto* at = std::get_if<At>(&schedule.form)) {
    SysSeconds when = to_instant(at->when, zone);
    return when > from ? std::optional(when) : std::nullopt;
  }
  auto base = next_cron(std::get<CronSpec>(schedule.form), from, zone);
  if (!base) return std::nullopt;
  if (offset_days == 0) return base->second;
  return to_instant(base->first + chr::days(offset_days), zone);
}

std::vector<SysSeconds> next_times(const Schedule& schedule, SysSeconds from, Zone zone,
                                   int offset_days, int count) {
  std::vector<SysSeconds> times;
  const auto* cron = std::get_if<CronSpec>(&schedule.form);
  while (static_cast<int>(times.size()) < count) {
    if (!cron) {
      auto next = next_after(schedule, from, zone, offset_days);
      if (!next) break;
      times.push_back(*next);
      from = *next;
      continue;
    }
    // Offsets move each fire time, not the cron times the next one counts from.
    auto base = next_cron(*cron, from, zone);
    if (!base) break;
    times.push_back(offset_days == 0 ? base->second : to_instant(base->first + chr::days(offset_days), zone));
    from = base->second;
  }
  return times;
}

Expected<SysSeconds, Error> parse_time(std::string_view text, Zone zone) {
  auto fail = unexpected(Error{fmt::format("'{}' is not a time such as 2026-03-08T01:30:00Z, "
                                           "2026-03-08T01:30:00-05:00 or 2026-03-08T01:30:00 (in the time zone)",
                                           text)});
  std::string s(text);
  if (s.size() == 10) s += "T00:00:00";
  if (s.size() < 19) return fail;
  auto at = parse_at("at(" + s.substr(0, 19) + ")");
  if (!at) return fail;
  std::string rest = s.substr(19);
  if (rest.empty()) return to_instant(at->when, zone);
  SysSeconds utc{at->when.time_since_epoch()};
  if (rest == "Z" || rest == "z") return utc;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' || !digits(rest.substr(1, 2)) ||
      !digits(rest.substr(4, 2)))
    return fail;
  auto offset = std::chrono::hours(std::stoi(rest.substr(1, 2))) + std::chrono::minutes(std::stoi(rest.substr(4, 2)));
  return rest[0] == '+' ? utc - offset : utc + offset;
}

std::string format_local(SysSeconds t, Zone zone) {
  date::sys_info info = zone->get_info(t);
  chr::local_seconds local{t.time_since_epoch() + info.offset};
  auto day = chr::floor<chr::days>(local);
  chr::year_month_day ymd{day};
  chr::hh_mm_ss<chr::seconds> tod{local - day};
  long offset_min = static_cast<long>(info.offset.count() / 60);
  char sign = offset_min < 0 ? '-' : '+';
  offset_min = std::abs(offset_min);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), tod.hours().count(),
                     tod.minutes().count(), tod.seconds().count(), sign, offset_min / 60, offset_min % 60);
}

} // namespace sshm::schedule
