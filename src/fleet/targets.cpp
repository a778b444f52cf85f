#include "fleet/targets.hpp"

#include "fleet/ranges.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <functional>
#include <optional>
#include <regex>
#include <set>

namespace sshm::fleet {

namespace {

// One term of an expression: what it selects, and how it combines with the others.
struct Term {
  enum class Op { add, intersect, subtract } op = Op::add;
  enum class Kind { all, stdin_names, tag, tag_keys, group, names, pattern, regex, nodeset } kind = Kind::pattern;
  std::string text;                 // the term as written, without its & or !
  std::string key;                  // tag key, group name, pattern or regex
  std::vector<std::string> values;  // tag values, tag keys, host names, node set names
  // Ansible's [i] or [from:to] after a pattern that names groups (or is a glob).
  struct Subscript {
    long long from = 0;
    std::optional<long long> to;  // inclusive; nullopt for a single index; -1 for "to the end"
  };
  std::optional<Subscript> subscript;
};

// One -t or --exclude expression: terms applied as Ansible does.
struct Expression {
  std::string text;
  std::vector<Term> terms;
};

using HostSet = std::vector<char>;  // by index in Inventory::hosts()

std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out;
  for (auto& v : split(s, ',')) {
    std::string t = trim(v);
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

std::vector<std::string> group_names(const Inventory& inv) {
  std::vector<std::string> out;
  for (const auto& [name, g] : inv.groups()) out.push_back(name);
  return out;
}

std::string inventory_name(const Inventory& inv) {
  return inv.source().empty() ? "(none loaded: give -i FILE)" : "'" + inv.source() + "'";
}

// The SSM form Key=...,Values=... is one whole expression.
Term parse_ssm(const std::string& t) {
  Term e;
  e.text = t;
  size_t vpos = t.find(",Values=");
  if (vpos == std::string::npos)
    throw InputError(fmt::format("target '{}' has Key= but no ,Values= (SSM form: Key=tag:Env,Values=prod,stage)", t));
  std::string key = t.substr(4, vpos - 4);
  auto values = split_values(t.substr(vpos + 8));
  if (values.empty()) throw InputError(fmt::format("target '{}' has no values", t));
  if (starts_with(key, "tag:")) {
    e.kind = Term::Kind::tag;
    e.key = key.substr(4);
    e.values = values;
  } else if (key == "tag-key") {
    e.kind = Term::Kind::tag_keys;
    e.values = values;
  } else if (key == "InstanceIds") {
    if (values.size() == 1 && values[0] == "*") {
      e.kind = Term::Kind::all;
    } else {
      e.kind = Term::Kind::names;
      e.values = values;
    }
  } else if (key == "resource-groups:Name") {
    if (values.size() != 1) throw InputError(fmt::format("target '{}': SSM allows one resource group", t));
    e.kind = Term::Kind::group;
    e.key = values[0];
  } else {
    static const std::vector<std::string> keys = {"tag:", "tag-key", "InstanceIds", "resource-groups:Name"};
    throw InputError(fmt::format("unknown target key '{}' (use tag:KEY, tag-key, InstanceIds or resource-groups:Name)", key),
                     closest_match(key, keys));
  }
  return e;
}

bool names_group(const Inventory& inv, const std::string& pattern) {
  if (!has_glob(pattern)) return inv.groups().count(pattern) > 0;
  return std::any_of(inv.groups().begin(), inv.groups().end(),
                     [&](const auto& kv) { return glob_match(pattern, kv.first); });
}

// Ansible's subscript: NAME[3], NAME[-1], NAME[0:2], NAME[2:]. Ansible's older NAME[1-3]
// is left to ClusterShell, for which web[01-03] names hosts web01..web03.
std::optional<std::pair<std::string, Term::Subscript>> split_subscript(const std::string& t) {
  static const std::regex k_subscript(R"(^(.+)\[(?:(-?[0-9]+)|([0-9]+):([0-9]*))\]$)");
  std::smatch m;
  if (t.size() > 200 || !std::regex_match(t, m, k_subscript)) return std::nullopt;
  Term::Subscript s;
  try {
    if (m[2].matched) {
      s.from = std::stoll(m[2].str());
    } else {
      s.from = std::stoll(m[3].str());
      s.to = m[4].length() ? std::stoll(m[4].str()) : -1;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return std::make_pair(m[1].str(), s);
}

Term make_term(const Inventory& inv, Term::Op op, const std::string& text) {
  Term e;
  e.op = op;
  e.text = text;
  const std::string& t = text;
  if (t == "all" || t == "*" || t == "@*") {
    e.kind = Term::Kind::all;
  } else if (t == "-") {
    e.kind = Term::Kind::stdin_names;
  } else if (starts_with(t, "tag:")) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 4)
      throw InputError(fmt::format("target '{}' needs a key and values: tag:Env=prod,stage", t));
    e.kind = Term::Kind::tag;
    e.key = t.substr(4, eq - 4);
    e.values = split_values(t.substr(eq + 1));
    if (e.values.empty()) throw InputError(fmt::format("target '{}' has no values", t));
  } else if (starts_with(t, "tag-key:")) {
    e.kind = Term::Kind::tag_keys;
    e.values = {trim(t.substr(8))};
    if (e.values[0].empty()) throw InputError(fmt::format("target '{}' needs a tag key: tag-key:Env", t));
  } else if (starts_with(t, "group:") || (t.size() > 1 && t[0] == '@')) {
    e.kind = Term::Kind::group;
    e.key = trim(t.substr(t[0] == '@' ? 1 : 6));
    if (e.key.empty()) throw InputError(fmt::format("target '{}' needs a group name", t));
  } else if (t[0] == '~') {
    e.kind = Term::Kind::regex;
    e.key = t.substr(1);
    if (e.key.empty()) throw InputError(fmt::format("target '{}' needs a regular expression after '~'", t));
  } else if (auto sub = split_subscript(t); sub && (has_glob(sub->first) || names_group(inv, sub->first))) {
    e.kind = Term::Kind::pattern;
    e.key = sub->first;
    e.subscript = sub->second;
  } else if (is_nodeset(t)) {
    e.kind = Term::Kind::nodeset;
    e.values = expand_nodeset(t);
  } else {
    e.kind = Term::Kind::pattern;
    e.key = t;
  }
  return e;
}

// Where a term that starts at `i` ends. tag: and tag-key: terms run to the next ":&", ":!",
// ",&" or ",!" (their values hold commas and colons); the others end at the next ',' or ':'
// outside brackets, braces and parentheses.
size_t term_end(const std::string& t, size_t i) {
  std::string_view rest = std::string_view(t).substr(i);
  if (starts_with(rest, "tag:") || starts_with(rest, "tag-key:")) {
    for (size_t j = i; j + 1 < t.size(); ++j) {
      if ((t[j] == ':' || t[j] == ',') && (t[j + 1] == '&' || t[j + 1] == '!')) return j;
    }
    return t.size();
  }
  size_t j = i;
  if (starts_with(rest, "group:")) j += 6;
  int depth = 0;
  for (; j < t.size(); ++j) {
    char c = t[j];
    if (c == '[' || c == '{' || c == '(') ++depth;
    else if ((c == ']' || c == '}' || c == ')') && depth > 0) --depth;
    else if ((c == ',' || c == ':') && depth == 0) return j;
  }
  return t.size();
}

Expression parse_expression(const Inventory& inv, const std::string& text) {
  Expression e;
  e.text = trim(text);
  const std::string& t = e.text;
  if (t.empty()) throw InputError("an empty target: give a host name, a glob, tag:Key=Value, group:NAME or all");
  if (starts_with(t, "Key=")) {
    e.terms.push_back(parse_ssm(t));
    return e;
  }
  // A whole expression that is a host's name (an IPv6 address, "db:5432") is that host.
  if (inv.find(t)) {
    Term one;
    one.text = one.key = t;
    one.kind = Term::Kind::pattern;
    e.terms.push_back(one);
    return e;
  }
  size_t i = 0;
  while (i < t.size()) {
    Term::Op op = Term::Op::add;
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    if (i < t.size() && t[i] == '&') {
      op = Term::Op::intersect;
      ++i;
    } else if (i < t.size() && t[i] == '!') {
      op = Term::Op::subtract;
      ++i;
    }
    size_t end = term_end(t, i);
    std::string atom = trim(std::string_view(t).substr(i, end - i));
    if (!atom.empty()) {
      e.terms.push_back(make_term(inv, op, atom));
    } else if (op != Term::Op::add) {
      throw InputError(fmt::format("target '{}' has '{}' with nothing after it", t, op == Term::Op::intersect ? '&' : '!'));
    }
    i = end + 1;
  }
  if (e.terms.empty()) throw InputError(fmt::format("target '{}' names no hosts", t));
  return e;
}

bool has_tag_value(const Host& h, const std::string& key, const std::vector<std::string>& values) {
  auto it = h.tags.find(key);
  return it != h.tags.end() && std::find(values.begin(), values.end(), it->second) != values.end();
}

// The hosts of a group in Ansible's order: its own hosts, then its children's, breadth
// first; then members that came from a `match` query, in inventory order.
std::vector<size_t> group_hosts(const Inventory& inv, const std::string& name) {
  std::vector<size_t> out;
  std::vector<char> seen(inv.hosts().size(), 0);
  auto add = [&](size_t idx) {
    if (!seen[idx]) {
      seen[idx] = 1;
      out.push_back(idx);
    }
  };
  const Host* base = inv.hosts().empty() ? nullptr : &inv.hosts()[0];
  std::vector<std::string> queue = {name};
  std::set<std::string> visited = {name};
  for (size_t q = 0; q < queue.size(); ++q) {
    auto it = inv.groups().find(queue[q]);
    if (it == inv.groups().end()) continue;
    for (const auto& h : it->second.hosts)
      if (const Host* host = inv.find(h)) add(static_cast<size_t>(host - base));
    for (const auto& c : it->second.children)
      if (visited.insert(c).second) queue.push_back(c);
  }
  for (size_t i = 0; i < inv.hosts().size(); ++i) {
    const auto& groups = inv.hosts()[i].groups;
    if (std::find(groups.begin(), groups.end(), name) != groups.end()) add(i);
  }
  return out;
}

[[noreturn]] void unknown_name(const Inventory& inv, const std::string& name, const std::string& context) {
  std::vector<std::string> candidates = inv.host_names();
  for (const auto& g : group_names(inv)) candidates.push_back(g);
  throw InputError(fmt::format("unknown host or group '{}'{} in inventory {}", name, context, inventory_name(inv)),
                   closest_match(name, candidates));
}

class Evaluator {
public:
  // Names read from stdin must all be hosts.
  Evaluator(const Inventory& inv, const std::vector<std::string>& stdin_names)
      : m_inv(inv), m_stdin(stdin_names.begin(), stdin_names.end()) {
    for (const auto& name : stdin_names)
      if (!inv.find(name))
        throw InputError(fmt::format("unknown host '{}' (from stdin) in inventory {}", name, inventory_name(inv)),
                         closest_match(name, inv.host_names()));
  }

  HostSet evaluate(const Expression& e) const {
    size_t n = m_inv.hosts().size();
    bool any_add = std::any_of(e.terms.begin(), e.terms.end(), [](const Term& t) { return t.op == Term::Op::add; });
    HostSet result(n, any_add ? 0 : 1);  // only & and ! terms: start from all, as Ansible
    for (const auto& t : e.terms)
      if (t.op == Term::Op::add) merge(result, term_hosts(t));
    for (const auto& t : e.terms) {
      if (t.op != Term::Op::intersect) continue;
      HostSet s = to_set(term_hosts(t));
      for (size_t i = 0; i < n; ++i) result[i] = result[i] && s[i];
    }
    for (const auto& t : e.terms) {
      if (t.op != Term::Op::subtract) continue;
      for (size_t i : term_hosts(t)) result[i] = 0;
    }
    return result;
  }

private:
  void merge(HostSet& into, const std::vector<size_t>& hosts) const {
    for (size_t i : hosts) into[i] = 1;
  }
  HostSet to_set(const std::vector<size_t>& hosts) const {
    HostSet s(m_inv.hosts().size(), 0);
    merge(s, hosts);
    return s;
  }
  size_t index_of(const Host* h) const { return static_cast<size_t>(h - &m_inv.hosts()[0]); }

  std::vector<size_t> where(const std::function<bool(const Host&)>& pred) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < m_inv.hosts().size(); ++i)
      if (pred(m_inv.hosts()[i])) out.push_back(i);
    return out;
  }

  void check_group(const std::string& name) const {
    if (!m_inv.groups().count(name))
      throw InputError(fmt::format("unknown group '{}'", name), closest_match(name, group_names(m_inv)));
  }

  // The hosts one term selects, in Ansible's order (which subscripts index).
  std::vector<size_t> term_hosts(const Term& t) const {
    switch (t.kind) {
    case Term::Kind::all:
      return where([](const Host&) { return true; });
    case Term::Kind::stdin_names:
      return where([&](const Host& h) { return m_stdin.count(h.name) > 0; });
    case Term::Kind::tag:
      return where([&](const Host& h) { return has_tag_value(h, t.key, t.values); });
    case Term::Kind::tag_keys:
      // SSM: with several tag keys the node must have all of them.
      return where([&](const Host& h) {
        return std::all_of(t.values.begin(), t.values.end(), [&](const std::string& k) { return h.tags.count(k) > 0; });
      });
    case Term::Kind::group:
      check_group(t.key);
      return group_hosts(m_inv, t.key);
    case Term::Kind::names: {
      std::vector<size_t> out;
      for (const auto& v : t.values) {
        if (has_glob(v)) {
          for (size_t i : where([&](const Host& h) { return glob_match(v, h.name); })) out.push_back(i);
        } else if (const Host* h = m_inv.find(v)) {
          out.push_back(index_of(h));
        } else {
          throw InputError(fmt::format("unknown host '{}' in inventory {}", v, inventory_name(m_inv)),
                           closest_match(v, m_inv.host_names()));
        }
      }
      return out;
    }
    case Term::Kind::regex:
      return regex_hosts(t);
    case Term::Kind::nodeset: {
      std::vector<size_t> out;
      for (const auto& name : t.values) {
        for (size_t i : word_hosts(name, t.op, fmt::format(" (from node set '{}')", t.text))) out.push_back(i);
      }
      return out;
    }
    case Term::Kind::pattern:
      return pattern_hosts(t);
    }
    return {};
  }

  // A bare word or glob, as Ansible's _enumerate_matches: the groups it names (all their
  // hosts), and the hosts it names when no group matched or it is a glob or has a '.'.
  std::vector<size_t> word_hosts(const std::string& word, Term::Op op, const std::string& context) const {
    if (op == Term::Op::add) {
      if (const Host* h = m_inv.find(word)) return {index_of(h)};
    }
    std::vector<size_t> out;
    bool glob = has_glob(word);
    bool group_matched = false;
    for (const auto& [name, g] : m_inv.groups()) {
      if (glob ? glob_match(word, name) : word == name) {
        group_matched = true;
        for (size_t i : group_hosts(m_inv, name)) out.push_back(i);
      }
    }
    if (!group_matched || glob || word.find('.') != std::string::npos) {
      if (glob) {
        for (size_t i : where([&](const Host& h) { return glob_match(word, h.name); })) out.push_back(i);
      } else if (const Host* h = m_inv.find(word)) {
        out.push_back(index_of(h));
      }
    }
    if (out.empty() && !group_matched && !glob) unknown_name(m_inv, word, context);
    return dedupe(out);
  }

  std::vector<size_t> pattern_hosts(const Term& t) const {
    std::vector<size_t> hosts = word_hosts(t.key, t.subscript ? Term::Op::intersect : t.op, "");
    if (!t.subscript) return hosts;
    long long n = static_cast<long long>(hosts.size());
    long long from = t.subscript->from;
    if (from < 0) from += n;
    if (hosts.empty() || from < 0 || from >= n)
      throw InputError(fmt::format("target '{}': index {} is outside the {} hosts of '{}'", t.text, t.subscript->from,
                                   hosts.size(), t.key));
    if (!t.subscript->to || *t.subscript->to == 0) return {hosts[static_cast<size_t>(from)]};
    long long to = *t.subscript->to == -1 ? n - 1 : std::min(*t.subscript->to, n - 1);
    std::vector<size_t> out;
    for (long long i = from; i <= to; ++i) out.push_back(hosts[static_cast<size_t>(i)]);
    return out;
  }

  // ~regex matches group names and host names from their start, as Python's re.match.
  std::vector<size_t> regex_hosts(const Term& t) const {
    std::regex re;
    try {
      re = std::regex(t.key, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw InputError(fmt::format("target '{}' is not a valid regular expression: {}", t.text, e.what()));
    }
    auto matches = [&](const std::string& s) { return std::regex_search(s, re, std::regex_constants::match_continuous); };
    std::vector<size_t> out;
    for (const auto& [name, g] : m_inv.groups())
      if (matches(name))
        for (size_t i : group_hosts(m_inv, name)) out.push_back(i);
    for (size_t i : where([&](const Host& h) { return matches(h.name); })) out.push_back(i);
    return dedupe(out);
  }

  static std::vector<size_t> dedupe(const std::vector<size_t>& in) {
    std::vector<size_t> out;
    std::set<size_t> seen;
    for (size_t i : in)
      if (seen.insert(i).second) out.push_back(i);
    return out;
  }

  const Inventory& m_inv;
  std::set<std::string> m_stdin;
};

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

bool wants_stdin(const Expression& e) {
  return std::any_of(e.terms.begin(), e.terms.end(), [](const Term& t) { return t.kind == Term::Kind::stdin_names; });
}

} // namespace

std::vector<const Host*> match_hosts(const Inventory& inv, const std::string& expression) {
  Expression e = parse_expression(inv, expression);
  if (wants_stdin(e)) throw InputError("'-' (stdin) cannot be used in a group's match");
  HostSet set = Evaluator(inv, {}).evaluate(e);
  std::vector<const Host*> out;
  for (size_t i = 0; i < set.size(); ++i)
    if (set[i]) out.push_back(&inv.hosts()[i]);
  return out;
}

bool host_matches(const Inventory& inv, const Host& host, const std::string& expression) {
  for (const Host* h : match_hosts(inv, expression))
    if (h->name == host.name) return true;
  return false;
}

std::vector<const Host*> select_hosts(const Inventory& inv, const TargetSpec& spec, std::istream* stdin_names) {
  if (spec.targets.empty()) throw InputError("no targets: give -t with host names, tag:Key=Value, group:NAME or all");
  std::vector<Expression> includes, excludes;
  bool stdin_wanted = false;
  for (const auto& t : spec.targets) {
    includes.push_back(parse_expression(inv, t));
    stdin_wanted |= wants_stdin(includes.back());
  }
  for (const auto& t : spec.excludes) {
    excludes.push_back(parse_expression(inv, t));
    stdin_wanted |= wants_stdin(excludes.back());
  }
  std::vector<std::string> names_in;
  if (stdin_wanted) names_in = read_stdin_names(stdin_names);
  Evaluator eval(inv, names_in);

  HostSet selected(inv.hosts().size(), 1);
  for (const auto& e : includes) {
    HostSet s = eval.evaluate(e);
    for (size_t i = 0; i < s.size(); ++i) selected[i] = selected[i] && s[i];
  }
  for (const auto& e : excludes) {
    HostSet s = eval.evaluate(e);
    for (size_t i = 0; i < s.size(); ++i) selected[i] = selected[i] && !s[i];
  }
  std::vector<const Host*> out;
  for (size_t i = 0; i < selected.size(); ++i)
    if (selected[i]) out.push_back(&inv.hosts()[i]);
  if (out.empty()) {
    std::string what = join(spec.targets, " AND ");
    if (!spec.excludes.empty()) what += " minus " + join(spec.excludes, ", ");
    throw InputError(fmt::format("no host matches {} ({} hosts in the inventory)", what, inv.hosts().size()));
  }
  return out;
}

} // namespace sshm::fleet
