#pragma once
// Package version ordering, as each package manager itself defines it. One module for the
// whole program: Patch Manager's scans and SSM Inventory's queries both compare through it,
// each host by its own package manager's rules. Numbers of any length compare as digit
// strings (leading zeros dropped), so no input can overflow or throw.
#include <optional>
#include <string_view>

namespace sshm::version {

// Whose rules order the versions.
enum class Scheme {
  // `dpkg --compare-versions`: [epoch:]upstream[-revision]; '~' sorts before everything,
  // even the end of the string, letters before other characters.
  dpkg,
  // rpm: [epoch:]version[-release], each part by rpmvercmp (alphanumeric segments, a
  // number newer than letters, '~' before everything, '^' after the end only). A missing or
  // empty release matches any release, as in rpm's dependency comparison: 1.0 = 1.0-3.
  rpm,
  // apk-tools: digits{.digits}[letter]{_suffix[N]}[-rN]; _alpha _beta _pre _rc sort before
  // the plain version, _cvs _svn _git _hg _p after it.
  apk,
};

// Negative when a is older than b, zero when they are the same version, positive when newer
// (always -1, 0 or 1).
int compare(Scheme scheme, std::string_view a, std::string_view b);

// The scheme of a package manager or package format name: dpkg/apt/apt-get; rpm/dnf/yum/
// zypper/tdnf/microdnf; apk. Nothing for any other name.
std::optional<Scheme> scheme_for(std::string_view package_manager);

// The scheme's name as scheme_for accepts it: "dpkg", "rpm" or "apk".
std::string_view name(Scheme scheme);

} // namespace sshm::version
