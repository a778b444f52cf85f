#include "util/strings.hpp"
#include "util/version.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

using sshm::version::compare;
using sshm::version::Scheme;

namespace {

struct Pair {
  const char* a;
  const char* b;
  int expected;  // compare(a, b)
};

// Checks a table of pairs both ways round.
void check_pairs(Scheme scheme, const std::vector<Pair>& pairs) {
  for (const Pair& p : pairs) {
    std::string a = p.a;
    std::string b = p.b;
    CAPTURE(a);
    CAPTURE(b);
    CHECK(compare(scheme, p.a, p.b) == p.expected);
    CHECK(compare(scheme, p.b, p.a) == -p.expected);
  }
}

// Checks every pair of a list of versions sorted oldest first, all different: n*(n-1)/2
// pairs each way, and each version equal to itself.
void check_ladder(Scheme scheme, const std::vector<const char*>& ladder) {
  for (size_t i = 0; i < ladder.size(); ++i) {
    std::string older = ladder[i];
    CAPTURE(older);
    CHECK(compare(scheme, ladder[i], ladder[i]) == 0);
    for (size_t j = i + 1; j < ladder.size(); ++j) {
      std::string newer = ladder[j];
      CAPTURE(newer);
      CHECK(compare(scheme, ladder[i], ladder[j]) == -1);
      CHECK(compare(scheme, ladder[j], ladder[i]) == 1);
    }
  }
}

// Asks the real `dpkg --compare-versions` to order each pair: -1, 0, 1, or 2 when dpkg
// rejects a version as bad syntax. Nothing when dpkg is not installed.
std::optional<std::vector<int>> dpkg_orders(const std::vector<Pair>& pairs) {
  char path[] = "/tmp/sshm-dpkg-oracle-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream script(path);
    script << "command -v dpkg >/dev/null || { echo missing; exit 0; }\n";
    for (const Pair& p : pairs) {
      std::string a = sshm::shell_quote(p.a);
      std::string b = sshm::shell_quote(p.b);
      script << "dpkg --compare-versions " << a << " lt " << b << " 2>/dev/null; l=$?; "
             << "dpkg --compare-versions " << a << " eq " << b << " 2>/dev/null; echo \"$l $?\"\n";
    }
  }
  std::string output;
  std::string command = std::string("sh ") + path;
  if (FILE* f = popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) output.append(buf, n);
    pclose(f);
  }
  std::remove(path);
  if (output.rfind("missing", 0) == 0) return std::nullopt;
  std::vector<int> orders;
  for (const std::string& line : sshm::split(output, '\n')) {
    if (line.size() != 3) continue;
    int lt = line[0] - '0';
    int eq = line[2] - '0';
    orders.push_back(lt == 2 || eq == 2 ? 2 : (lt == 0 ? -1 : (eq == 0 ? 0 : 1)));
  }
  return orders;
}

// Oldest first, as the real dpkg sorts them (the test asks dpkg again each run).
const std::vector<const char*> k_dpkg_ladder = {
    "0~", "0", "0.1~~", "0.1~~a", "0.1~", "0.1~a", "0.1", "0.9", "0.10", "1.0~~", "1.0~", "1.0~beta1", "1.0~rc1",
    "1.0~rc1+b1", "1.0~rc2", "1.0", "1.0-0.1", "1.0-1~bpo12+1", "1.0-1", "1.0-1A", "1.0-1a", "1.0-1ubuntu1",
    "1.0-1+b1", "1.0-1+b2", "1.0-1+b10", "1.0-1+deb12u1", "1.0-1.1", "1.0-2", "1.0-10", "1.0A", "1.0Z", "1.0a~1",
    "1.0a", "1.0z", "1.0\xc3\xa9", "1.0+", "1.0+dfsg-1", "1.0+dfsg1", "1.0.", "1.0.1", "1.0.9", "1.0.10", "1.1",
    "1.2", "1.10", "2.0", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "3.0.13-1", "10.0", "20230311+deb12u1",
    "20250419~deb12u2", "20250419", "123456789012345678901234567890", "123456789012345678901234567891", "1:0~",
    "1:0.1", "1:1.0-1", "2:0", "10:0", "2147483647:0",
};

// Pairs written out, with dpkg's answer (the test asks dpkg again each run).
const std::vector<Pair> k_dpkg_pairs = {
    // From the Patch Manager and Inventory tests this table replaces.
    {"1.0", "1.0", 0},
    {"1.0-1", "1.0-2", -1},
    {"1.0~rc1", "1.0", -1},
    {"1.0", "1.0+b1", -1},
    {"1:0.9", "2.0", 1},
    {"3.0.11-1~deb12u2", "3.0.13-1~deb12u1", -1},
    {"5.2.15-2+b2", "5.2.15-2+b13", -1},
    {"20230311+deb12u1", "20250419~deb12u2", -1},
    {"1.0a", "1.0", 1},
    {"1.0-1", "1.0", 1},
    {"0:1.0", "1.0", 0},
    {"1.01", "1.1", 0},
    {"1.0", "1.0-0", 0},
    {"3.0.11-1~deb12u2", "3.0.13", -1},
    {"3.0.13-1", "3.0.13", 1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~~", "1.0~", -1},
    {"1:0.1", "2.0", 1},
    {"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
    {"1.2a", "1.2", 1},
    {"1.2a", "1.2+", -1},
    {"5.2.15-2+b8", "5.2.15-2+b10", -1},
    {"1.001", "1.1", 0},
    {"10", "9", 1},
    {"1.0-1ubuntu1", "1.0-1", 1},
    {"3.0.7", "3.0.13", -1},
    // Equal spellings and other corners.
    {"1.0.", "1.0.0", 0},
    {"00:1.0", "0:1.0", 0},
    {"01:1.0", "1:1.0", 0},
    {"1.0-01", "1.0-1", 0},
    {"1.0-0", "1.0-00", 0},
    {"1.0.0", "1.0", 1},
    {"1.0-1-1", "1.0-1", 1},  // the revision starts after the last '-'
    {"1.0-1-1", "1.0-1-2", -1},
    {"1:1.0", "1.0", 1},
    {"2:1.0", "10:0.1", -1},
    {"1.0~", "1.0~~a", 1},
    {"1.0~a", "1.0~b", -1},
    {"a", "b", -1},
    {"1.0.a", "1.0a", 1},
    {"1.0-a", "1.0-1", 1},  // a letter against no letters at all: the letter is newer
    {"1.2.3+git20240101", "1.2.3+git20231231", 1},
    {"2.5.0-1+deb12u1", "2.5.0-1+deb12u1~bpo", 1},
    {"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
    {"1:2.38.1-5+deb12u1", "1:2.38.1-5+b1", 1},
    {"0.0.0", "0", 1},
    {"1.123456789012345678901234567890", "1.123456789012345678901234567891", -1},
    {"1.0\xc3\xa9", "1.0z", 1},  // bytes above 0x7f sort after letters, before punctuation
};

// Oldest first, as rpm 4.18 sorts them.
const std::vector<const char*> k_rpm_ladder = {
    "1.0~~", "1.0~rc1~git123", "1.0~rc1", "1.0~rc1^git1", "1.0~rc2", "1.0", "1.0^", "1.0^git1~pre", "1.0^git1",
    "1.0^git2", "1.0^20160101", "1.0^20160101^git1", "1.0^20160102", "1.0a", "1.0aa", "1.0b", "1.0.1", "1.1",
    "1.01.1", "1.9", "1.10", "2.0", "2.0.1", "2.0.1a", "4.999.9", "5.0", "5.5p1", "5.5p2", "5.5p10", "5.6p1", "6.0",
    "6.0.rc1", "6.5p1", "10a1", "10b2", "10xyz", "10.1xyz", "10.0039", "20101121", "20101122",
    "123456789012345678901234567890", "123456789012345678901234567891", "1:0.1", "1:1.0", "2:0.1",
    "99999999999999999999:0",
};

// rpmvercmp's own expectations, and epoch:version-release ones.
const std::vector<Pair> k_rpm_pairs = {
    {"1.0", "1.0", 0},
    {"1.0", "2.0", -1},
    {"2.0.1", "2.0", 1},
    {"2.0.1a", "2.0.1", 1},
    {"5.5p1", "5.5p2", -1},
    {"5.5p10", "5.5p1", 1},
    {"10xyz", "10.1xyz", -1},
    {"xyz10", "xyz10.1", -1},
    {"xyz.4", "8", -1},
    {"xyz.4", "2", -1},
    {"1.0~rc1", "1.0", -1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~rc1~git123", "1.0~rc1", -1},
    {"1.0^", "1.0", 1},
    {"1.0^git1", "1.0^git2", -1},
    {"1.0^git1", "1.01", -1},
    {"1.0^20160101", "1.0.1", -1},
    {"1.0~rc1^git1", "1.0~rc1", 1},
    {"1.0^git1~pre", "1.0^git1", -1},
    {"a", "1", -1},
    {"1.0a", "1.0.1", -1},
    {"1_0", "1.0", 0},
    {"2.0", "2_0", 0},
    {"a+", "a_", 0},
    {"+a", "_a", 0},
    {"_+", "+_", 0},
    {"+", "_", 0},
    {"1b.fc17", "1.fc17", -1},
    {"1.fc17", "1g.fc17", -1},
    {"1.0", "1.0.", 0},
    {"1..0", "1.0", 0},
    {"10.0001", "10.1", 0},
    {"6.0.rc1", "6.0", 1},
    {"10b2", "10a1", 1},
    {"1.0a", "1.0aa", -1},
    {"4.999.9", "5.0", -1},
    // Epoch, version, release.
    {"0:1.0", "1.0", 0},
    {":1.0", "1.0", 0},
    {"00:1", "0:1", 0},
    {"2:1.0-1", "1:9.0-1", 1},
    {"1:1.0-1", "2.0-1", 1},
    {"1:3.0.7-24.el9", "1:3.0.7-25.el9_3", -1},
    {"0:7.76.1-26.el9_3.1", "7.76.1-26.el9_3.2", -1},
    {"1:3.0.7-27.el9", "3.0.9-1.el9", 1},
    {"3.0.7-27.el9", "3.0.7-28.el9", -1},
    {"3.0.7", "3.0.13", -1},
    {"1.0-1.el9", "1.0-1.el9_3", -1},
    {"1.0-10", "1.0-9", 1},
    {"1.0-1~rc", "1.0-1", -1},
    {"1.0-a", "1.0-1", -1},
    {"1.0-1.fc39", "1.0-1.fc39.1", -1},
    {"1.0~rc1-1", "1.0-1", -1},
    {"1.0^git1-1", "1.0-1", 1},
    {"1.10-1", "1.9-1", 1},
    {"1.0a-1", "1.0-1", 1},
    {"a:1", "a:1", 0},
    // A missing or empty release matches any release, as in rpm's dependency comparison.
    {"1.0-1", "1.0", 0},
    {"3.0.7-27.el9", "3.0.7", 0},
    {"1.0-", "1.0-1", 0},
    {"1:1.0", "1:1.0-5", 0},
};

// Oldest first, by apk-tools' rules.
const std::vector<const char*> k_apk_ladder = {
    "0.1", "0.9", "0.10", "1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_beta2", "1.0_pre1",
    "1.0_rc1", "1.0_rc2", "1.0_rc10", "1.0_rc10-r1", "1.0", "1.0-r1", "1.0-r2", "1.0-r10", "1.0_cvs", "1.0_svn",
    "1.0_git20240101", "1.0_hg1", "1.0_p1", "1.0_p1-r1", "1.0_p2", "1.0a", "1.0b", "1.0b1", "1.0z", "1.0.1_rc1",
    "1.0.1", "1.0.1-r3", "1.0.2", "1.0.10", "1.1_alpha", "1.1", "1.2", "1.10", "2", "2.0", "10", "100",
    "1234567890123456789012345", "1234567890123456789012346",
};

const std::vector<Pair> k_apk_pairs = {
    // From the Patch Manager tests this table replaces.
    {"1.36.1-r15", "1.36.1-r19", -1},
    {"3.1.4-r5", "3.1.4-r1", 1},
    {"1.2_rc1-r0", "1.2-r0", -1},
    {"1.2_p1-r0", "1.2-r0", 1},
    {"1.10-r0", "1.9-r3", 1},
    // Suffixes against each other, with and without numbers.
    {"1.2_alpha", "1.2_beta", -1},
    {"1.2_beta9", "1.2_pre1", -1},
    {"1.2_pre", "1.2_rc", -1},
    {"1.2_rc99", "1.2", -1},
    {"1.2", "1.2_cvs", -1},
    {"1.2_cvs9", "1.2_svn1", -1},
    {"1.2_svn", "1.2_git", -1},
    {"1.2_git99", "1.2_hg1", -1},
    {"1.2_hg", "1.2_p", -1},
    {"1.2_p", "1.2_p1", -1},
    {"1.2_rc", "1.2_rc0", -1},
    {"1.2_rc01", "1.2_rc1", 0},
    {"1.2_alpha1_p1", "1.2_alpha1", 1},
    {"1.2_alpha1_p1", "1.2_alpha2", -1},
    {"1.2_rc1", "1.2_rc1-r0", -1},
    // Revisions.
    {"1.2-r0", "1.2-r00", 0},
    {"1.2-r9", "1.2-r10", -1},
    {"1.2-r1", "1.2_p1", -1},
    {"1.2-r99", "1.2.1", -1},
    // Letters and dots.
    {"1.2a", "1.2.1", -1},
    {"1.2a", "1.2b", -1},
    {"1.2a", "1.2_p1", 1},
    {"1.2a1", "1.2a", 1},
    {"1.2a1", "1.2a2", -1},
    // Leading zeros: the first number is a plain number; after a dot they sort lower.
    {"01", "1", 0},
    {"1.01", "1.1", -1},
    {"1.001", "1.01", -1},
    {"1.01", "1.02", -1},
    {"1.05", "1.5", -1},
    {"2.0", "2.0.0", -1},
    {"1.99999999999999999999", "1.100000000000000000000", -1},
    {"1.2.3.4.5", "1.2.3.4.5", 0},
    {"1.2.3.4.5", "1.2.3.4.6", -1},
};

} // namespace

TEST_CASE("dpkg order is dpkg --compare-versions' order") {
  check_ladder(Scheme::dpkg, k_dpkg_ladder);
  check_pairs(Scheme::dpkg, k_dpkg_pairs);
}

TEST_CASE("dpkg order: the tables agree with the real dpkg") {
  std::vector<Pair> asked = k_dpkg_pairs;
  for (size_t i = 0; i + 1 < k_dpkg_ladder.size(); ++i) asked.push_back({k_dpkg_ladder[i], k_dpkg_ladder[i + 1], -1});
  std::optional<std::vector<int>> orders = dpkg_orders(asked);
  if (!orders) {
    MESSAGE("dpkg is not installed: the tables are checked without it");
    return;
  }
  REQUIRE(orders->size() == asked.size());
  for (size_t i = 0; i < asked.size(); ++i) {
    std::string a = asked[i].a;
    std::string b = asked[i].b;
    CAPTURE(a);
    CAPTURE(b);
    CHECK((*orders)[i] == asked[i].expected);
  }
}

TEST_CASE("rpm order is rpmvercmp's, on epoch:version-release") {
  check_ladder(Scheme::rpm, k_rpm_ladder);
  check_pairs(Scheme::rpm, k_rpm_pairs);
}

TEST_CASE("apk order is apk-tools' order") {
  check_ladder(Scheme::apk, k_apk_ladder);
  check_pairs(Scheme::apk, k_apk_pairs);
}

TEST_CASE("the pairs the two earlier comparators disagreed on") {
  CHECK(compare(Scheme::apk, "1.2_rc1-r0", "1.2-r0") == -1);
  CHECK(compare(Scheme::dpkg, "1.2_rc1-r0", "1.2-r0") == 1);  // the same text on a dpkg host
  CHECK(compare(Scheme::rpm, "1.0-", "1.0-1") == 0);
}

TEST_CASE("numbers of any length compare as numbers and nothing throws") {
  const char* big = "99999999999999999999:1.0";
  const char* bigger = "100000000000000000000:0.1";
  for (Scheme s : {Scheme::dpkg, Scheme::rpm}) {
    CAPTURE(sshm::version::name(s));
    CHECK(compare(s, big, "1:1.0") == 1);
    CHECK(compare(s, big, bigger) == -1);
    CHECK(compare(s, "00000000000000000000000001:1.0", "1:1.0") == 0);
  }
  const std::vector<std::string> odd = {"", ":", "-", "1:", ":1", "~", "^", "_", ".", "-r", "1.0-r", "1.0_", "1.0_x",
                                        "a", "1.0A", "1..2", "1.0-rr", "\xff", std::string(1, '\0'),
                                        std::string(5000, '9'), std::string(5000, '0') + "1", big};
  for (Scheme s : {Scheme::dpkg, Scheme::rpm, Scheme::apk}) {
    for (const std::string& a : odd) {
      CHECK(compare(s, a, a) == 0);
      for (const std::string& b : odd) {
        int ab = 2;
        int ba = 2;
        CHECK_NOTHROW(ab = compare(s, a, b));
        CHECK_NOTHROW(ba = compare(s, b, a));
        CHECK(ab == -ba);
      }
    }
  }
}

TEST_CASE("a package manager's name picks its scheme") {
  using sshm::version::scheme_for;
  CHECK(scheme_for("apt") == Scheme::dpkg);
  CHECK(scheme_for("dpkg") == Scheme::dpkg);
  CHECK(scheme_for("dnf") == Scheme::rpm);
  CHECK(scheme_for("yum") == Scheme::rpm);
  CHECK(scheme_for("zypper") == Scheme::rpm);
  CHECK(scheme_for("rpm") == Scheme::rpm);
  CHECK(scheme_for("apk") == Scheme::apk);
  CHECK_FALSE(scheme_for("").has_value());
  CHECK_FALSE(scheme_for("pacman").has_value());
  for (Scheme s : {Scheme::dpkg, Scheme::rpm, Scheme::apk}) CHECK(scheme_for(sshm::version::name(s)) == s);
  // The comparators Patch Manager used per manager, by name.
  CHECK(compare(*scheme_for("apt"), "1.0~rc1", "1.0") < 0);
  CHECK(compare(*scheme_for("dnf"), "1.0~rc1-1", "1.0-1") < 0);
  CHECK(compare(*scheme_for("apk"), "1.2_p1-r0", "1.2-r0") > 0);
}
