#include "inventory/query.hpp"

#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <iterator>
#include <map>

namespace sshm::inventory {

namespace {

struct Token {
  enum class Kind { word, op, lparen, rparen, end } kind = Kind::end;
  std::string text;
  bool quoted = false;
  int column = 0;
};

[[noreturn]] void fail(int column, const std::string& message, std::string suggestion = {}) {
  throw InputError(Location{"query", 1, column}, message, std::move(suggestion));
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    int col = static_cast<int>(i) + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({Token::Kind::lparen, "(", false, col});
      ++i;
    } else if (c == ')') {
      out.push_back({Token::Kind::rparen, ")", false, col});
      ++i;
    } else if (c == '=' || c == '~') {
      out.push_back({Token::Kind::op, std::string(1, c), false, col});
      ++i;
    } else if (c == '!' || c == '<' || c == '>') {
      if (i + 1 < s.size() && s[i + 1] == '=') {
        out.push_back({Token::Kind::op, s.substr(i, 2), false, col});
        i += 2;
      } else if (c == '!') {
        fail(col, "'!' must be followed by '=' (use NOT to negate)");
      } else {
        out.push_back({Token::Kind::op, std::string(1, c), false, col});
        ++i;
      }
    } else if (c == '"' || c == '\'') {
      std::string v;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\\' && c == '"' && j + 1 < s.size()) {
          v += s[j + 1];
          j += 2;
        } else if (s[j] == c) {
          closed = true;
          ++j;
          break;
        } else {
          v += s[j++];
        }
      }
      if (!closed) fail(col, fmt::format("unterminated {}-quoted value", c == '"' ? "double" : "single"));
      out.push_back({Token::Kind::word, v, true, col});
      i = j;
    } else {
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '(' && s[j] != ')' &&
             s[j] != '=' && s[j] != '!' && s[j] != '<' && s[j] != '>' && s[j] != '~')
        ++j;
      out.push_back({Token::Kind::word, s.substr(i, j - i), false, col});
      i = j;
    }
  }
  out.push_back({Token::Kind::end, "", false, static_cast<int>(s.size()) + 1});
  return out;
}

bool is_keyword(const Token& t, const char* kw) {
  return t.kind == Token::Kind::word && !t.quoted && to_lower(t.text) == to_lower(kw);
}

class Parser {
public:
  explicit Parser(std::vector<Token> tokens) : m_tokens(std::move(tokens)) {}

  std::unique_ptr<QueryNode> parse() {
    auto node = parse_or();
    if (peek().kind != Token::Kind::end)
      fail(peek().column, fmt::format("expected AND, OR or the end of the query, found '{}'", peek().text));
    return node;
  }

private:
  const Token& peek() const { return m_tokens[m_pos]; }
  Token next() { return m_tokens[m_pos++]; }

  std::unique_ptr<QueryNode> combine(QueryNode::Kind kind, std::unique_ptr<QueryNode> left,
                                     std::unique_ptr<QueryNode> right) {
    if (left->kind == kind) {
      left->children.push_back(std::move(right));
      return left;
    }
    auto n = std::make_unique<QueryNode>();
    n->kind = kind;
    n->children.push_back(std::move(left));
    n->children.push_back(std::move(right));
    return n;
  }

  std::unique_ptr<QueryNode> parse_or() {
    auto left = parse_and();
    while (is_keyword(peek(), "OR")) {
      next();
      left = combine(QueryNode::Kind::or_, std::move(left), parse_and());
    }
    return left;
  }

  std::unique_ptr<QueryNode> parse_and() {
    auto left = parse_unary();
    while (is_keyword(peek(), "AND")) {
      next();
      left = combine(QueryNode::Kind::and_, std::move(left), parse_unary());
    }
    return left;
  }

  std::unique_ptr<QueryNode> parse_unary() {
    if (is_keyword(peek(), "NOT")) {
      next();
      auto n = std::make_unique<QueryNode>();
      n->kind = QueryNode::Kind::not_;
      n->children.push_back(parse_unary());
      return n;
    }
    if (peek().kind == Token::Kind::lparen) {
      Token open = next();
      auto inner = parse_or();
      if (peek().kind != Token::Kind::rparen)
        fail(peek().column, fmt::format("expected ')' to close the '(' at column {}", open.column));
      next();
      return inner;
    }
    return parse_condition();
  }

  std::unique_ptr<QueryNode> parse_condition() {
    Token key = next();
    if (key.kind != Token::Kind::word || key.quoted)
      fail(key.column, key.kind == Token::Kind::end ? "expected a condition such as AWS:Application.Name = openssl"
                                                    : fmt::format("expected Type.Attribute, found '{}'", key.text));
    size_t dot = key.text.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.text.size())
      fail(key.column, fmt::format("expected Type.Attribute (e.g. AWS:Application.Version), found '{}'", key.text));
    auto n = std::make_unique<QueryNode>();
    n->type_name = key.text.substr(0, dot);
    n->attribute = key.text.substr(dot + 1);
    n->column = key.column;
    Token op = next();
    static const std::map<std::string, CompareOp> k_ops = {
        {"=", CompareOp::eq}, {"!=", CompareOp::ne}, {"<", CompareOp::lt}, {"<=", CompareOp::le},
        {">", CompareOp::gt}, {">=", CompareOp::ge}, {"~", CompareOp::glob}};
    if (op.kind != Token::Kind::op)
      fail(op.column, fmt::format("expected an operator (= != < <= > >= ~) after {}", key.text));
    n->op = k_ops.at(op.text);
    Token value = next();
    if (value.kind != Token::Kind::word)
      fail(value.column, fmt::format("expected a value after '{}'", op.text));
    n->value = value.text;
    return n;
  }

  std::vector<Token> m_tokens;
  size_t m_pos = 0;
};

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e;
}

bool version_attribute(const std::string& attribute) { return ends_with(attribute, "Version"); }

void collect_types(const QueryNode& n, std::set<std::string>& out) {
  if (n.kind == QueryNode::Kind::cond) out.insert(n.type_name);
  for (const auto& c : n.children) collect_types(*c, out);
}

bool has_version_compare(const QueryNode& n) {
  if (n.kind == QueryNode::Kind::cond) return version_attribute(n.attribute);
  return std::any_of(n.children.begin(), n.children.end(), [](const auto& c) { return has_version_compare(*c); });
}

// The row-level predicate of a one-type group.
bool eval_row(const QueryNode& n, const Row& row, version::Scheme scheme) {
  switch (n.kind) {
  case QueryNode::Kind::cond: {
    auto it = row.find(n.attribute);
    return compare_values(n.attribute, it == row.end() ? std::string() : it->second, n.op, n.value, scheme);
  }
  case QueryNode::Kind::and_:
    return std::all_of(n.children.begin(), n.children.end(), [&](const auto& c) { return eval_row(*c, row, scheme); });
  case QueryNode::Kind::or_:
    return std::any_of(n.children.begin(), n.children.end(), [&](const auto& c) { return eval_row(*c, row, scheme); });
  case QueryNode::Kind::not_: return !eval_row(*n.children[0], row, scheme);
  }
  return false;
}

// A Name condition that narrows the candidate rows through the index: Name = x, or Name ~ prefix*.
void index_hint(const std::vector<const QueryNode*>& conj, std::optional<std::string>& name,
                std::optional<std::string>& prefix) {
  const QueryNode* cond = nullptr;
  for (const QueryNode* c : conj) {
    if (c->kind == QueryNode::Kind::cond && c->attribute == "Name" &&
        (c->op == CompareOp::eq || c->op == CompareOp::glob))
      cond = c;
    if (conj.size() == 1 && c->kind == QueryNode::Kind::and_) {
      for (const auto& g : c->children)
        if (g->kind == QueryNode::Kind::cond && g->attribute == "Name" &&
            (g->op == CompareOp::eq || g->op == CompareOp::glob))
          cond = g.get();
    }
  }
  if (!cond) return;
  if (cond->op == CompareOp::eq) {
    name = cond->value;
  } else if (cond->op == CompareOp::glob) {
    size_t special = cond->value.find_first_of("*?[\\");
    if (special == std::string::npos) name = cond->value;
    else if (special > 0) prefix = cond->value.substr(0, special);
  }
}

bool mentions_name(const QueryNode& n) {
  if (n.kind == QueryNode::Kind::cond) return n.attribute == "Name";
  return std::any_of(n.children.begin(), n.children.end(), [](const auto& c) { return mentions_name(*c); });
}

struct HostRows {
  std::set<std::int64_t> hosts;
  std::map<std::int64_t, std::vector<std::int64_t>> rows;  // host -> entry IDs that matched
};

class Evaluator {
public:
  explicit Evaluator(const InventoryStore& store) : m_store(store) {
    for (const StoredHost& h : store.hosts()) {
      m_hosts[h.id] = h;
      m_all.insert(h.id);
    }
  }

  HostRows eval(const QueryNode& n) {
    std::set<std::string> types;
    collect_types(n, types);
    if (types.size() == 1 && n.kind == QueryNode::Kind::and_) return eval_one_type_and(n, *types.begin());
    if (types.size() == 1 && n.kind != QueryNode::Kind::not_) return eval_group({&n}, *types.begin());
    HostRows out;
    switch (n.kind) {
    case QueryNode::Kind::not_: {
      HostRows inner = eval(*n.children[0]);
      std::set_difference(m_all.begin(), m_all.end(), inner.hosts.begin(), inner.hosts.end(),
                          std::inserter(out.hosts, out.hosts.end()));
      return out;
    }
    case QueryNode::Kind::and_: {
      std::vector<HostRows> parts;
      for (const auto& c : n.children) parts.push_back(eval(*c));
      out.hosts = parts[0].hosts;
      for (size_t i = 1; i < parts.size(); ++i) {
        std::set<std::int64_t> keep;
        std::set_intersection(out.hosts.begin(), out.hosts.end(), parts[i].hosts.begin(), parts[i].hosts.end(),
                              std::inserter(keep, keep.end()));
        out.hosts = std::move(keep);
      }
      for (HostRows& p : parts) merge_rows(out, p);
      return out;
    }
    case QueryNode::Kind::or_: {
      for (const auto& c : n.children) {
        HostRows p = eval(*c);
        out.hosts.insert(p.hosts.begin(), p.hosts.end());
        merge_rows(out, p);
      }
      return out;
    }
    case QueryNode::Kind::cond: return eval_group({&n}, n.type_name);
    }
    return out;
  }

  const StoredHost& host(std::int64_t id) const { return m_hosts.at(id); }
  const std::shared_ptr<const MatchedRow>& entry(std::int64_t id) const { return m_entries.at(id); }

private:
  static void merge_rows(HostRows& into, HostRows& from) {
    for (auto& [h, rows] : from.rows) {
      if (!into.hosts.count(h)) continue;
      auto& dst = into.rows[h];
      dst.insert(dst.end(), rows.begin(), rows.end());
    }
  }

  // An AND of conditions on one type. Conditions about one package (Name = openssl AND
  // Version < 3) hold within one row; each further Name condition is about another row
  // (Name = bash AND Name = curl: both installed), and a NOT naming a package means no row
  // matches (AND NOT Name = telnet).
  HostRows eval_one_type_and(const QueryNode& n, const std::string& type) {
    std::vector<const QueryNode*> row_group;
    std::vector<const QueryNode*> separate;
    bool anchored = false;
    for (const auto& c : n.children) {
      bool names = mentions_name(*c);
      if (!names) {
        row_group.push_back(c.get());
      } else if (c->kind != QueryNode::Kind::not_ && !anchored) {
        row_group.push_back(c.get());
        anchored = true;
      } else {
        separate.push_back(c.get());
      }
    }
    HostRows out = row_group.empty() ? HostRows{m_all, {}} : eval_group(row_group, type);
    for (const QueryNode* c : separate) {
      HostRows p = eval(*c);
      std::set<std::int64_t> keep;
      std::set_intersection(out.hosts.begin(), out.hosts.end(), p.hosts.begin(), p.hosts.end(),
                            std::inserter(keep, keep.end()));
      out.hosts = std::move(keep);
      merge_rows(out, p);
    }
    for (auto it = out.rows.begin(); it != out.rows.end();) it = out.hosts.count(it->first) ? std::next(it) : out.rows.erase(it);
    return out;
  }

  // Hosts with at least one row of `type` for which all of `conj` hold.
  HostRows eval_group(const std::vector<const QueryNode*>& conj, const std::string& type) {
    std::optional<std::string> name, prefix;
    index_hint(conj, name, prefix);
    bool versioned = std::any_of(conj.begin(), conj.end(), [](const QueryNode* c) { return has_version_compare(*c); });
    // Whether each matched entry holds under each host's ordering: version comparisons
    // depend on the package manager, everything else holds alike for all.
    auto holds = [&](const Row& row, version::Scheme scheme) {
      return std::all_of(conj.begin(), conj.end(), [&](const QueryNode* c) { return eval_row(*c, row, scheme); });
    };
    constexpr version::Scheme schemes[] = {version::Scheme::dpkg, version::Scheme::rpm, version::Scheme::apk};
    std::vector<std::int64_t> matched;
    std::map<std::int64_t, std::array<bool, std::size(schemes)>> by_scheme;  // entry -> result per scheme
    for (StoredEntry& e : m_store.entries(type, name, prefix)) {
      std::array<bool, std::size(schemes)> result{};
      for (size_t k = 0; k < std::size(schemes); ++k)
        result[k] = versioned || k == 0 ? holds(e.row, schemes[k]) : result[0];
      if (std::none_of(result.begin(), result.end(), [](bool b) { return b; })) continue;
      matched.push_back(e.id);
      by_scheme[e.id] = result;
      m_entries.emplace(e.id, std::make_shared<const MatchedRow>(MatchedRow{type, std::move(e.row)}));
    }
    HostRows out;
    for (auto [host_id, entry_id] : m_store.hosts_with_entries(matched)) {
      auto h = m_hosts.find(host_id);
      if (h == m_hosts.end()) continue;
      size_t k = static_cast<size_t>(std::find(std::begin(schemes), std::end(schemes), h->second.scheme()) - schemes);
      if (!by_scheme[entry_id][k]) continue;
      out.hosts.insert(host_id);
      out.rows[host_id].push_back(entry_id);
    }
    return out;
  }

  const InventoryStore& m_store;
  std::map<std::int64_t, StoredHost> m_hosts;
  std::set<std::int64_t> m_all;
  std::map<std::int64_t, std::shared_ptr<const MatchedRow>> m_entries;
};

void check_node(const QueryNode& n, const InventoryStore& store, const std::vector<std::string>& stored_types,
                std::map<std::string, std::vector<std::string>>& attr_cache) {
  for (const auto& c : n.children) check_node(*c, store, stored_types, attr_cache);
  if (n.kind != QueryNode::Kind::cond) return;
  std::vector<std::string> types = stored_types;
  for (const TypeSchema& t : builtin_types()) types.push_back(t.type_name);
  if (std::find(types.begin(), types.end(), n.type_name) == types.end()) {
    std::string hint = starts_with(n.type_name, "Custom:") ? " (no host has reported it)" : "";
    fail(n.column, fmt::format("unknown inventory type '{}'{}", n.type_name, hint), closest_match(n.type_name, types));
  }
  std::vector<std::string> attrs;
  if (const TypeSchema* schema = find_builtin_type(n.type_name)) {
    attrs = schema->attributes;
  } else {
    auto it = attr_cache.find(n.type_name);
    if (it == attr_cache.end()) it = attr_cache.emplace(n.type_name, store.attribute_names(n.type_name)).first;
    attrs = it->second;
  }
  if (std::find(attrs.begin(), attrs.end(), n.attribute) == attrs.end())
    fail(n.column + static_cast<int>(n.type_name.size()) + 1,
         fmt::format("unknown attribute '{}' of {}", n.attribute, n.type_name), closest_match(n.attribute, attrs));
}

} // namespace

std::unique_ptr<QueryNode> parse_query(const std::string& text) {
  if (trim(text).empty()) fail(1, "the query is empty");
  return Parser(tokenize(text)).parse();
}

void check_names(const QueryNode& node, const InventoryStore& store, const std::string& text) {
  (void)text;
  std::map<std::string, std::vector<std::string>> cache;
  check_node(node, store, store.type_names(), cache);
}

bool compare_values(const std::string& attribute, const std::string& row_value, CompareOp op,
                    const std::string& query_value, version::Scheme scheme) {
  if (op == CompareOp::glob) return glob_match(query_value, row_value);
  int c;
  double a = 0, b = 0;
  if (version_attribute(attribute) && !row_value.empty()) {
    c = version::compare(scheme, row_value, query_value);
  } else if (parse_number(row_value, a) && parse_number(query_value, b)) {
    c = a < b ? -1 : (a > b ? 1 : 0);
  } else {
    c = row_value.compare(query_value);
    c = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  switch (op) {
  case CompareOp::eq: return c == 0;
  case CompareOp::ne: return c != 0;
  case CompareOp::lt: return c < 0;
  case CompareOp::le: return c <= 0;
  case CompareOp::gt: return c > 0;
  case CompareOp::ge: return c >= 0;
  case CompareOp::glob: break;
  }
  return false;
}

std::vector<QueryMatch> run_query(const InventoryStore& store, const QueryNode& query) {
  Evaluator ev(store);
  HostRows result = ev.eval(query);
  std::vector<QueryMatch> out;
  for (std::int64_t h : result.hosts) {
    QueryMatch m;
    m.host = ev.host(h).name;
    auto it = result.rows.find(h);
    if (it != result.rows.end()) {
      std::vector<std::int64_t> ids = it->second;
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (std::int64_t e : ids) m.rows.push_back(ev.entry(e));
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const QueryMatch& a, const QueryMatch& b) { return a.host < b.host; });
  return out;
}

std::vector<std::pair<std::string, int>> count_by(const InventoryStore& store, const std::vector<std::string>& hosts,
                                                   const std::string& type_attr) {
  size_t dot = type_attr.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == type_attr.size())
    throw InputError(Location{"--count-by", 1, 1},
                     fmt::format("expected Type.Attribute (e.g. AWS:InstanceInformation.PlatformVersion), found '{}'",
                                 type_attr));
  std::string type = type_attr.substr(0, dot);
  std::string attr = type_attr.substr(dot + 1);
  auto node = parse_query(type + "." + attr + " = x");
  try {
    check_names(*node, store, type_attr);
  } catch (const InputError& e) {
    throw InputError(Location{"--count-by", 1, e.where().column}, e.what(), e.suggestion());
  }
  auto values = store.values_by_host(type, attr);
  std::map<std::string, std::int64_t> ids;
  for (const StoredHost& h : store.hosts()) ids[h.name] = h.id;
  std::map<std::string, int> counts;
  for (const std::string& name : hosts) {
    auto id = ids.find(name);
    if (id == ids.end()) continue;
    auto v = values.find(id->second);
    if (v == values.end() || v->second.empty()) {
      ++counts["(none)"];
      continue;
    }
    for (const std::string& value : v->second) ++counts[value];
  }
  std::vector<std::pair<std::string, int>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

} // namespace sshm::inventory
