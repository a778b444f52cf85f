#include "inventory/version.hpp"

#include <cctype>
#include <string>

namespace sshm::inventory {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Weight of one character in dpkg's non-digit comparison: ~ sorts before the end of the
// string, which sorts before letters, which sort before everything else.
int dpkg_order(char c) {
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  if (c != 0) return static_cast<unsigned char>(c) + 256;
  return 0;
}

// Compares two upstream or revision parts, alternating non-digit and digit runs.
int dpkg_part_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int wa = dpkg_order(at(a, i));
      int wb = dpkg_order(at(b, j));
      if (wa != wb) return wa - wb;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    int first_diff = 0;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_diff == 0) first_diff = at(a, i) - at(b, j);
      ++i;
      ++j;
    }
    if (is_digit(at(a, i))) return 1;
    if (is_digit(at(b, j))) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

struct Evr {
  unsigned long long epoch = 0;
  std::string_view version;
  std::string_view release;
  bool has_release = false;
};

Evr split_evr(std::string_view s) {
  Evr e;
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    bool digits = colon > 0;
    for (size_t k = 0; k < colon; ++k) digits = digits && is_digit(s[k]);
    if (digits) {
      e.epoch = std::stoull(std::string(s.substr(0, colon)));
      s.remove_prefix(colon + 1);
    }
  }
  size_t dash = s.rfind('-');
  if (dash != std::string_view::npos) {
    e.release = s.substr(dash + 1);
    e.has_release = true;
    s = s.substr(0, dash);
  }
  e.version = s;
  return e;
}

int sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

} // namespace

int dpkg_compare(std::string_view a, std::string_view b) {
  Evr x = split_evr(a);
  Evr y = split_evr(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int c = dpkg_part_compare(x.version, y.version); c != 0) return sign(c);
  return sign(dpkg_part_compare(x.release, y.release));
}

int rpm_segment_compare(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  size_t i = 0, j = 0;
  auto skip = [](std::string_view s, size_t& k) {
    while (k < s.size() && !is_digit(s[k]) && !is_alpha(s[k]) && s[k] != '~' && s[k] != '^') ++k;
  };
  while (i < a.size() || j < b.size()) {
    skip(a, i);
    skip(b, j);
    bool a_end = i >= a.size(), b_end = j >= b.size();
    // A tilde sorts before anything, even the end of the string.
    if ((!a_end && a[i] == '~') || (!b_end && b[j] == '~')) {
      if (a_end || a[i] != '~') return 1;
      if (b_end || b[j] != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    // A caret sorts after the end of the string but before anything else.
    if ((!a_end && a[i] == '^') || (!b_end && b[j] == '^')) {
      if (a_end) return -1;
      if (b_end) return 1;
      if (a[i] != '^') return 1;
      if (b[j] != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (a_end || b_end) break;
    size_t si = i, sj = j;
    bool numeric = is_digit(a[i]);
    if (numeric) {
      while (i < a.size() && is_digit(a[i])) ++i;
      while (j < b.size() && is_digit(b[j])) ++j;
    } else {
      while (i < a.size() && is_alpha(a[i])) ++i;
      while (j < b.size() && is_alpha(b[j])) ++j;
    }
    std::string_view sa = a.substr(si, i - si);
    std::string_view sb = b.substr(sj, j - sj);
    // Segments of different kinds: a number is newer than letters.
    if (sb.empty()) return numeric ? 1 : -1;
    if (numeric) {
      while (!sa.empty() && sa.front() == '0') sa.remove_prefix(1);
      while (!sb.empty() && sb.front() == '0') sb.remove_prefix(1);
      if (sa.size() != sb.size()) return sa.size() > sb.size() ? 1 : -1;
    }
    if (int c = sa.compare(sb); c != 0) return sign(c);
  }
  bool a_end = i >= a.size(), b_end = j >= b.size();
  if (a_end && b_end) return 0;
  return a_end ? -1 : 1;
}

int rpm_compare(std::string_view a, std::string_view b) {
  Evr x = split_evr(a);
  Evr y = split_evr(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int c = rpm_segment_compare(x.version, y.version); c != 0) return c;
  if (x.has_release && y.has_release) return rpm_segment_compare(x.release, y.release);
  return 0;
}

int version_compare(VersionScheme scheme, std::string_view a, std::string_view b) {
  return scheme == VersionScheme::rpm ? rpm_compare(a, b) : dpkg_compare(a, b);
}

} // namespace sshm::inventory
