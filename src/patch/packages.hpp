#pragma once
// What a scan learns about a host's packages, in one shape for every package manager,
// so that one engine classifies them all.
#include "util/time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sshm::patch {

// One apt index (a Packages file of one Release) a version is offered by.
struct Origin {
  std::string archive;    // Release Suite, e.g. bookworm-security, jammy-updates
  std::string codename;   // Release Codename
  std::string site;       // host name of the repository URI ("" for file: repositories)
  std::string origin;     // Release Origin, e.g. Debian
  std::string label;      // Release Label
  std::string component;  // main, contrib, universe, ...
  bool trusted = true;
};

// One version of a package, as a package manager offers or has installed it.
struct PackageVersion {
  std::string version;
  std::string arch;
  // apt
  std::vector<Origin> origins;  // empty when only dpkg's status knows it
  std::string priority;         // apt Priority: required, important, standard, optional, extra
  std::string section;          // apt Section
  // rpm family, zypper, apk
  std::string repository;
  std::string classification;  // updateinfo/patch type: Security, Bugfix, ...; "" without a notice
  std::string severity;        // Critical, Important, Moderate, Low, ...; "" when none
  std::string advisory_id;     // RHSA-..., ALAS-..., SUSE-...
  std::optional<SystemTime> release_date;  // the notice's Updated/Issued date
};

// A package, installed or only available, with the versions newer than the installed one.
struct Package {
  std::string name;
  std::string arch;
  std::optional<PackageVersion> installed;  // nullopt when not installed
  std::vector<PackageVersion> available;    // newer than installed, highest first
};

// An entry of the host's patch-states file (/var/lib/sshm/patch-states.json), written by
// `sshm patch install`, the way SSM keeps patch-states-configuration.json.
struct PatchStateEntry {
  std::string id;       // name.arch
  std::string version;  // the version installed
  double installed_time = 0;  // seconds since the epoch
  std::string state;          // "Installed" or "InstalledPendingReboot"
  std::string boot_id;        // the boot the install happened in
};

struct HostScan {
  std::string package_manager;   // apt, dnf, yum, zypper, apk; "" when none was found
  std::string os_id;             // os-release ID, e.g. debian
  std::string os_version_id;     // os-release VERSION_ID, e.g. 12
  std::string os_name;           // os-release PRETTY_NAME
  std::string operating_system;  // SSM's enum, e.g. DEBIAN; "" when unknown
  std::string product;           // SSM's product, e.g. Debian12, Ubuntu22.04, AmazonLinux2
  std::string native_arch;       // dpkg --print-architecture
  std::string boot_id;
  bool reboot_required_marker = false;  // /var/run/reboot-required exists
  std::vector<Package> installed;       // every installed package
  std::vector<Package> not_installed;   // available but not installed (NotApplicable candidates)
  std::vector<PatchStateEntry> states;
  std::vector<std::string> errors;    // the host said something went wrong (update failed, ...)
};

} // namespace sshm::patch
