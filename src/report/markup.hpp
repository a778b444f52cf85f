#pragma once
// The pieces the HTML page is drawn with: escaping and the inline SVG charts. Every
// function that takes text escapes it; only these functions write markup.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::report {

// Text for HTML element content and quoted attribute values: & < > " ' become entities, and
// control characters other than tab and newline become U+FFFD (they are not allowed in HTML).
std::string html_escape(std::string_view text);
// A JSON value as escaped text: strings as they are, numbers as numbers, null as "".
std::string html_value(const nlohmann::json& value);

// A CSS class for an SSM status (Success -> s-success, NON_COMPLIANT -> s-non-compliant).
std::string status_class(std::string_view status);
// A symbol for a status, so colour is never the only signal.
std::string_view status_symbol(std::string_view status);

struct Bar {
  std::string label;
  long long count = 0;
  std::string css;  // a status class, or "" for the accent colour
};

// A horizontal bar per row, label and count written next to it. `title` names the chart
// for screen readers; the description lists every value.
std::string svg_bars(std::string_view title, const std::vector<Bar>& bars);
// One bar split into segments (a status distribution), with a legend that names each
// segment, its symbol and its count.
std::string svg_stacked(std::string_view title, const std::vector<Bar>& segments, int width = 600);
// Compliant and non-compliant hosts per day: two lines (solid and dashed) with dots.
std::string svg_trend(std::string_view title, const nlohmann::json& days);

} // namespace sshm::report
