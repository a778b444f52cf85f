#include "patch/version.hpp"

#include <doctest/doctest.h>

using namespace sshm::patch;

TEST_CASE("dpkg version order matches dpkg --compare-versions") {
  CHECK(compare_deb_versions("1.0", "1.0") == 0);
  CHECK(compare_deb_versions("1.0-1", "1.0-2") < 0);
  CHECK(compare_deb_versions("1.0~rc1", "1.0") < 0);  // ~ sorts before the end
  CHECK(compare_deb_versions("1.0", "1.0+b1") < 0);
  CHECK(compare_deb_versions("1:0.9", "2.0") > 0);   // epoch wins
  CHECK(compare_deb_versions("3.0.11-1~deb12u2", "3.0.13-1~deb12u1") < 0);
  CHECK(compare_deb_versions("5.2.15-2+b2", "5.2.15-2+b13") < 0);  // numeric, not lexical
  CHECK(compare_deb_versions("20230311+deb12u1", "20250419~deb12u2") < 0);
  CHECK(compare_deb_versions("1.0a", "1.0") > 0);
  CHECK(compare_deb_versions("1.0-1", "1.0") > 0);
  CHECK(compare_deb_versions("0:1.0", "1.0") == 0);
  CHECK(compare_deb_versions("1.01", "1.1") == 0);  // leading zeros
}

TEST_CASE("rpm version order matches rpmvercmp") {
  CHECK(compare_rpm_versions("1:3.0.7-24.el9", "1:3.0.7-25.el9_3") < 0);
  CHECK(compare_rpm_versions("0:7.76.1-26.el9_3.1", "7.76.1-26.el9_3.2") < 0);
  CHECK(compare_rpm_versions("1.0~rc1-1", "1.0-1") < 0);
  CHECK(compare_rpm_versions("1.0^git1-1", "1.0-1") > 0);
  CHECK(compare_rpm_versions("1.10-1", "1.9-1") > 0);
  CHECK(compare_rpm_versions("1.0a-1", "1.0-1") > 0);
  CHECK(compare_rpm_versions("2:1.0-1", "1:9.0-1") > 0);
  CHECK(compare_rpm_versions("1.0-1", "1.0") == 0);  // no release: equal
}

TEST_CASE("apk version order handles suffixes and -rN") {
  CHECK(compare_apk_versions("1.36.1-r15", "1.36.1-r19") < 0);
  CHECK(compare_apk_versions("3.1.4-r5", "3.1.4-r1") > 0);
  CHECK(compare_apk_versions("1.2_rc1-r0", "1.2-r0") < 0);
  CHECK(compare_apk_versions("1.2_p1-r0", "1.2-r0") > 0);
  CHECK(compare_apk_versions("1.10-r0", "1.9-r3") > 0);
  CHECK(version_compare_for("apt")("1.0~rc1", "1.0") < 0);
  CHECK(version_compare_for("dnf")("1.0~rc1-1", "1.0-1") < 0);
  CHECK(version_compare_for("apk")("1.2_p1-r0", "1.2-r0") > 0);
}
