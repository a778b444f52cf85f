#pragma once
// Gathering inventory from one host: one SSH exec of `sh -s` with the POSIX-sh gatherer on
// stdin, one stream back, parsed locally into SSM's inventory types.
#include "inventory/item.hpp"
#include "inventory/parse.hpp"
#include "ssh/transport.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace sshm::inventory {

// One rule of SSM's `files` filter: [{"Path":..,"Pattern":[..],"Recursive":bool,"DirScanLimit":n}].
struct FileRule {
  std::string path;
  std::vector<std::string> patterns;
  bool recursive = false;
  int dir_scan_limit = 5000;
};

// Parses SSM's files filter JSON; throws InputError naming the bad field.
std::vector<FileRule> parse_file_rules(const std::string& json_text);

// What to gather; mapped from AWS-GatherSoftwareInventory's parameters or `--types`.
struct GatherOptions : InventoryTypes {
  std::string instance_id;  // the host's inventory name
  // Custom inventory directories read besides /etc/sshm/inventory/custom and
  // /var/lib/amazon/ssm/*/inventory/custom (SSM's policy Location override).
  std::vector<std::string> custom_dirs;
  std::vector<FileRule> files;  // AWS:File is gathered when not empty
  bool file_hash = false;       // adds Hash (sha256) to AWS:File rows
  // Where aws:configurePackage keeps the host's Distributor packages (host var distributor_dir);
  // "" is ~/.sshm/packages.
  std::string distributor_dir;
  size_t max_files = 500;       // SSM's limit on AWS:File entries
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  const std::atomic<bool>* cancel = nullptr;
};

// Maps the document parameters of AWS-GatherSoftwareInventory (values "Enabled"/"Disabled",
// `files` as JSON) to options; unknown names and bad values throw InputError.
GatherOptions options_from_parameters(const std::map<std::string, std::string>& parameters);

// Maps `--types T,...` (type names, or short names: applications, network, ...) to options.
void select_types(GatherOptions& options, const std::vector<std::string>& types);

// The remote command line. It never holds data: the script travels on stdin.
inline constexpr const char* k_gather_command = "sh -s";
// The gatherer script body, compiled in from gather_script.sh.
const char* gather_script_body();
// The full stdin for one run: settings as shell assignments, then the script.
std::string build_gather_input(const GatherOptions& options, const std::string& nonce);

// Runs the gatherer on an open session and parses its stream. `warnings` (optional) gets
// rejected custom inventory files and other non-fatal problems; `package_manager` (optional)
// dpkg, rpm or apk; `stream_bytes` (optional) the size of the stream the host sent.
Expected<std::vector<InventoryItem>, ssh::Failure> gather(ssh::Session& session, const GatherOptions& options,
                                                          std::vector<std::string>* warnings = nullptr,
                                                          std::string* package_manager = nullptr,
                                                          std::size_t* stream_bytes = nullptr);

} // namespace sshm::inventory
