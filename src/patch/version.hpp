#pragma once
// Version ordering of the package managers Patch Manager scans: dpkg, rpm and apk.
#include <string_view>

namespace sshm::patch {

// dpkg's ordering of "[epoch:]upstream[-revision]" (as `dpkg --compare-versions`):
// negative when a < b, zero when equal, positive when a > b.
int compare_deb_versions(std::string_view a, std::string_view b);

// rpm's ordering of "[epoch:]version[-release]" (rpmvercmp on each part, ~ and ^ included).
int compare_rpm_versions(std::string_view a, std::string_view b);

// apk's ordering of "version[_suffix][-rN]" (e.g. 3.1.4-r5, 1.2_rc1-r0).
int compare_apk_versions(std::string_view a, std::string_view b);

// The comparator for a package manager name ("apt", "dnf", "yum", "zypper", "apk").
using VersionCompare = int (*)(std::string_view, std::string_view);
VersionCompare version_compare_for(std::string_view package_manager);

} // namespace sshm::patch
