#pragma once
// Pure parsers from the gatherer's stream (and the tools' own output formats) into
// SSM-shaped inventory rows. No I/O: everything here is unit-tested on captured outputs.
#include "inventory/item.hpp"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::inventory {

// One section of the stream: the name after the marker and the text up to the next marker.
struct Section {
  std::string name;
  std::string body;
};
// Splits the stream at marker lines "@@SSHM@@<nonce> <name>"; text before the first marker is dropped.
std::vector<Section> split_sections(std::string_view stream, std::string_view nonce);

// dpkg's architecture names as SSM reports them: amd64 -> x86_64, 386/i386 -> i386.
std::string ssm_architecture(std::string_view arch);
// Seconds since the epoch (as text) to "YYYY-MM-DDTHH:MM:SSZ"; "" when not a number.
std::string epoch_to_iso(std::string_view seconds);
// At most `max_bytes` bytes of `s`, never cutting a UTF-8 sequence.
std::string utf8_truncate(std::string_view s, size_t max_bytes);

// AWS:Application from `dpkg-query -W -f` with the gatherer's format (US-separated fields, RS-ended).
std::vector<Row> parse_dpkg(std::string_view text);
// AWS:Application from `rpm -qa --queryformat` with the gatherer's format.
std::vector<Row> parse_rpm(std::string_view text);
// AWS:Application from apk's database, /lib/apk/db/installed.
std::vector<Row> parse_apk_db(std::string_view text);

// Name servers listed in resolv.conf, in order.
std::vector<std::string> parse_resolv_conf(std::string_view text);
// AWS:Network (non-loopback interfaces) from `ip -j addr` and `ip -j route` (+ `ip -j -6 route`).
std::vector<Row> parse_ip_json(std::string_view addr_json, std::string_view route_json,
                               std::string_view route6_json, const std::vector<std::string>& dns);
// AWS:Network from `ip addr` and `ip route` text (iproute2 or busybox).
std::vector<Row> parse_ip_text(std::string_view addr_text, std::string_view route_text,
                               const std::vector<std::string>& dns);
// AWS:Network from "name mac" lines read from /sys/class/net.
std::vector<Row> parse_sysfs_net(std::string_view text, const std::vector<std::string>& dns);
// Dotted IPv4 netmask of a prefix length: 24 -> 255.255.255.0.
std::string prefix_to_netmask(int prefix);

// AWS:InstanceDetailedInformation from lscpu (preferred) and /proc/cpuinfo lines, plus MemTotal.
Row parse_cpu(std::string_view lscpu, std::string_view cpuinfo, std::string_view meminfo);

// AWS:Service from `systemctl list-units --plain --no-legend` and `list-unit-files`.
std::vector<Row> parse_systemctl(std::string_view units, std::string_view unit_files);

// sshm:Process from `ps -eo pid=,args=`, the /proc status lines and the passwd database.
std::vector<Row> parse_processes(std::string_view ps, std::string_view proc_status, std::string_view passwd);

// AWS:File from the gatherer's stat records and optional sha256sum lines; at most `max_files`.
std::vector<Row> parse_files(std::string_view stat_text, std::string_view hash_text, size_t max_files);

// Fields of /etc/os-release (quotes removed).
std::map<std::string, std::string> parse_os_release(std::string_view text);

// A custom inventory file validated as SSM's agent does. On success returns the item; on
// failure returns nothing and sets `reason`. `seen_types` guards against duplicate TypeNames.
std::optional<InventoryItem> parse_custom_file(const std::string& path, std::string_view text,
                                               std::set<std::string>& seen_types, std::string& reason);

// The inventory types a collection covers (AWS-GatherSoftwareInventory's switches); AWS:File
// is asked for by its own rules, so it is not among them.
struct InventoryTypes {
  bool applications = true;
  bool aws_components = true;
  bool network = true;
  bool instance_detailed = true;
  bool services = true;
  bool processes = true;
  bool custom = true;
};

// What the gatherer was asked for, to know which items to build.
struct ParseSelection : InventoryTypes {
  bool files = false;  // AWS:File rows were asked for
  size_t max_files = 500;
};

// Everything parsed from one host's stream.
struct ParsedInventory {
  std::vector<InventoryItem> items;
  std::vector<std::string> warnings;  // rejected custom files, with the reason
  std::string package_manager;        // dpkg, rpm or apk; "" when none was found
};

// Builds all items from a whole stream. `instance_id` is the host name, `capture_time`
// the CaptureTime every item gets.
ParsedInventory parse_stream(std::string_view stream, std::string_view nonce, const ParseSelection& selection,
                             const std::string& instance_id, const std::string& capture_time);

} // namespace sshm::inventory
