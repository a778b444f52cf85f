#include "util/version.hpp"

#include <array>
#include <utility>

namespace sshm::version {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

int sign(long long v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// Orders two runs of digits as the numbers they spell, at any length: leading zeros
// dropped, then the longer number is the larger, then digit by digit.
int compare_numbers(std::string_view a, std::string_view b) {
  while (!a.empty() && a.front() == '0') a.remove_prefix(1);
  while (!b.empty() && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

// ---- dpkg -------------------------------------------------------------------------------

// The weight of one character in a non-digit run: '~' sorts before the end of the string,
// the end before letters, letters before everything else. Other bytes weigh as dpkg's
// (signed) char plus 256, so bytes above 0x7f sort after letters and before punctuation.
int dpkg_weight(char c) {
  if (c == '~') return -1;
  if (c == '\0' || is_digit(c)) return 0;
  if (is_alpha(c)) return c;
  return static_cast<signed char>(c) + 256;
}

// Compares an upstream version or a revision: alternately a non-digit run, character by
// character by weight, and a digit run, by numeric value.
int dpkg_part_compare(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int wa = dpkg_weight(at(a, i));
      int wb = dpkg_weight(at(b, j));
      if (wa != wb) return wa < wb ? -1 : 1;
      i += i < a.size();  // only a NUL byte weighs as the end; never step past it
      j += j < b.size();
    }
    size_t si = i;
    size_t sj = j;
    while (is_digit(at(a, i))) ++i;
    while (is_digit(at(b, j))) ++j;
    if (int c = compare_numbers(a.substr(si, i - si), b.substr(sj, j - sj))) return c;
  }
  return 0;
}

struct DpkgVersion {
  std::string_view epoch;  // digits, "" for none
  std::string_view upstream;
  std::string_view revision;  // after the last '-', "" for none
};

DpkgVersion split_dpkg(std::string_view s) {
  DpkgVersion v;
  size_t colon = s.find(':');
  if (colon != std::string_view::npos && all_digits(s.substr(0, colon))) {
    v.epoch = s.substr(0, colon);
    s.remove_prefix(colon + 1);
  }
  size_t dash = s.rfind('-');
  if (dash != std::string_view::npos) {
    v.revision = s.substr(dash + 1);
    s = s.substr(0, dash);
  }
  v.upstream = s;
  return v;
}

int dpkg_compare(std::string_view a, std::string_view b) {
  DpkgVersion x = split_dpkg(a);
  DpkgVersion y = split_dpkg(b);
  if (int c = compare_numbers(x.epoch, y.epoch)) return c;
  if (int c = dpkg_part_compare(x.upstream, y.upstream)) return c;
  return dpkg_part_compare(x.revision, y.revision);
}

// ---- rpm --------------------------------------------------------------------------------

bool rpm_separator(char c) { return !is_digit(c) && !is_alpha(c) && c != '~' && c != '^'; }

// rpmvercmp on one version or release string. Segments are runs of digits or of letters;
// other characters only separate them. A number is newer than letters; '~' sorts before
// anything, even the end; '^' after the end but before anything else.
int rpm_segments_compare(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  size_t i = 0;
  size_t j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && rpm_separator(a[i])) ++i;
    while (j < b.size() && rpm_separator(b[j])) ++j;
    char ca = at(a, i);
    char cb = at(b, j);
    if (ca == '~' || cb == '~') {
      if (ca != cb) return ca == '~' ? -1 : 1;
    } else if (ca == '^' || cb == '^') {
      if (ca == '\0' || cb == '\0') return ca == '\0' ? -1 : 1;
      if (ca != cb) return ca == '^' ? -1 : 1;
    } else if (ca == '\0' || cb == '\0') {
      break;
    } else {
      bool numeric = is_digit(ca);
      auto in_segment = [numeric](char c) { return numeric ? is_digit(c) : is_alpha(c); };
      size_t si = i;
      size_t sj = j;
      while (i < a.size() && in_segment(a[i])) ++i;
      while (j < b.size() && in_segment(b[j])) ++j;
      if (j == sj) return numeric ? 1 : -1;  // segments of different kinds
      std::string_view sa = a.substr(si, i - si);
      std::string_view sb = b.substr(sj, j - sj);
      if (int c = numeric ? compare_numbers(sa, sb) : sign(sa.compare(sb))) return c;
      continue;
    }
    ++i;  // both at the same '~' or '^'
    ++j;
  }
  if (i >= a.size() && j >= b.size()) return 0;
  return i >= a.size() ? -1 : 1;
}

struct RpmVersion {
  std::string_view epoch;  // digits, "" for none (epoch 0)
  std::string_view version;
  std::string_view release;  // after the last '-', "" for none
};

RpmVersion split_rpm(std::string_view s) {
  RpmVersion v;
  size_t digits = 0;
  while (digits < s.size() && is_digit(s[digits])) ++digits;
  if (digits < s.size() && s[digits] == ':') {
    v.epoch = s.substr(0, digits);
    s.remove_prefix(digits + 1);
  }
  size_t dash = s.rfind('-');
  if (dash != std::string_view::npos) {
    v.release = s.substr(dash + 1);
    s = s.substr(0, dash);
  }
  v.version = s;
  return v;
}

int rpm_compare(std::string_view a, std::string_view b) {
  RpmVersion x = split_rpm(a);
  RpmVersion y = split_rpm(b);
  if (int c = compare_numbers(x.epoch, y.epoch)) return c;
  if (int c = rpm_segments_compare(x.version, y.version)) return c;
  if (x.release.empty() || y.release.empty()) return 0;
  return rpm_segments_compare(x.release, y.release);
}

// ---- apk --------------------------------------------------------------------------------

// What apk expects next in a version, in the order apk ranks them when two versions agree
// up to a point and then continue differently: the one whose next part ranks lower is newer
// (1.2.1 > 1.2a > 1.2_p1 > 1.2-r1 > 1.2), except that a pre-release suffix is older.
enum class ApkPart { invalid = -1, dot_number, number, letter, suffix, suffix_number, revision, end };

// One part's value: `rank` first, then `digits` as a number. Numbers have rank 0; the
// leading zeros of a number after a dot read as a part of their own, ranked by their count
// negated, before the digits that follow (apk's rule: 1.001 < 1.01 < 1.1); letters rank by
// their code, suffixes by their place in the suffix list.
struct ApkValue {
  long long rank = 0;
  std::string_view digits;
};

int apk_value_compare(const ApkValue& x, const ApkValue& y) {
  if (x.rank != y.rank) return x.rank < y.rank ? -1 : 1;
  return compare_numbers(x.digits, y.digits);
}

// The rank of the suffix name at the start of `s` and its length; {-1, 0} when it is none.
std::pair<int, size_t> apk_suffix(std::string_view s) {
  static constexpr std::array<std::string_view, 4> pre = {"alpha", "beta", "pre", "rc"};
  static constexpr std::array<std::string_view, 5> post = {"cvs", "svn", "git", "hg", "p"};
  for (size_t k = 0; k < pre.size(); ++k)
    if (s.substr(0, pre[k].size()) == pre[k]) return {static_cast<int>(k) - static_cast<int>(pre.size()), pre[k].size()};
  for (size_t k = 0; k < post.size(); ++k)
    if (s.substr(0, post[k].size()) == post[k]) return {static_cast<int>(k), post[k].size()};
  return {-1, 0};
}

// Reads an apk version part by part.
class ApkReader {
public:
  explicit ApkReader(std::string_view s) : m_rest(s) {}

  ApkPart next() const { return m_next; }

  // The value of the next part; moves past it.
  ApkValue read() {
    if (m_rest.empty()) {
      m_next = ApkPart::end;
      return {};
    }
    ApkValue v;
    size_t used = 0;
    ApkPart then = ApkPart::invalid;  // invalid: decided by what follows
    switch (m_next) {
    case ApkPart::dot_number:
      if (m_rest[0] == '0') {
        while (used < m_rest.size() && m_rest[used] == '0') ++used;
        v.rank = -static_cast<long long>(used);
        if (used < m_rest.size() && is_digit(m_rest[used])) then = ApkPart::number;
        break;
      }
      [[fallthrough]];
    case ApkPart::number:
    case ApkPart::suffix_number:
    case ApkPart::revision:
      while (used < m_rest.size() && is_digit(m_rest[used])) ++used;
      v.digits = m_rest.substr(0, used);
      break;
    case ApkPart::letter:
      v.rank = static_cast<unsigned char>(m_rest[0]);
      used = 1;
      break;
    case ApkPart::suffix: {
      auto [rank, length] = apk_suffix(m_rest);
      v.rank = rank;
      if (length == 0) {
        m_next = ApkPart::invalid;
        return v;
      }
      used = length;
      then = ApkPart::suffix_number;
      break;
    }
    default:
      m_next = ApkPart::invalid;
      return {-1, {}};
    }
    m_rest.remove_prefix(used);
    if (m_rest.empty()) m_next = ApkPart::end;
    else if (then != ApkPart::invalid) m_next = then;
    else classify();
    return v;
  }

  // The rank of the suffix that comes next (-1 when it is not a known one), without moving.
  int peek_suffix_rank() const { return apk_suffix(m_rest).first; }

private:
  // Decides which part follows the one just read, consuming its separator.
  void classify() {
    ApkPart prev = m_next;
    ApkPart n = ApkPart::invalid;
    char c = m_rest[0];
    if ((prev == ApkPart::number || prev == ApkPart::dot_number) && is_lower(c)) {
      n = ApkPart::letter;
    } else if (prev == ApkPart::letter && is_digit(c)) {
      n = ApkPart::number;
    } else {
      if (c == '.') n = ApkPart::dot_number;
      else if (c == '_') n = ApkPart::suffix;
      else if (c == '-' && m_rest.size() > 1 && m_rest[1] == 'r') n = ApkPart::revision;
      m_rest.remove_prefix(n == ApkPart::revision ? 2 : 1);
    }
    // Parts come in order; the only steps back are a dot after a number, another suffix
    // after a suffix's number, and a number after a letter.
    bool allowed_back = (n == ApkPart::dot_number && prev == ApkPart::number) ||
                        (n == ApkPart::suffix && prev == ApkPart::suffix_number) ||
                        (n == ApkPart::number && prev == ApkPart::letter);
    if (n < prev && !allowed_back) n = ApkPart::invalid;
    m_next = n;
  }

  std::string_view m_rest;
  ApkPart m_next = ApkPart::number;
};

int apk_compare(std::string_view a, std::string_view b) {
  ApkReader x(a);
  ApkReader y(b);
  ApkValue vx;
  ApkValue vy;
  while (x.next() == y.next() && x.next() != ApkPart::end && x.next() != ApkPart::invalid &&
         apk_value_compare(vx, vy) == 0) {
    vx = x.read();
    vy = y.read();
  }
  if (int c = apk_value_compare(vx, vy)) return c;
  if (x.next() == y.next()) return 0;
  // Equal so far, then one goes on: it is newer, unless it goes on with a pre-release suffix.
  if (x.next() == ApkPart::suffix && x.peek_suffix_rank() < 0) return -1;
  if (y.next() == ApkPart::suffix && y.peek_suffix_rank() < 0) return 1;
  return x.next() > y.next() ? -1 : 1;
}

} // namespace

int compare(Scheme scheme, std::string_view a, std::string_view b) {
  switch (scheme) {
  case Scheme::dpkg: return dpkg_compare(a, b);
  case Scheme::rpm: return rpm_compare(a, b);
  case Scheme::apk: return apk_compare(a, b);
  }
  return 0;
}

std::optional<Scheme> scheme_for(std::string_view package_manager) {
  static constexpr std::pair<std::string_view, Scheme> names[] = {
      {"dpkg", Scheme::dpkg}, {"apt", Scheme::dpkg},   {"apt-get", Scheme::dpkg}, {"rpm", Scheme::rpm},
      {"dnf", Scheme::rpm},   {"yum", Scheme::rpm},    {"zypper", Scheme::rpm},   {"tdnf", Scheme::rpm},
      {"microdnf", Scheme::rpm}, {"apk", Scheme::apk},
  };
  for (const auto& [n, s] : names)
    if (n == package_manager) return s;
  return std::nullopt;
}

std::string_view name(Scheme scheme) {
  switch (scheme) {
  case Scheme::dpkg: return "dpkg";
  case Scheme::rpm: return "rpm";
  case Scheme::apk: return "apk";
  }
  return "dpkg";
}

} // namespace sshm::version
