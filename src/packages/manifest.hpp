#pragma once
// A Distributor package's manifest.json, as AWS Systems Manager Distributor documents it
// ("Create a package: Advanced"): schemaVersion "2.0", the package version, the archive for
// each platform / platform version / architecture, and the SHA-256 of every archive.
//   {"schemaVersion": "2.0", "version": "1.0.1", "publisher": "...",
//    "packages": {"ubuntu": {"_any": {"x86_64": {"file": "pkg-ubuntu.zip"}}}},
//    "files": {"pkg-ubuntu.zip": {"checksums": {"sha256": "<64 hex digits>"}}}}
// "_any" matches any platform, platform version or architecture, as the agent's selector.
#include <map>
#include <optional>
#include <string>

namespace sshm::packages {

struct Manifest {
  std::string schema_version;
  std::string version;
  std::string publisher;
  // platform -> platform version -> architecture -> archive file name
  std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> packages;
  std::map<std::string, std::string> sha256;  // archive file name -> lower-case hex
};

// Parses and checks a manifest; `file` names it in errors. Throws InputError with
// file:line:col for bad JSON, a missing or mistyped field, an unknown field (with a
// did-you-mean), a file that has no checksum, or a version or file name Distributor refuses.
Manifest parse_manifest(const std::string& text, const std::string& file);

// The host as the agent's package selector sees it.
struct HostPlatform {
  std::string name;     // "ubuntu", "debian", "amazon", "redhat", "centos", "suse", ... (lower case)
  std::string version;  // VERSION_ID: "22.04", "12", "2023"
  std::string arch;     // "x86_64", "arm64", "i386", or `uname -m` as it is
};

// The platform from /etc/os-release's ID and VERSION_ID and `uname -m`: amzn is "amazon",
// rhel "redhat", ol "oracle", sles and opensuse* "suse"; aarch64 is "arm64", i686 "i386".
HostPlatform host_platform(const std::string& os_id, const std::string& version_id, const std::string& machine);

// The archive for the host: the platform by name, then "_any"; within it the version exactly,
// then the longest key the version starts with followed by '.' ("8" for 8.6), then "_any";
// within that the architecture, then "_any". Nothing when no entry fits.
std::optional<std::string> select_file(const Manifest& manifest, const HostPlatform& host);

// Whether `name` is a package name Distributor accepts: 3 to 128 of [A-Za-z0-9_.-], not
// starting with "AWS" or "Amazon" (names AWS keeps for its own packages) and not "." or "..".
std::string package_name_problem(const std::string& name);
// Whether `version` is a version name Distributor accepts: 1 to 128 of [A-Za-z0-9_.-].
std::string version_problem(const std::string& version);

} // namespace sshm::packages
