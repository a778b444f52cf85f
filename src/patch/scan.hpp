#pragma once
// The host side of a scan: one POSIX sh script, sent on the channel's stdin (never in
// argv), that prints what the host's package manager knows in a compact line format; and
// the local parser that turns that output into a HostScan.
#include "patch/packages.hpp"

#include <string>
#include <string_view>

namespace sshm::patch {

struct ScanScriptOptions {
  bool update = false;  // refresh package lists first (apt-get update, dnf makecache, ...)
  // Prints an ID that changes on every boot (host var patch_boot_id_command).
  std::string boot_id_command = "cat /proc/sys/kernel/random/boot_id";
  int lock_timeout_s = 300;  // how long apt-get update may wait for the apt lists lock
};

// The scan script. Needs only sh, awk and the package manager's own tools.
std::string scan_script(const ScanScriptOptions& options);

// Parses the script's output. Never throws: what could not be understood is added to
// HostScan::errors.
HostScan parse_scan_output(std::string_view output);

// SSM's OperatingSystem and product for an os-release ID and VERSION_ID
// (debian 12 -> DEBIAN, Debian12; amzn 2 -> AMAZON_LINUX_2, AmazonLinux2).
void identify_os(HostScan& scan);

// Whether an apt version counts as a security update, as SSM decides it: one of its
// origins has an archive containing "security", or its site is security.debian.org.
bool is_security_origin(const Origin& origin);

} // namespace sshm::patch
