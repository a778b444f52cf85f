// Escaping and the inline SVG charts of the report. Charts are plain SVG sized by viewBox,
// coloured by CSS classes (so light and dark themes apply), each with role="img", a <title>
// and a <desc> that says in words what it shows.
#include "report/markup.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sshm::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) out += "\xEF\xBF\xBD";
        else out += c;
    }
  }
  return out;
}

std::string html_value(const nlohmann::json& value) {
  if (value.is_string()) return html_escape(value.get<std::string>());
  if (value.is_null()) return "";
  return html_escape(value.dump());
}

std::string status_class(std::string_view status) {
  std::string out = "s-";
  for (size_t i = 0; i < status.size(); ++i) {
    char c = status[i];
    bool upper = c >= 'A' && c <= 'Z';
    if (c == '_' || c == ' ') {
      out += '-';
    } else if (upper && i > 0 && status[i - 1] >= 'a' && status[i - 1] <= 'z') {
      out += '-';
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (upper) {
      out += static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string_view status_symbol(std::string_view status) {
  std::string cls = status_class(status);
  if (cls == "s-success" || cls == "s-compliant" || cls == "s-reachable") return "\u2713";  // check mark
  if (cls == "s-failed" || cls == "s-non-compliant" || cls == "s-unreachable") return "\u2717";  // ballot x
  if (cls == "s-timed-out" || cls == "s-delivery-timed-out") return "\u29D6";  // hourglass
  if (cls == "s-undeliverable") return "\u2298";  // circled slash
  if (cls == "s-not-scanned" || cls == "s-unknown") return "?";
  if (cls == "s-pending" || cls == "s-in-progress") return "\u2026";
  return "\u2013";  // cancelled, terminated, anything else
}

std::string svg_bars(std::string_view title, const std::vector<Bar>& bars) {
  long long max = 1;
  for (const Bar& b : bars) max = std::max(max, b.count);
  const int row = 22, label_w = 260, bar_w = 300;
  std::string desc, body;
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    desc += fmt::format("{}{}: {}", i ? "; " : "", html_escape(b.label), b.count);
    int y = static_cast<int>(i) * row;
    double w = b.count > 0 ? std::max(2.0, static_cast<double>(bar_w) * static_cast<double>(b.count) / static_cast<double>(max)) : 0;
    std::string label = b.label.size() > 40 ? b.label.substr(0, 38) + "\u2026" : b.label;
    body += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"bar {}\"/>"
        "<text x=\"{:.1f}\" y=\"{}\" class=\"num\">{}</text>",
        label_w - 6, y + 15, html_escape(label), label_w, y + 3, w, row - 6, b.css.empty() ? "accent" : b.css,
        label_w + w + 4, y + 15, b.count);
  }
  int height = std::max(1, static_cast<int>(bars.size())) * row;
  return fmt::format(
      "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title><desc>{}</desc>{}</svg>",
      label_w + bar_w + 60, height, label_w + bar_w + 60, height, html_escape(title), desc, body);
}

std::string svg_stacked(std::string_view title, const std::vector<Bar>& segments, int width) {
  long long total = 0;
  for (const Bar& s : segments) total += s.count;
  std::string desc, body, legend;
  double x = 0;
  for (const Bar& s : segments) {
    if (s.count <= 0) continue;
    double w = static_cast<double>(width) * static_cast<double>(s.count) / static_cast<double>(total);
    desc += fmt::format("{}{}: {}", desc.empty() ? "" : "; ", html_escape(s.label), s.count);
    body += fmt::format("<rect x=\"{:.1f}\" y=\"0\" width=\"{:.1f}\" height=\"18\" class=\"bar {}\"><title>{}: {}</title></rect>",
                        x, w, s.css, html_escape(s.label), s.count);
    legend += fmt::format("<span class=\"key {}\"><span class=\"sym\" aria-hidden=\"true\">{}</span> {} {}</span> ",
                          s.css, status_symbol(s.label), html_escape(s.label), s.count);
    x += w;
  }
  if (total == 0) return "<p class=\"empty\">Nothing to show.</p>";
  return fmt::format(
      "<div class=\"stacked\"><svg class=\"chart\" role=\"img\" viewBox=\"0 0 {} 18\" width=\"{}\" height=\"18\" "
      "preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title><desc>{}</desc>{}</svg>"
      "<div class=\"legend\">{}</div></div>",
      width, width, html_escape(title), desc, body, legend);
}

std::string svg_trend(std::string_view title, const nlohmann::json& days) {
  if (days.empty()) return "<p class=\"empty\">No scans in the period.</p>";
  long long max = 1;
  for (const auto& d : days) max = std::max({max, d.value("Compliant", 0LL), d.value("NonCompliant", 0LL)});
  const double w = 560, h = 140, left = 40, top = 10;
  double step = days.size() > 1 ? w / static_cast<double>(days.size() - 1) : 0;
  std::string ok_pts, bad_pts, dots, axis, desc;
  for (size_t i = 0; i < days.size(); ++i) {
    double px = left + step * static_cast<double>(i) + (days.size() == 1 ? w / 2 : 0);
    auto py = [&](long long v) { return top + h - h * static_cast<double>(v) / static_cast<double>(max); };
    long long ok = days[i].value("Compliant", 0LL), bad = days[i].value("NonCompliant", 0LL);
    ok_pts += fmt::format("{:.1f},{:.1f} ", px, py(ok));
    bad_pts += fmt::format("{:.1f},{:.1f} ", px, py(bad));
    dots += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" class=\"s-compliant\"/>"
                        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"6\" height=\"6\" class=\"s-non-compliant\"/>",
                        px, py(ok), px - 3, py(bad) - 3);
    std::string raw = days[i].value("Date", "");
    std::string date = html_escape(raw);
    desc += fmt::format("{}{}: {} compliant, {} non-compliant", i ? "; " : "", date, ok, bad);
    if (days.size() <= 10 || i % (days.size() / 8 + 1) == 0)
      axis += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" class=\"lbl\">{}</text>", px, top + h + 16,
                          html_escape(raw.size() >= 10 ? raw.substr(5) : raw));
  }
  return fmt::format(
      "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title><desc>{}</desc>"
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\" "
      "class=\"lbl\">0</text>"
      "<polyline points=\"{}\" class=\"line s-compliant\"/><polyline points=\"{}\" class=\"line dashed s-non-compliant\"/>"
      "{}{}</svg>"
      "<div class=\"legend\"><span class=\"key s-compliant\">\u25CF solid: compliant</span> "
      "<span class=\"key s-non-compliant\">\u25A0 dashed: non-compliant</span></div>",
      w + left + 20, h + top + 24, w + left + 20, h + top + 24, html_escape(title), desc, left, top + h, left + w, top + h,
      left - 4, top + 4, max, left - 4, top + h, ok_pts, bad_pts, dots, axis);
}

} // namespace sshm::report
