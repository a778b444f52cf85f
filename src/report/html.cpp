// The HTML page: one file with its CSS inline, charts as inline SVG, and a few lines of
// script that only make tables sortable (the page reads the same without it).
#include "report/html_parts.hpp"
#include "report/report.hpp"

#include <fmt/format.h>

namespace sshm::report {

namespace {

// Light by default, dark when the reader's system asks; print drops the navigation.
constexpr std::string_view k_css = R"css(
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;--accent:#0969da;
--ok:#1a7f37;--bad:#cf222e;--warn:#bc4c00;--gone:#8250df;--idle:#6e7781;--busy:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--card:#161b22;
--accent:#4493f8;--ok:#3fb950;--bad:#f85149;--warn:#db6d28;--gone:#ab7df8;--idle:#9198a1;--busy:#4493f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 20px}
header{padding-top:24px}h1{margin:0 0 4px;font-size:26px}h2{margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{margin:22px 0 8px;font-size:17px}.meta,.empty,.more,caption{color:var(--muted)}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:14px}a{color:var(--accent)}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0;padding:0;list-style:none}.tile{background:var(--card);
border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px}.tile .tl{display:block;color:var(--muted);
font-size:13px}.tile strong{font-size:26px}
table{border-collapse:collapse;margin:8px 0 16px;width:100%;font-size:14px}caption{text-align:left;padding:4px 0;caption-side:top}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:var(--card);font-weight:600}th[aria-sort]{cursor:pointer}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font-size:12px;max-width:520px}code{font-size:13px}
.chart{max-width:100%;height:auto;display:block}.chart .lbl,.chart .num{fill:var(--fg);font-size:12px}
.bar.accent{fill:var(--accent)}.axis{stroke:var(--line)}.line{fill:none;stroke-width:2}.dashed{stroke-dasharray:6 4}
.stacked{margin:6px 0 12px}.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:13px;margin-top:4px}
.s-success,.s-compliant{fill:var(--ok);stroke:var(--ok);color:var(--ok)}
.s-failed,.s-non-compliant{fill:var(--bad);stroke:var(--bad);color:var(--bad)}
.s-timed-out,.s-delivery-timed-out,.s-critical{fill:var(--warn);stroke:var(--warn);color:var(--warn)}
.s-undeliverable{fill:var(--gone);stroke:var(--gone);color:var(--gone)}
.s-cancelled,.s-terminated,.s-not-scanned,.s-unknown,.s-interrupted{fill:var(--idle);stroke:var(--idle);color:var(--idle)}
.s-pending,.s-in-progress{fill:var(--busy);stroke:var(--busy);color:var(--busy)}
.heat td{text-align:center;font-weight:700;min-width:2em}.heat th[scope=row]{font-weight:400;white-space:nowrap}
.heat td.s-success{background:rgba(26,127,55,.18)}.heat td.s-failed{background:rgba(207,34,46,.2)}
.heat td.s-timed-out,.heat td.s-delivery-timed-out{background:rgba(188,76,0,.2)}.heat td.s-undeliverable{background:rgba(130,80,223,.2)}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media print{nav{display:none}body{font-size:12px}h2{break-after:avoid}table,svg{break-inside:avoid}}
)css";

// Sorting only: click (or Enter on) a header to sort its table; numbers sort as numbers.
// The last line marks the page as scripted, so a test can tell the script ran to its end.
constexpr std::string_view k_script = R"js(
(function(){
function key(td,num){var t=td?td.textContent.trim():'';return num?(parseFloat(t)||0):t.toLowerCase();}
document.querySelectorAll('table.sortable').forEach(function(table){
 var ths=table.querySelectorAll('thead th');
 ths.forEach(function(th,col){
  th.setAttribute('aria-sort','none');th.tabIndex=0;
  function sort(){
   var asc=th.getAttribute('aria-sort')!=='ascending',num=th.classList.contains('n');
   ths.forEach(function(o){o.setAttribute('aria-sort','none');});
   th.setAttribute('aria-sort',asc?'ascending':'descending');
   var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
   rows.sort(function(a,b){var x=key(a.cells[col],num),y=key(b.cells[col],num);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
   rows.forEach(function(r){body.appendChild(r);});
  }
  th.addEventListener('click',sort);
  th.addEventListener('keydown',function(e){if(e.key==='Enter'){sort();}});
 });
});
document.documentElement.setAttribute('data-script','ready');
})();
)js";

std::string header_html(const nlohmann::json& data) {
  std::string targets;
  for (const auto& t : list(data, "Targets")) targets += (targets.empty() ? "" : " AND ") + html_value(t);
  return fmt::format(
      "<header><h1>Fleet report</h1><p class=\"meta\">Generated <time>{}</time> from the sshm state store; "
      "period since <time>{}</time>; hosts: {}.</p>"
      "<nav aria-label=\"Sections\"><ul><li><a href=\"#fleet\">Fleet</a></li><li><a href=\"#patch\">Patch "
      "compliance</a></li><li><a href=\"#associations\">Associations and windows</a></li><li><a href=\"#runs\">Run "
      "Command</a></li><li><a href=\"#inventory\">Inventory</a></li></ul></nav></header>\n",
      html_value(field(data, "GeneratedAt")), html_value(field(data, "Since")), targets.empty() ? "all known" : targets);
}

} // namespace

std::string render_html(const nlohmann::json& raw) {
  // Laundered once: any byte that is not UTF-8 becomes U+FFFD, so the page is valid UTF-8.
  nlohmann::json data =
      nlohmann::json::parse(raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"color-scheme\" content=\"light dark\">\n"
                     "<meta name=\"generator\" content=\"sshm report\">\n";
  page += fmt::format("<title>sshm fleet report {}</title>\n<style>{}</style>\n</head>\n<body>\n",
                      html_value(field(data, "GeneratedAt")), k_css);
  page += header_html(data);
  page += "<main>\n";
  page += html_fleet(field(data, "Fleet"));
  page += html_patch(field(data, "PatchCompliance"));
  page += html_associations(field(data, "Associations"));
  page += html_runs(field(data, "RunCommand"));
  page += html_inventory(field(data, "Inventory"));
  page += "</main>\n<footer><p class=\"meta\">Made by <code>sshm report</code>; the data: <code>sshm report -o "
          "json</code>.</p></footer>\n";
  page += fmt::format("<script>{}</script>\n</body>\n</html>\n", k_script);
  return page;
}

std::string html_table(std::string_view caption, const std::vector<Column>& columns, const nlohmann::json& rows,
                       std::string_view key) {
  std::string out = fmt::format("<table class=\"sortable\" data-k=\"{}\"><caption>{}</caption><thead><tr>",
                                html_escape(key), html_escape(caption));
  for (const Column& c : columns)
    out += fmt::format("<th scope=\"col\"{}>{}</th>", c.kind == Column::Kind::number ? " class=\"n\"" : "",
                       html_escape(c.header));
  out += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const Column& c : columns) {
      nlohmann::json v = row.value(nlohmann::json::json_pointer(c.pointer), nlohmann::json());
      std::string text = html_value(v);
      switch (c.kind) {
        case Column::Kind::number: out += "<td class=\"n\">" + text + "</td>"; break;
        case Column::Kind::code: out += text.empty() ? "<td></td>" : "<td><pre>" + text + "</pre></td>"; break;
        case Column::Kind::status:
          out += v.is_string() && !text.empty()
                     ? fmt::format("<td class=\"{}\"><span aria-hidden=\"true\">{}</span> {}</td>",
                                   status_class(v.get<std::string>()), status_symbol(v.get<std::string>()), text)
                     : "<td></td>";
          break;
        case Column::Kind::text: out += "<td>" + text + "</td>"; break;
      }
    }
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

std::string html_tiles(const std::vector<Tile>& tiles) {
  std::string out = "<ul class=\"tiles\">";
  for (const Tile& t : tiles)
    out += fmt::format("<li class=\"tile {}\"><span class=\"tl\">{}</span> <strong data-k=\"{}\">{}</strong></li>", t.css,
                       html_escape(t.label), html_escape(t.key), html_value(t.value));
  return out + "</ul>\n";
}

const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

const nlohmann::json& list(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& v = field(j, key);
  return v.is_array() ? v : empty;
}

std::string html_empty(std::string_view text) { return fmt::format("<p class=\"empty\">{}</p>\n", html_escape(text)); }

std::string html_more(size_t shown, size_t total) {
  return total > shown ? fmt::format("<p class=\"more\">and {} more not listed.</p>\n", total - shown) : "";
}

std::vector<Bar> bars_of(const nlohmann::json& rows, const char* label_key, std::string_view css) {
  std::vector<Bar> out;
  for (const auto& r : rows) {
    const nlohmann::json& label = field(r, label_key);
    const nlohmann::json& count = field(r, "Count");
    out.push_back({label.is_string() ? label.get<std::string>() : label.dump(),
                   count.is_number_integer() ? count.get<long long>() : 0, std::string(css)});
  }
  return out;
}

} // namespace sshm::report
