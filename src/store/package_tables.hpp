#pragma once
// The Distributor packages aws:configurePackage installed, per host (`sshm packages status`).
#include "store/store.hpp"

#include <string>
#include <vector>

namespace sshm::store {

struct PackageInstall {
  std::string host;
  std::string name;
  std::string version;
  std::string state;         // Installed, Failed
  std::string package_id;    // the archive installed (Distributor's PackageId in inventory)
  std::string architecture;
  std::string command_id;    // the command that last changed it
  std::string updated_at;    // ISO 8601
};

// Inserts or replaces the host's row for the package. Throws StoreError when it cannot write.
void save_package_install(Store& store, const PackageInstall& install);
// Forgets the host's package (uninstalled).
void delete_package_install(Store& store, const std::string& host, const std::string& name);
// Rows by host, then package; `name` "" for every package.
std::vector<PackageInstall> list_package_installs(const Store& store, const std::string& name = "");

} // namespace sshm::store
