#include "inventory/version.hpp"

#include <doctest/doctest.h>

using namespace sshm::inventory;

TEST_CASE("dpkg ordering follows dpkg --compare-versions") {
  struct Pair {
    const char* a;
    const char* b;
    int expected;
  };
  // Pairs checked with `dpkg --compare-versions A lt|eq|gt B` on Debian 12.
  const Pair pairs[] = {
      {"1.0", "1.0", 0},
      {"1.0", "1.0-0", 0},
      {"3.0.11-1~deb12u2", "3.0.13", -1},
      {"3.0.13-1", "3.0.13", 1},
      {"1.0~rc1", "1.0", -1},
      {"1.0~rc1", "1.0~rc2", -1},
      {"1.0~~", "1.0~", -1},
      {"1:0.1", "2.0", 1},
      {"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
      {"1.2a", "1.2", 1},
      {"1.2a", "1.2+", -1},
      {"5.2.15-2+b8", "5.2.15-2+b10", -1},
      {"0:1.0", "1.0", 0},
      {"1.001", "1.1", 0},
      {"10", "9", 1},
      {"1.0-1ubuntu1", "1.0-1", 1},
  };
  for (const Pair& p : pairs) {
    CAPTURE(p.a);
    CAPTURE(p.b);
    CHECK(dpkg_compare(p.a, p.b) == p.expected);
    CHECK(dpkg_compare(p.b, p.a) == -p.expected);
  }
}

TEST_CASE("rpm ordering follows rpmvercmp") {
  struct Pair {
    const char* a;
    const char* b;
    int expected;
  };
  // Pairs from rpm's own test suite expectations (rpmvercmp.at), written out here.
  const Pair pairs[] = {
      {"1.0", "1.0", 0},
      {"1.0", "2.0", -1},
      {"2.0.1", "2.0", 1},
      {"2.0.1a", "2.0.1", 1},
      {"5.5p1", "5.5p2", -1},
      {"5.5p10", "5.5p1", 1},
      {"10xyz", "10.1xyz", -1},
      {"xyz10", "xyz10.1", -1},
      {"xyz.4", "8", -1},
      {"1.0~rc1", "1.0", -1},
      {"1.0~rc1", "1.0~rc2", -1},
      {"1.0~rc1~git123", "1.0~rc1", -1},
      {"1.0^", "1.0", 1},
      {"1.0^git1", "1.0^git2", -1},
      {"1.0^git1", "1.01", -1},
      {"1.0~rc1^git1", "1.0~rc1", 1},
      {"a", "1", -1},
      {"1.0a", "1.0.1", -1},
      {"1_0", "1.0", 0},
  };
  for (const Pair& p : pairs) {
    CAPTURE(p.a);
    CAPTURE(p.b);
    CHECK(rpm_segment_compare(p.a, p.b) == p.expected);
    CHECK(rpm_segment_compare(p.b, p.a) == -p.expected);
  }
}

TEST_CASE("rpm EVR compares epoch, then version, then release") {
  CHECK(rpm_compare("1:3.0.7-27.el9", "3.0.9-1.el9") == 1);
  CHECK(rpm_compare("3.0.7-27.el9", "3.0.7-28.el9") == -1);
  CHECK(rpm_compare("3.0.7-27.el9", "3.0.7") == 0);  // no release on one side: versions decide
  CHECK(version_compare(VersionScheme::rpm, "3.0.7", "3.0.13") == -1);
  CHECK(version_compare(VersionScheme::dpkg, "3.0.7", "3.0.13") == -1);
}
