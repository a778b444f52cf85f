#include "inventory/targets.hpp"

#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace sshm::inventory {

namespace {

// One parsed -t expression: a host set predicate.
struct Expression {
  enum class Kind { all, names, tag, tag_keys, group, stdin_names } kind = Kind::names;
  std::string key;                  // tag key or group name
  std::vector<std::string> values;  // names/globs, tag values, tag keys
};

std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out;
  for (auto& v : split(s, ',')) {
    std::string t = trim(v);
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

Expression parse_expression(const std::string& text) {
  Expression e;
  const std::string t = trim(text);
  if (t.empty()) throw InputError("an empty target: give a host name, a glob, tag:Key=Value, group:NAME or all");
  if (t == "all" || t == "*") {
    e.kind = Expression::Kind::all;
    return e;
  }
  if (t == "-") {
    e.kind = Expression::Kind::stdin_names;
    return e;
  }
  // SSM form: Key=tag:Env,Values=prod,stage
  if (starts_with(t, "Key=")) {
    size_t vpos = t.find(",Values=");
    if (vpos == std::string::npos)
      throw InputError(fmt::format("target '{}' has Key= but no ,Values= (SSM form: Key=tag:Env,Values=prod,stage)", t));
    std::string key = t.substr(4, vpos - 4);
    auto values = split_values(t.substr(vpos + 8));
    if (values.empty()) throw InputError(fmt::format("target '{}' has no values", t));
    if (starts_with(key, "tag:")) {
      e.kind = Expression::Kind::tag;
      e.key = key.substr(4);
      e.values = values;
    } else if (key == "tag-key") {
      e.kind = Expression::Kind::tag_keys;
      e.values = values;
    } else if (key == "InstanceIds") {
      if (values.size() == 1 && values[0] == "*") {
        e.kind = Expression::Kind::all;
      } else {
        e.kind = Expression::Kind::names;
        e.values = values;
      }
    } else if (key == "resource-groups:Name") {
      if (values.size() != 1) throw InputError(fmt::format("target '{}': SSM allows one resource group", t));
      e.kind = Expression::Kind::group;
      e.key = values[0];
    } else {
      static const std::vector<std::string> keys = {"tag:", "tag-key", "InstanceIds", "resource-groups:Name"};
      throw InputError(fmt::format("unknown target key '{}' (use tag:KEY, tag-key, InstanceIds or resource-groups:Name)", key),
                       closest_match(key, keys));
    }
    return e;
  }
  if (starts_with(t, "tag:")) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 4)
      throw InputError(fmt::format("target '{}' needs a key and values: tag:Env=prod,stage", t));
    e.kind = Expression::Kind::tag;
    e.key = t.substr(4, eq - 4);
    e.values = split_values(t.substr(eq + 1));
    if (e.values.empty()) throw InputError(fmt::format("target '{}' has no values", t));
    return e;
  }
  if (starts_with(t, "tag-key:")) {
    e.kind = Expression::Kind::tag_keys;
    e.values = {t.substr(8)};
    if (e.values[0].empty()) throw InputError(fmt::format("target '{}' needs a tag key: tag-key:Env", t));
    return e;
  }
  if (starts_with(t, "group:")) {
    e.kind = Expression::Kind::group;
    e.key = t.substr(6);
    return e;
  }
  e.kind = Expression::Kind::names;
  e.values = split_values(t);
  return e;
}

bool in_group(const Host& h, const std::string& group) {
  return std::find(h.groups.begin(), h.groups.end(), group) != h.groups.end();
}

bool matches(const Expression& e, const Host& h, const std::set<std::string>& stdin_set) {
  switch (e.kind) {
  case Expression::Kind::all:
    return true;
  case Expression::Kind::stdin_names:
    return stdin_set.count(h.name) > 0;
  case Expression::Kind::tag: {
    auto it = h.tags.find(e.key);
    return it != h.tags.end() && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
  }
  case Expression::Kind::tag_keys:
    // SSM: with several tag keys the node must have all of them.
    return std::all_of(e.values.begin(), e.values.end(), [&](const std::string& k) { return h.tags.count(k) > 0; });
  case Expression::Kind::group:
    return in_group(h, e.key);
  case Expression::Kind::names:
    return std::any_of(e.values.begin(), e.values.end(), [&](const std::string& v) {
      return has_glob(v) ? glob_match(v, h.name) : v == h.name;
    });
  }
  return false;
}

// Checks names and groups exist, so a typo is an error and not an empty set.
void validate(const Inventory& inv, const Expression& e, const std::vector<std::string>& stdin_names) {
  auto check_name = [&](const std::string& name, const char* source) {
    if (has_glob(name) || inv.find(name)) return;
    throw InputError(fmt::format("unknown host '{}'{} in inventory {}", name, source,
                                 inv.source().empty() ? "(none loaded: give -i FILE)" : "'" + inv.source() + "'"),
                     closest_match(name, inv.host_names()));
  };
  if (e.kind == Expression::Kind::names)
    for (const auto& v : e.values) check_name(v, "");
  if (e.kind == Expression::Kind::stdin_names)
    for (const auto& v : stdin_names) check_name(v, " (from stdin)");
  if (e.kind == Expression::Kind::group && !inv.groups().count(e.key)) {
    std::vector<std::string> names;
    for (const auto& [n, g] : inv.groups()) names.push_back(n);
    throw InputError(fmt::format("unknown group '{}'", e.key), closest_match(e.key, names));
  }
}

std::vector<std::string> read_stdin_names(std::istream* in) {
  std::vector<std::string> names;
  if (!in) return names;
  std::string line;
  while (std::getline(*in, line)) {
    std::string t = trim(line);
    if (!t.empty() && t[0] != '#') names.push_back(t);
  }
  return names;
}

} // namespace

bool host_matches(const Inventory& inv, const Host& host, const std::string& expression) {
  Expression e = parse_expression(expression);
  if (e.kind == Expression::Kind::stdin_names) throw InputError("'-' (stdin) cannot be used in a group's match");
  validate(inv, e, {});
  return matches(e, host, {});
}

std::vector<const Host*> select_hosts(const Inventory& inv, const TargetSpec& spec, std::istream* stdin_names) {
  if (spec.targets.empty()) throw InputError("no targets: give -t with host names, tag:Key=Value, group:NAME or all");
  std::vector<Expression> includes, excludes;
  bool wants_stdin = false;
  for (const auto& t : spec.targets) {
    includes.push_back(parse_expression(t));
    wants_stdin |= includes.back().kind == Expression::Kind::stdin_names;
  }
  for (const auto& t : spec.excludes) {
    excludes.push_back(parse_expression(t));
    wants_stdin |= excludes.back().kind == Expression::Kind::stdin_names;
  }
  std::vector<std::string> names_in;
  if (wants_stdin) names_in = read_stdin_names(stdin_names);
  std::set<std::string> stdin_set(names_in.begin(), names_in.end());
  for (const auto& e : includes) validate(inv, e, names_in);
  for (const auto& e : excludes) validate(inv, e, names_in);

  std::vector<const Host*> out;
  for (const auto& h : inv.hosts()) {
    bool in = std::all_of(includes.begin(), includes.end(), [&](const Expression& e) { return matches(e, h, stdin_set); });
    if (!in) continue;
    bool out_ = std::any_of(excludes.begin(), excludes.end(), [&](const Expression& e) { return matches(e, h, stdin_set); });
    if (!out_) out.push_back(&h);
  }
  if (out.empty()) {
    std::string what = join(spec.targets, " AND ");
    if (!spec.excludes.empty()) what += " minus " + join(spec.excludes, ", ");
    throw InputError(fmt::format("no host matches {} ({} hosts in the inventory)", what, inv.hosts().size()));
  }
  return out;
}

} // namespace sshm::inventory
