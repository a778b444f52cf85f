#include "fleet/ranges.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <fmt/format.h>

namespace sshm::fleet {

namespace {

constexpr size_t k_max_names = 1000000;
constexpr std::string_view k_letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

long long to_number(std::string_view s, std::string_view what) {
  if (!all_digits(s) || s.size() > 15) throw InputError(fmt::format("{} '{}' is not a number", what, s));
  return std::stoll(std::string(s));
}

std::string zero_fill(long long value, size_t width) {
  std::string s = std::to_string(value);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

void expand_into(const std::string& pattern, std::vector<std::string>& out) {
  size_t open = pattern.find('[');
  size_t close = pattern.find(']');
  if (close == std::string::npos || close < open)
    throw InputError(fmt::format("host range in '{}' has no closing ']'", pattern));
  std::string head = pattern.substr(0, open);
  std::string range = pattern.substr(open + 1, close - open - 1);
  std::string tail = pattern.substr(close + 1);

  std::vector<std::string> bounds;
  size_t start = 0;
  for (size_t i = 0; i <= range.size(); ++i) {
    if (i == range.size() || range[i] == ':') {
      bounds.push_back(range.substr(start, i - start));
      start = i + 1;
    }
  }
  if (bounds.size() != 2 && bounds.size() != 3)
    throw InputError(fmt::format("host range '[{}]' must be [begin:end] or [begin:end:step]", range));
  std::string begin = bounds[0].empty() ? "0" : bounds[0];
  const std::string& end = bounds[1];
  if (end.empty()) throw InputError(fmt::format("host range '[{}]' has no end value", range));
  long long step = bounds.size() == 3 ? to_number(bounds[2], "host range step") : 1;
  if (step <= 0) throw InputError(fmt::format("host range step in '[{}]' must be positive", range));
  size_t width = 0;
  if (begin[0] == '0' && begin.size() > 1) {
    width = begin.size();
    if (end.size() != width)
      throw InputError(fmt::format("host range '[{}]' must have begin and end of equal length", range));
  }

  std::vector<std::string> items;
  size_t letter_begin = k_letters.find(begin);
  size_t letter_end = k_letters.find(end);
  if (letter_begin != std::string_view::npos && letter_end != std::string_view::npos) {
    if (letter_begin > letter_end) throw InputError(fmt::format("host range '[{}]' must have begin <= end", range));
    for (size_t i = letter_begin; i <= letter_end; i += static_cast<size_t>(step)) items.emplace_back(1, k_letters[i]);
  } else {
    long long from = to_number(begin, "host range begin");
    long long to = to_number(end, "host range end");
    if (to >= from && static_cast<size_t>((to - from) / step) >= k_max_names)
      throw InputError(fmt::format("host range '[{}]' has more than {} names", range, k_max_names));
    for (long long v = from; v <= to; v += step) items.push_back(width ? zero_fill(v, width) : std::to_string(v));
  }
  for (const auto& item : items) {
    std::string name = head + item + tail;
    if (name.find('[') != std::string::npos) {
      expand_into(name, out);
    } else {
      out.push_back(std::move(name));
    }
    if (out.size() > k_max_names)
      throw InputError(fmt::format("host pattern '{}' has more than {} names", pattern, k_max_names));
  }
}

// Ansible's numeric or one-letter range in a host name: [1:3], [a:f], [01:10:2].
bool is_alnum_range(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  std::string_view in = s.substr(1, s.size() - 2);
  size_t colon = in.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view a = in.substr(0, colon);
  std::string_view rest = in.substr(colon + 1);
  size_t colon2 = rest.find(':');
  std::string_view b = rest.substr(0, colon2);
  if (colon2 != std::string_view::npos && !all_digits(rest.substr(colon2 + 1))) return false;
  auto letter = [](std::string_view x) { return x.size() == 1 && std::isalpha(static_cast<unsigned char>(x[0])); };
  return (all_digits(a) && all_digits(b)) || (letter(a) && letter(b));
}

bool word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || u >= 0x80;
}

// A DNS-like name whose labels may hold ranges, as Ansible's 'hostname' pattern.
bool is_hostname(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i <= s.size()) {
    // One label.
    size_t n = 0;
    char last = 0;
    while (i < s.size() && s[i] != '.') {
      if (s[i] == '[') {
        size_t close = s.find(']', i);
        if (close == std::string_view::npos || !is_alnum_range(s.substr(i, close - i + 1))) return false;
        i = close + 1;
        last = ']';
      } else if (word_char(s[i]) || (n > 0 && s[i] == '-')) {
        last = s[i++];
      } else {
        return false;
      }
      ++n;
    }
    if (n == 0 || last == '-' || last == '_') return false;
    if (i == s.size()) return true;
    ++i;  // the dot
  }
  return false;
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t dot = s.find('.', i);
    std::string_view part = s.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
    bool ok = false;
    if (all_digits(part) && part.size() <= 3) ok = std::stoi(std::string(part)) <= 255;
    else if (part.size() > 2 && part.front() == '[') ok = is_alnum_range(part) && all_digits(part.substr(1, 1));
    if (!ok) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return parts == 4;
}

bool is_ipv6(std::string_view s) {
  if (s.find(':') == std::string_view::npos) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.' && c != '[' && c != ']') return false;
  return true;
}

// "X:22" where X is any run of non-colon characters or whole bracketed expressions.
bool split_port(const std::string& s, std::string& host, int& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size() || !all_digits(std::string_view(s).substr(colon + 1)) ||
      s.size() - colon - 1 > 5)
    return false;
  int depth = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (s[i] == '[') {
      if (depth) return false;
      depth = 1;
    } else if (s[i] == ']') {
      if (!depth) return false;
      depth = 0;
    } else if (s[i] == ':' && !depth) {
      return false;
    }
  }
  if (depth) return false;
  host = s.substr(0, colon);
  port = std::stoi(s.substr(colon + 1));
  return true;
}

// One ClusterShell bracket body: 1,3-5,08-10/2.
bool is_nodeset_body(std::string_view body) {
  if (body.empty()) return false;
  size_t i = 0;
  while (true) {
    size_t comma = body.find(',', i);
    std::string_view item = body.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      if (!all_digits(item.substr(slash + 1))) return false;
      item = item.substr(0, slash);
    }
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!all_digits(item)) return false;
    } else if (!all_digits(item.substr(0, dash)) || !all_digits(item.substr(dash + 1))) {
      return false;
    }
    if (comma == std::string_view::npos) return true;
    i = comma + 1;
  }
}

std::vector<std::string> expand_nodeset_body(std::string_view body) {
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    size_t comma = body.find(',', i);
    std::string_view item = body.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    long long step = 1;
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      step = to_number(item.substr(slash + 1), "node set step");
      item = item.substr(0, slash);
      if (step <= 0) throw InputError(fmt::format("node set step in '[{}]' must be positive", body));
    }
    size_t dash = item.find('-');
    std::string_view lo = item.substr(0, dash);
    std::string_view hi = dash == std::string_view::npos ? lo : item.substr(dash + 1);
    size_t width = lo.size() > 1 && lo[0] == '0' ? lo.size() : 0;
    long long from = to_number(lo, "node set bound");
    long long to = to_number(hi, "node set bound");
    if (to < from) throw InputError(fmt::format("node set range '{}' runs backwards", item));
    if (static_cast<size_t>((to - from) / step) >= k_max_names)
      throw InputError(fmt::format("node set '[{}]' has more than {} names", body, k_max_names));
    for (long long v = from; v <= to; v += step) out.push_back(width ? zero_fill(v, width) : std::to_string(v));
    if (comma == std::string_view::npos) return out;
    i = comma + 1;
  }
}

} // namespace

std::vector<std::string> expand_ansible_range(const std::string& pattern) {
  if (pattern.find('[') == std::string::npos) return {pattern};
  std::vector<std::string> out;
  expand_into(pattern, out);
  return out;
}

HostPort split_host_port(const std::string& pattern) {
  std::string address = pattern;
  int port = 0;
  // [host]:port, then host:port, as Ansible tries both in turn.
  if (address.size() > 3 && address[0] == '[') {
    size_t close = address.rfind("]:");
    if (close != std::string::npos && close > 1 && all_digits(std::string_view(address).substr(close + 2)) &&
        address.size() - close - 2 <= 5) {
      port = std::stoi(address.substr(close + 2));
      address = address.substr(1, close - 1);
    }
  }
  std::string host;
  int p = 0;
  if (split_port(address, host, p)) {
    address = host;
    port = p;
  }
  if (is_ipv4(address) || is_ipv6(address) || is_hostname(address)) return HostPort{address, port};
  return HostPort{pattern, 0};
}

bool is_nodeset(std::string_view text) {
  bool any = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '*' || c == '?' || c == ']') return false;
    if (c == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return false;
      std::string_view body = text.substr(i + 1, close - i - 1);
      if (body.find('[') != std::string_view::npos || !is_nodeset_body(body)) return false;
      any = true;
      i = close + 1;
    } else {
      ++i;
    }
  }
  return any;
}

std::vector<std::string> expand_nodeset(std::string_view text) {
  if (!is_nodeset(text)) throw InputError(fmt::format("'{}' is not a node set such as web[01-40]", text));
  std::vector<std::string> out = {""};
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('[', i);
    std::string_view literal = text.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i);
    for (auto& name : out) name += literal;
    if (open == std::string_view::npos) break;
    size_t close = text.find(']', open);
    auto items = expand_nodeset_body(text.substr(open + 1, close - open - 1));
    if (out.size() * items.size() > k_max_names)
      throw InputError(fmt::format("node set '{}' has more than {} names", text, k_max_names));
    std::vector<std::string> next;
    next.reserve(out.size() * items.size());
    for (const auto& prefix : out)
      for (const auto& item : items) next.push_back(prefix + item);
    out = std::move(next);
    i = close + 1;
  }
  return out;
}

namespace {

// A name cut around its last run of digits: web-002.lan is {"web-", 2, ".lan", width 3}.
struct NumberedName {
  std::string prefix, suffix;
  unsigned long long number = 0;
  size_t width = 0;  // digits written, when zero-padded; 0 when not padded
};

bool split_last_number(const std::string& name, NumberedName& out) {
  size_t end = name.find_last_of("0123456789");
  if (end == std::string::npos) return false;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
  std::string digits = name.substr(begin, end - begin + 1);
  if (digits.size() > 18) return false;  // not a number a node set would hold
  out.prefix = name.substr(0, begin);
  out.suffix = name.substr(end + 1);
  out.number = std::stoull(digits);
  out.width = digits.size() > 1 && digits[0] == '0' ? digits.size() : 0;
  return true;
}

std::string ranges_text(std::vector<unsigned long long> numbers, size_t width) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  auto number = [&](unsigned long long n) { return fmt::format("{:0{}}", n, width); };
  std::string text;
  for (size_t i = 0; i < numbers.size();) {
    size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    text += (text.empty() ? "" : ",") + number(numbers[i]) + (j > i ? "-" + number(numbers[j]) : "");
    i = j + 1;
  }
  return text;
}

} // namespace

std::string fold_nodeset(const std::vector<std::string>& names) {
  // Names that differ only in their last number share one bracket, in order of first sight.
  std::vector<std::pair<bool, std::string>> order;  // {numbered, group key or the name itself}
  std::map<std::string, std::pair<NumberedName, std::vector<unsigned long long>>> groups;
  for (const std::string& name : names) {
    NumberedName n;
    if (!split_last_number(name, n)) {
      order.emplace_back(false, name);
      continue;
    }
    std::string key = n.prefix + '\0' + n.suffix + '\0' + std::to_string(n.width);
    auto [it, fresh] = groups.try_emplace(key, n, std::vector<unsigned long long>{});
    if (fresh) order.emplace_back(true, key);
    it->second.second.push_back(n.number);
  }
  std::vector<std::string> parts;
  for (const auto& [numbered, key] : order) {
    if (!numbered) {
      parts.push_back(key);
      continue;
    }
    const auto& [n, numbers] = groups.at(key);
    std::string body = ranges_text(numbers, n.width);
    bool single = body.find_first_of(",-") == std::string::npos;
    parts.push_back(single ? n.prefix + body + n.suffix : n.prefix + "[" + body + "]" + n.suffix);
  }
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : ",") + p;
  return text;
}

} // namespace sshm::fleet
