#pragma once
// sshm's package directory: what Distributor keeps for each package version (its manifest
// and archives), under <state-dir>/packages/NAME/VERSION/. The archives are kept there, or
// in an S3 bucket (`packages create --bucket`), when the version's record names one.
#include "aws/config.hpp"
#include "packages/manifest.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace sshm::packages {

struct PackageVersion {
  std::string name;
  Manifest manifest;
  std::string manifest_text;    // as it was given
  std::string created_date;     // ISO 8601
  std::string location;         // "" the directory below; else s3://BUCKET/PREFIX/NAME/VERSION/
  std::filesystem::path dir;    // <state-dir>/packages/NAME/VERSION
};

// Where packages live in the state dir.
std::filesystem::path packages_root(const std::filesystem::path& state_dir);

// Reads DIR/manifest.json, checks it and every archive it lists (present, its SHA-256 as the
// manifest says) and stores the version: archives copied into the package directory, or
// uploaded to `bucket` (s3://BUCKET[/PREFIX], "" for none) with `aws`. The name is `name`, or
// DIR's base name. Throws InputError (exit 2) for a bad manifest, a missing or altered archive,
// a bad name, or a version that exists; RuntimeError when it cannot write or upload.
PackageVersion create_package(const std::filesystem::path& state_dir, const std::filesystem::path& dir,
                              const std::string& name, const std::string& bucket, const aws::AwsOptions& aws);

// Every stored version, by name, then oldest first.
std::vector<PackageVersion> list_packages(const std::filesystem::path& state_dir);

// One version of a package; `version` "" is the latest (the newest created, as Distributor's
// default version). Throws InputError naming what is there when nothing matches.
PackageVersion find_package(const std::filesystem::path& state_dir, const std::string& name,
                            const std::string& version);

// Removes one version ("" every version) of a package; what was in S3 stays there. Returns the
// versions removed. Throws InputError when there is nothing to remove.
std::vector<std::string> delete_package(const std::filesystem::path& state_dir, const std::string& name,
                                        const std::string& version);

// The archive of a version stored locally, whose SHA-256 is then checked against the manifest.
// Returns "" and sets `error` when it cannot be read or its checksum differs.
std::string read_local_archive(const PackageVersion& pv, const std::string& file, std::string& error);

} // namespace sshm::packages
