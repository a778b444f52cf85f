#pragma once
// Building blocks of the HTML page shared by its sections (html.cpp, html_sections.cpp).
#include "report/markup.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::report {

// A table column: its header and where the cell's value is in each row (a JSON pointer).
struct Column {
  enum class Kind { text, number, status, code };
  const char* header;
  const char* pointer;
  Kind kind = Kind::text;
};

// A real table (caption, th scope=col, sortable by the page's optional script); `key` names
// it for tools (data-k). Rows are JSON objects.
std::string html_table(std::string_view caption, const std::vector<Column>& columns, const nlohmann::json& rows,
                       std::string_view key);
// Summary figures: a list of label and number, each number tagged data-k="key".
struct Tile {
  const char* label;
  nlohmann::json value;
  std::string key;
  std::string css;
};
std::string html_tiles(const std::vector<Tile>& tiles);
// A paragraph saying why a section or part is empty and what would fill it.
std::string html_empty(std::string_view text);
// "and N more" under a list cut at k_list_rows, or "".
std::string html_more(size_t shown, size_t total);
// [{"Value"|label_key, "Count"}] as bars.
std::vector<Bar> bars_of(const nlohmann::json& rows, const char* label_key = "Value", std::string_view css = "");

// j[key] when j is an object holding it, else null (never inserts, never throws).
const nlohmann::json& field(const nlohmann::json& j, const char* key);
// A list field: the array at j[key], or an empty one.
const nlohmann::json& list(const nlohmann::json& j, const char* key);

// The sections.
std::string html_fleet(const nlohmann::json& fleet);
std::string html_patch(const nlohmann::json& patch);
std::string html_associations(const nlohmann::json& associations);
std::string html_runs(const nlohmann::json& runs);
std::string html_inventory(const nlohmann::json& inventory);

} // namespace sshm::report
