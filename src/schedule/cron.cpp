#include "schedule/cron.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fmt/format.h>

namespace chr = std::chrono;  // the C++20 calendar: days, weekdays, year_month_day

namespace sshm::schedule {

namespace {

// One cron field: its name as SSM's documentation spells it, its range and its names.
struct FieldInfo {
  const char* name;
  int min;
  int max;
  const std::vector<std::string>* names;  // names[i] is the value min + i
};

const std::vector<std::string> k_month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const std::vector<std::string> k_day_names = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldInfo k_seconds{"Seconds", 0, 59, nullptr};
const FieldInfo k_minutes{"Minutes", 0, 59, nullptr};
const FieldInfo k_hours{"Hours", 0, 23, nullptr};
const FieldInfo k_dom{"Day-of-month", 1, 31, nullptr};
const FieldInfo k_month{"Month", 1, 12, &k_month_names};
const FieldInfo k_dow{"Day-of-week", 1, 7, &k_day_names};
const FieldInfo k_year{"Year", 1970, 2199, nullptr};

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 4 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// Parses and checks state for one expression, so every message names the expression.
class Parser {
public:
  explicit Parser(std::string_view expression) : m_expression(expression) {}

  Error error(const FieldInfo& f, std::string_view item, const std::string& why) const {
    return Error{fmt::format("Cron expression {} is invalid: {} '{}': {}.", m_expression, f.name, item, why)};
  }
  Error error(const std::string& why) const {
    return Error{fmt::format("Cron expression {} is invalid: {}.", m_expression, why)};
  }

  // A number or (Month, Day-of-week) a three-letter name, within the field's range.
  Expected<int, Error> value(const FieldInfo& f, std::string_view item, std::string_view text) const {
    if (all_digits(text)) {
      int v = std::stoi(std::string(text));
      if (v < f.min || v > f.max)
        return unexpected(error(f, item, fmt::format("{} is outside {}-{}", v, f.min, f.max)));
      return v;
    }
    if (f.names) {
      std::string u = upper(text);
      for (std::size_t i = 0; i < f.names->size(); ++i)
        if ((*f.names)[i] == u) return f.min + static_cast<int>(i);
      return unexpected(error(f, item, fmt::format("'{}' is not a value from {}-{} or {}-{}", text, f.min, f.max,
                                                   f.names->front(), f.names->back())));
    }
    return unexpected(error(f, item, fmt::format("'{}' is not a number from {} to {}", text, f.min, f.max)));
  }

  // One comma-separated item: `*`, `a`, `a-b`, with an optional `/step`.
  std::optional<Error> item(const FieldInfo& f, std::string_view item, FieldSet& set) const {
    std::string_view range = item;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      if (!all_digits(step_text)) return error(f, item, fmt::format("the increment '{}' is not a number", step_text));
      step = std::stoi(std::string(step_text));
      if (step < 1 || step > f.max - f.min + 1)
        return error(f, item, fmt::format("the increment must be from 1 to {}", f.max - f.min + 1));
    }
    int first = f.min, last = f.max;
    if (range != "*") {
      auto dash = range.find('-');
      auto a = value(f, item, range.substr(0, dash));
      if (!a) return a.error();
      first = *a;
      // `a/step` runs from a to the end of the field.
      last = (dash == std::string_view::npos) ? (range.size() < item.size() ? f.max : first) : 0;
      if (dash != std::string_view::npos) {
        auto b = value(f, item, range.substr(dash + 1));
        if (!b) return b.error();
        last = *b;
      }
    }
    // A range that runs past the end wraps around, as FRI-MON does.
    int span = last >= first ? last - first : (f.max - first) + (last - f.min + 1);
    for (int i = 0; i <= span; i += step) {
      int v = first + i;
      if (v > f.max) v -= f.max - f.min + 1;
      set.bits.set(static_cast<std::size_t>(v));
    }
    return std::nullopt;
  }

  std::optional<Error> plain(const FieldInfo& f, std::string_view text, FieldSet& set) const {
    if (text == "?") return error(f, text, "'?' is only allowed in Day-of-month or Day-of-week");
    for (char c : text) {
      char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (u == 'L' && !f.names) return error(f, text, "'L' is only allowed in Day-of-month or Day-of-week");
      if (u == 'W' && !f.names) return error(f, text, "'W' is only allowed in Day-of-month");
      if (c == '#') return error(f, text, "'#' is only allowed in Day-of-week");
    }
    for (auto part : split(text, ','))
      if (auto e = item(f, part, set)) return e;
    return std::nullopt;
  }

  std::optional<Error> day_of_month(std::string_view text, CronSpec& spec) const {
    std::string u = upper(text);
    if (u.find('#') != std::string::npos) return error(k_dom, text, "'#' is only allowed in Day-of-week");
    if (u == "?") spec.dom_rule = DayOfMonthRule::none;
    else if (u == "L") spec.dom_rule = DayOfMonthRule::last;
    else if (u == "LW") spec.dom_rule = DayOfMonthRule::last_weekday;
    else if (u.size() > 1 && u.back() == 'W') {
      auto v = value(k_dom, text, std::string_view(text).substr(0, text.size() - 1));
      if (!v) return v.error();
      spec.dom_rule = DayOfMonthRule::nearest_weekday;
      spec.dom_value = *v;
    } else if (u.find_first_of("LW") != std::string::npos) {
      return error(k_dom, text, "'L' and 'W' stand alone (L, LW or a day followed by W)");
    } else {
      spec.dom_rule = DayOfMonthRule::set;
      return plain(k_dom, text, spec.days_of_month);
    }
    return std::nullopt;
  }

  std::optional<Error> day_of_week(std::string_view text, CronSpec& spec) const {
    std::string u = upper(text);
    if (u == "?") {
      spec.dow_rule = DayOfWeekRule::none;
    } else if (u == "L") {
      spec.dow_rule = DayOfWeekRule::last;
      spec.dow_value = 7;
    } else if (auto hash = u.find('#'); hash != std::string::npos) {
      auto day = value(k_dow, text, std::string_view(text).substr(0, hash));
      if (!day) return day.error();
      std::string_view nth = std::string_view(text).substr(hash + 1);
      if (!all_digits(nth) || std::stoi(std::string(nth)) < 1 || std::stoi(std::string(nth)) > 5)
        return error(k_dow, text, "the week of the month after '#' must be from 1 to 5");
      spec.dow_rule = DayOfWeekRule::nth;
      spec.dow_value = *day;
      spec.dow_nth = std::stoi(std::string(nth));
    } else if (u.size() > 1 && u.back() == 'L') {
      auto day = value(k_dow, text, std::string_view(text).substr(0, text.size() - 1));
      if (!day) return day.error();
      spec.dow_rule = DayOfWeekRule::last;
      spec.dow_value = *day;
    } else if (u.find('W') != std::string::npos && u.find("WED") == std::string::npos) {
      return error(k_dow, text, "'W' is only allowed in Day-of-month");
    } else {
      spec.dow_rule = DayOfWeekRule::set;
      return plain(k_dow, text, spec.days_of_week);
    }
    return std::nullopt;
  }

private:
  std::string_view m_expression;
};

int last_day(chr::year_month ym) {
  return static_cast<int>(static_cast<unsigned>((ym / chr::last).day()));
}

// 1 = Sunday ... 7 = Saturday, as cron numbers them.
int cron_weekday(chr::sys_days d) {
  return static_cast<int>(chr::weekday(d).c_encoding()) + 1;
}

bool is_weekend(chr::sys_days d) {
  int w = cron_weekday(d);
  return w == 1 || w == 7;
}

// The weekday (Monday-Friday) nearest `day` within its month; null when the month is shorter.
std::optional<int> nearest_weekday(chr::year_month ym, int day) {
  int last = last_day(ym);
  if (day > last) return std::nullopt;
  chr::sys_days d = chr::sys_days(ym / chr::day(static_cast<unsigned>(day)));
  int w = cron_weekday(d);
  if (w == 7) return day == 1 ? 3 : day - 1;     // Saturday: Friday before, or Monday the 3rd
  if (w == 1) return day == last ? day - 2 : day + 1;  // Sunday: Monday after, or Friday before
  return day;
}

bool dom_matches(const CronSpec& spec, chr::year_month_day ymd) {
  int day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  chr::year_month ym = ymd.year() / ymd.month();
  switch (spec.dom_rule) {
  case DayOfMonthRule::none: return true;
  case DayOfMonthRule::set: return spec.days_of_month.test(day);
  case DayOfMonthRule::last: return day == last_day(ym);
  case DayOfMonthRule::last_weekday: {
    int last = last_day(ym);
    while (is_weekend(chr::sys_days(ym / chr::day(static_cast<unsigned>(last))))) --last;
    return day == last;
  }
  case DayOfMonthRule::nearest_weekday: return nearest_weekday(ym, spec.dom_value) == day;
  }
  return false;
}

bool dow_matches(const CronSpec& spec, chr::year_month_day ymd) {
  int day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  int w = cron_weekday(chr::sys_days(ymd));
  switch (spec.dow_rule) {
  case DayOfWeekRule::none: return true;
  case DayOfWeekRule::set: return spec.days_of_week.test(w);
  case DayOfWeekRule::last: return w == spec.dow_value && day + 7 > last_day(ymd.year() / ymd.month());
  case DayOfWeekRule::nth: return w == spec.dow_value && (day - 1) / 7 + 1 == spec.dow_nth;
  }
  return false;
}

// The first time of day at or after `from` (seconds since midnight) that the fields name.
std::optional<int> first_time_of_day(const CronSpec& spec, int from) {
  int fh = from / 3600, fm = from / 60 % 60, fs = from % 60;
  for (int h = fh; h < 24; ++h) {
    if (!spec.hours.test(h)) continue;
    for (int m = (h == fh ? fm : 0); m < 60; ++m) {
      if (!spec.minutes.test(m)) continue;
      for (int s = (h == fh && m == fm ? fs : 0); s < 60; ++s)
        if (spec.seconds.test(s)) return h * 3600 + m * 60 + s;
    }
    fm = 0;
    fs = 0;
    fh = -1;
  }
  return std::nullopt;
}

} // namespace

Expected<CronSpec, Error> parse_cron(std::string_view inside, std::string_view expression) {
  Parser p(expression);
  CronSpec spec;
  for (auto part : split(inside, ' '))
    if (!part.empty()) spec.fields.emplace_back(part);
  if (spec.fields.size() != 6 && spec.fields.size() != 7)
    return unexpected(p.error(fmt::format("it has {} fields; it needs 6 (Minutes Hours Day-of-month Month "
                                          "Day-of-week Year) or 7 with Seconds first",
                                          spec.fields.size())));
  spec.has_seconds = spec.fields.size() == 7;
  std::size_t i = 0;
  if (spec.has_seconds) {
    if (auto e = p.plain(k_seconds, spec.fields[i++], spec.seconds)) return unexpected(*e);
  } else {
    spec.seconds.bits.set(0);
  }
  const std::string& dom = spec.fields[i + 2];
  const std::string& dow = spec.fields[i + 4];
  if ((dom == "?") == (dow == "?"))
    return unexpected(p.error("exactly one of Day-of-month and Day-of-week must be '?'"));
  if (auto e = p.plain(k_minutes, spec.fields[i], spec.minutes)) return unexpected(*e);
  if (auto e = p.plain(k_hours, spec.fields[i + 1], spec.hours)) return unexpected(*e);
  if (auto e = p.day_of_month(dom, spec)) return unexpected(*e);
  if (auto e = p.plain(k_month, spec.fields[i + 3], spec.months)) return unexpected(*e);
  if (auto e = p.day_of_week(dow, spec)) return unexpected(*e);
  if (auto e = p.plain(k_year, spec.fields[i + 5], spec.years)) return unexpected(*e);
  return spec;
}

bool day_matches(const CronSpec& spec, chr::year_month_day ymd) {
  int year = static_cast<int>(ymd.year());
  int month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  return spec.years.test(year) && spec.months.test(month) && dom_matches(spec, ymd) && dow_matches(spec, ymd);
}

std::optional<chr::local_seconds> next_local_match(const CronSpec& spec, chr::local_seconds start) {
  auto day = chr::floor<chr::days>(start);
  int from = static_cast<int>((start - day).count());
  while (true) {
    chr::year_month_day ymd{chr::sys_days(day.time_since_epoch())};
    int year = static_cast<int>(ymd.year());
    if (year > 2199) return std::nullopt;
    if (!spec.years.test(year)) {  // skip to the next year
      day = chr::local_days((ymd.year() + chr::years(1)) / chr::January / 1);
      from = 0;
      continue;
    }
    if (!spec.months.test(static_cast<int>(static_cast<unsigned>(ymd.month())))) {
      day = chr::local_days((ymd.year() / ymd.month() + chr::months(1)) / 1);
      from = 0;
      continue;
    }
    if (day_matches(spec, ymd))
      if (auto t = first_time_of_day(spec, from)) return day + std::chrono::seconds(*t);
    day += chr::days(1);
    from = 0;
  }
}

long shortest_gap_seconds(const CronSpec& spec) {
  std::vector<long> times;
  for (int h = 0; h < 24; ++h)
    for (int m = 0; m < 60; ++m)
      for (int s = 0; s < 60; ++s)
        if (spec.hours.test(h) && spec.minutes.test(m) && spec.seconds.test(s)) times.push_back(h * 3600L + m * 60 + s);
  long gap = 86400;
  for (std::size_t i = 1; i < times.size(); ++i) gap = std::min(gap, times[i] - times[i - 1]);
  // Across midnight, when every day may fire.
  if (times.size() > 1) gap = std::min(gap, 86400 - times.back() + times.front());
  return gap;
}

} // namespace sshm::schedule
