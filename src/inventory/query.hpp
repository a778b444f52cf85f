#pragma once
// The inventory query language:
//   Type.Attr OP value   with OP one of = != < <= > >= ~ (glob)
//   AND, OR, NOT (any case), parentheses, values bare or quoted ("..." or '...').
// Comparisons are version-aware on Version attributes (dpkg, rpm or apk ordering, by the host's
// package manager), numeric when both sides are numbers, else plain string order.
// Conditions on one type combined with AND/OR match within one row (Name = openssl AND
// Version < 3.0.13 is one package); NOT in front of such a group means "no row matches"
// (NOT AWS:Application.Name = telnet: hosts without telnet); across types, AND/OR/NOT
// combine hosts.
#include "inventory/inventory_store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sshm::inventory {

enum class CompareOp { eq, ne, lt, le, gt, ge, glob };

struct QueryNode {
  enum class Kind { cond, and_, or_, not_ } kind = Kind::cond;
  std::vector<std::unique_ptr<QueryNode>> children;
  // For conditions:
  std::string type_name;
  std::string attribute;
  CompareOp op = CompareOp::eq;
  std::string value;
  int column = 0;  // 1-based column of the condition in the query text
};

// Parses a query; throws InputError with the column (file "query") on bad syntax.
std::unique_ptr<QueryNode> parse_query(const std::string& text);

// Checks type and attribute names against sshm's types and those in the store; throws
// InputError with the column and a did-you-mean.
void check_names(const QueryNode& node, const InventoryStore& store, const std::string& text);

// Compares one attribute value with a query value, as the query language defines.
bool compare_values(const std::string& attribute, const std::string& row_value, CompareOp op,
                    const std::string& query_value, version::Scheme scheme);

// A row that matched, with its type. One copy, shared by every host whose inventory holds it
// (a query over a fleet matches the same few rows on thousands of hosts).
struct MatchedRow {
  std::string type;
  Row row;
};

struct QueryMatch {
  std::string host;
  std::vector<std::shared_ptr<const MatchedRow>> rows;
};

// Hosts (sorted by name) for which the query holds, with the rows that matched.
std::vector<QueryMatch> run_query(const InventoryStore& store, const QueryNode& query);

// For --count-by Type.Attr: how many of `hosts` have each value (a host counts once per value).
// Hosts without the attribute count under "(none)". Sorted by count, then value.
std::vector<std::pair<std::string, int>> count_by(const InventoryStore& store, const std::vector<std::string>& hosts,
                                                   const std::string& type_attr);

} // namespace sshm::inventory
