#pragma once
// Package version ordering as the package managers themselves define it.
#include <string_view>

namespace sshm::inventory {

// Which ordering a host's versions follow: its package manager.
enum class VersionScheme { dpkg, rpm };

// dpkg ordering of "[epoch:]upstream[-revision]": <0, 0 or >0, as `dpkg --compare-versions`.
int dpkg_compare(std::string_view a, std::string_view b);
// rpm's rpmvercmp on one version or release string (with ~ and ^ rules).
int rpm_segment_compare(std::string_view a, std::string_view b);
// rpm ordering of "[epoch:]version[-release]": epoch, then version, then release when both have one.
int rpm_compare(std::string_view a, std::string_view b);
// Dispatches on the scheme.
int version_compare(VersionScheme scheme, std::string_view a, std::string_view b);

} // namespace sshm::inventory
