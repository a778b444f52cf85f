#include "patch/version.hpp"

#include <cctype>
#include <string>

namespace sshm::patch {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char at(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }

// dpkg's weight of one non-digit character: ~ before the end, the end before letters,
// letters before everything else.
int deb_order(char c) {
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return c;
  if (c == '~') return -1;
  if (c) return static_cast<unsigned char>(c) + 256;
  return 0;
}

int deb_part_compare(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = deb_order(at(a, i));
      int bc = deb_order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    int first_diff = 0;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (is_digit(at(a, i))) return 1;
    if (is_digit(at(b, j))) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

struct Evr {
  unsigned long long epoch = 0;
  std::string_view version;
  std::string_view release;
};

// Splits "[epoch:]version[-release]"; the release starts after the last '-'.
Evr split_evr(std::string_view s) {
  Evr e;
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    bool digits = colon > 0;
    for (size_t k = 0; k < colon; ++k) digits = digits && is_digit(s[k]);
    if (digits) {
      for (size_t k = 0; k < colon && k < 18; ++k) e.epoch = e.epoch * 10 + static_cast<unsigned>(s[k] - '0');
      s.remove_prefix(colon + 1);
    }
  }
  size_t dash = s.rfind('-');
  if (dash != std::string_view::npos) {
    e.version = s.substr(0, dash);
    e.release = s.substr(dash + 1);
  } else {
    e.version = s;
  }
  return e;
}

int sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// rpmvercmp: alternating numeric and alphabetic segments, separators ignored,
// '~' sorts before anything (even the end), '^' after the end but before anything else.
int rpm_segment_compare(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  size_t i = 0;
  size_t j = 0;
  auto is_alnum = [](char c) { return is_digit(c) || is_alpha(c); };
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && !is_alnum(a[i]) && a[i] != '~' && a[i] != '^') ++i;
    while (j < b.size() && !is_alnum(b[j]) && b[j] != '~' && b[j] != '^') ++j;
    char ca = at(a, i);
    char cb = at(b, j);
    if (ca == '~' || cb == '~') {
      if (ca != '~') return 1;
      if (cb != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    if (ca == '^' || cb == '^') {
      if (!ca) return -1;
      if (!cb) return 1;
      if (ca != '^') return 1;
      if (cb != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (!ca || !cb) break;
    size_t si = i;
    size_t sj = j;
    bool numeric = is_digit(ca);
    if (numeric) {
      while (is_digit(at(a, i))) ++i;
      while (is_digit(at(b, j))) ++j;
    } else {
      while (is_alpha(at(a, i))) ++i;
      while (is_alpha(at(b, j))) ++j;
    }
    std::string_view sa = a.substr(si, i - si);
    std::string_view sb = b.substr(sj, j - sj);
    if (sb.empty()) return numeric ? 1 : -1;
    if (numeric) {
      while (sa.size() > 1 && sa[0] == '0') sa.remove_prefix(1);
      while (sb.size() > 1 && sb[0] == '0') sb.remove_prefix(1);
      if (sa.size() != sb.size()) return sa.size() > sb.size() ? 1 : -1;
    }
    int rc = sa.compare(sb);
    if (rc) return sign(rc);
  }
  bool a_left = i < a.size();
  bool b_left = j < b.size();
  if (!a_left && !b_left) return 0;
  return a_left ? 1 : -1;
}

// apk suffix weights: pre-release suffixes sort before the bare version, post-release after.
int apk_suffix_rank(std::string_view name) {
  static const std::pair<std::string_view, int> ranks[] = {
      {"alpha", -4}, {"beta", -3}, {"pre", -2}, {"rc", -1}, {"cvs", 1}, {"svn", 2}, {"git", 3}, {"hg", 4}, {"p", 5}};
  for (const auto& [n, r] : ranks)
    if (n == name) return r;
  return 0;
}

} // namespace

int compare_deb_versions(std::string_view a, std::string_view b) {
  Evr ea = split_evr(a);
  Evr eb = split_evr(b);
  if (ea.epoch != eb.epoch) return ea.epoch < eb.epoch ? -1 : 1;
  if (int rc = deb_part_compare(ea.version, eb.version)) return sign(rc);
  return sign(deb_part_compare(ea.release, eb.release));
}

int compare_rpm_versions(std::string_view a, std::string_view b) {
  Evr ea = split_evr(a);
  Evr eb = split_evr(b);
  if (ea.epoch != eb.epoch) return ea.epoch < eb.epoch ? -1 : 1;
  if (int rc = rpm_segment_compare(ea.version, eb.version)) return rc;
  if (ea.release.empty() || eb.release.empty()) return 0;
  return rpm_segment_compare(ea.release, eb.release);
}

int compare_apk_versions(std::string_view a, std::string_view b) {
  auto split_apk = [](std::string_view s, std::string_view& base, std::string_view& suffix,
                      unsigned long long& suffix_num, unsigned long long& rel) {
    rel = 0;
    size_t r = s.rfind("-r");
    if (r != std::string_view::npos) {
      std::string_view digits = s.substr(r + 2);
      bool ok = !digits.empty();
      for (char c : digits) ok = ok && is_digit(c);
      if (ok) {
        for (char c : digits.substr(0, 18)) rel = rel * 10 + static_cast<unsigned>(c - '0');
        s = s.substr(0, r);
      }
    }
    size_t u = s.find('_');
    base = s.substr(0, u);
    suffix = {};
    suffix_num = 0;
    if (u != std::string_view::npos) {
      std::string_view rest = s.substr(u + 1);
      size_t k = 0;
      while (k < rest.size() && is_alpha(rest[k])) ++k;
      suffix = rest.substr(0, k);
      for (size_t d = k; d < rest.size() && d < k + 18 && is_digit(rest[d]); ++d)
        suffix_num = suffix_num * 10 + static_cast<unsigned>(rest[d] - '0');
    }
  };
  std::string_view ba, sa, bb, sb;
  unsigned long long na = 0, nb = 0, ra = 0, rb = 0;
  split_apk(a, ba, sa, na, ra);
  split_apk(b, bb, sb, nb, rb);
  if (int rc = rpm_segment_compare(ba, bb)) return rc;
  int ka = sa.empty() ? 0 : apk_suffix_rank(sa);
  int kb = sb.empty() ? 0 : apk_suffix_rank(sb);
  if (ka != kb) return ka < kb ? -1 : 1;
  if (na != nb) return na < nb ? -1 : 1;
  if (ra != rb) return ra < rb ? -1 : 1;
  return 0;
}

VersionCompare version_compare_for(std::string_view package_manager) {
  if (package_manager == "apt") return compare_deb_versions;
  if (package_manager == "apk") return compare_apk_versions;
  return compare_rpm_versions;
}

} // namespace sshm::patch
