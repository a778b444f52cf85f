#pragma once
// Parsers for the outputs of dnf/yum, zypper and apk that the scan script captures,
// turning them into Packages for the engine. Each is tested on captured real outputs.
#include "patch/packages.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::patch {

// "name-[epoch:]version-release.arch" split into its parts.
struct Nevra {
  std::string name;
  std::string evr;  // "[epoch:]version-release"
  std::string arch;
};
bool parse_nevra(std::string_view s, Nevra& out);

// `rpm -qa --qf '%{NAME}\t%{ARCH}\t%|EPOCH?{%{EPOCH}}:{0}|:%{VERSION}-%{RELEASE}\n'`.
std::vector<Package> parse_rpm_installed(std::string_view text);

// `dnf check-update` / `yum check-update`: name.arch, version, repository per update.
struct RpmUpdate {
  std::string name;
  std::string arch;
  std::string evr;
  std::string repository;
};
std::vector<RpmUpdate> parse_rpm_check_update(std::string_view text);

// `dnf updateinfo list` / `yum updateinfo list`: advisory, type[/severity], package NEVRA.
struct UpdateNotice {
  std::string advisory_id;
  std::string classification;  // Security, Bugfix, Enhancement, Newpackage, Recommended
  std::string severity;        // Critical, Important, Moderate, Low, ... or ""
  Nevra package;
};
std::vector<UpdateNotice> parse_updateinfo_list(std::string_view text);

// `updateinfo info` lines "Update ID", "Updated", "Issued": the newest date per advisory.
std::map<std::string, SystemTime> parse_updateinfo_dates(std::string_view text);

// Joins installed packages, available updates and notices into Packages: each update gets
// the classification and severity of the notice that names its exact NEVRA.
void apply_rpm_updates(std::vector<Package>& installed, const std::vector<RpmUpdate>& updates,
                       const std::vector<UpdateNotice>& notices, const std::map<std::string, SystemTime>& dates);

// `zypper list-updates` table: repository, name, current and available version, arch.
std::vector<RpmUpdate> parse_zypper_list_updates(std::string_view text);

// `zypper info -t patch NAME...`: category, severity, date and the packages it fixes.
struct ZypperPatch {
  std::string name;
  std::string repository;
  std::string category;  // security, recommended, optional, feature, document, yast
  std::string severity;  // critical, important, moderate, low, unspecified
  std::optional<SystemTime> created;
  std::vector<Nevra> packages;  // from "Conflicts": name.arch < version
};
std::vector<ZypperPatch> parse_zypper_patch_info(std::string_view text);
void apply_zypper_updates(std::vector<Package>& installed, const std::vector<RpmUpdate>& updates,
                          const std::vector<ZypperPatch>& patches);

// `apk list -I` and `apk list -u` lines: "name-ver-rN arch {origin} (license) [...]".
struct ApkEntry {
  std::string name;
  std::string version;
  std::string arch;
  std::string upgradable_from;  // the installed version for `apk list -u`, else ""
};
std::vector<ApkEntry> parse_apk_list(std::string_view text);
std::vector<Package> apk_packages(const std::vector<ApkEntry>& installed, const std::vector<ApkEntry>& upgradable);

} // namespace sshm::patch
