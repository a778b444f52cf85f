#pragma once
// Scan and install on one host over SSH, as AWS-RunPatchBaseline's Linux step does:
// scan, classify against the host's baseline, install exactly the approved missing
// packages, record per-package results, reboot when asked and rescan.
#include "patch/engine.hpp"
#include "ssh/transport.hpp"
#include "util/error.hpp"
#include "util/expected.hpp"
#include "util/time.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::patch {

enum class Operation { scan, install };
enum class RebootOption { reboot_if_needed, no_reboot };
const char* to_string(Operation op);            // "Scan" / "Install"
const char* to_string(RebootOption option);     // "RebootIfNeeded" / "NoReboot"

// SSM's PatchSummary / InstancePatchState for one host and one operation.
struct PatchSummary {
  std::string operation;  // Scan, Install
  std::string operation_start_time;  // YYYY-MM-DDTHH:MM:SSZ
  std::string operation_end_time;
  std::string reboot_option;
  std::string baseline_id;
  std::string patch_group;
  std::string snapshot_id;
  int installed = 0;
  int installed_other = 0;
  int installed_pending_reboot = 0;
  int installed_rejected = 0;
  int missing = 0;
  int failed = 0;
  int not_applicable = 0;
  int critical_non_compliant = 0;
  int security_non_compliant = 0;
  int other_non_compliant = 0;
  bool reboot_required = false;  // the host wants a reboot (marker file or pending patches)
  bool rebooted = false;         // this operation rebooted the host
  std::string compliance;        // COMPLIANT, NON_COMPLIANT
  std::string severity;          // highest ComplianceLevel among non-compliant patches, "" when compliant
};

// Counts states and derives compliance from items (SSM user guide: "How security patches are selected", "Patch compliance state values").
PatchSummary summarize(const std::vector<PatchItem>& items, int not_applicable);

struct HostPatchReport {
  std::string host;
  std::string status = "Success";  // Success, Failed (the operation itself, as an invocation)
  std::string error;                // why it failed ("" on success)
  std::string failure_kind;         // ssh failure kind when the host was not reached
  std::string operating_system;
  std::string product;
  std::string package_manager;
  std::string os_name;
  PatchSummary summary;
  std::vector<PatchItem> items;
  std::vector<std::string> log;  // what happened on the host, for the user
};

nlohmann::json item_to_json(const PatchItem& item);
nlohmann::json summary_to_json(const PatchSummary& summary);
nlohmann::json report_to_json(const HostPatchReport& report);

// Picks the baseline for a host once its scan tells the operating system; an error
// message when none fits (e.g. --baseline for another OS).
using BaselineChooser = std::function<Expected<Baseline, Error>(const HostScan&)>;

struct PatchRequest {
  Operation operation = Operation::scan;
  RebootOption reboot_option = RebootOption::reboot_if_needed;
  bool update = false;          // refresh package lists before scanning
  std::string run_as;           // "" = the SSH user; else commands run through `sudo -n -u`
  int lock_timeout_s = 300;     // wait this long for the dpkg/apt lock
  int reboot_timeout_s = 900;   // wait this long for the host to come back
  int exec_timeout_s = 7200;    // limit of one remote script, as SSM's 7200 s
  std::string boot_id_command = "cat /proc/sys/kernel/random/boot_id";
  std::string reboot_command = "shutdown -r now || reboot";
  std::vector<std::string> install_override;  // package names; empty installs every approved one
  std::string patch_group;
  std::string snapshot_id;
  BaselineChooser choose_baseline;
  const Clock* clock = &SystemClock::instance();
  std::function<void(const std::string&)> on_progress;  // one-line progress notes
  const std::atomic<bool>* cancel = nullptr;
};

// Runs request.operation on one host. Never throws for host problems: they are in the report.
HostPatchReport run_patch(ssh::Transport& transport, const ssh::Endpoint& endpoint, const PatchRequest& request);

// The same on a session the caller already holds (an executor running AWS-RunPatchBaseline's
// PatchLinux step). With `transport`, a reboot happens as in run_patch: the core reboots,
// waits for the new boot on a session of its own (closed on return; the caller's is left to
// the caller) and rescans. Without, it never reboots: with RebootIfNeeded and a reboot
// needed, the summary says RebootRequired and the caller reboots (SSM: exit 194).
HostPatchReport run_patch_on_session(ssh::Session& session, const ssh::Endpoint& endpoint, const PatchRequest& request,
                                     ssh::Transport* transport = nullptr);

// AWS-RunPatchBaseline's Linux step, for executors: Operation Scan.
HostPatchReport scan(ssh::Transport& transport, const ssh::Endpoint& endpoint, PatchRequest request);
// Operation Install.
HostPatchReport install(ssh::Transport& transport, const ssh::Endpoint& endpoint, PatchRequest request);

// The install script for apt: installs `targets` ("name[:arch]=version"), waits for the
// lock, retries one by one after a failed batch, and prints one @@result line per target.
std::string apt_install_script(const std::vector<std::string>& targets, const std::vector<std::string>& blocked,
                               int lock_timeout_s);

// Parses the @@result lines: target -> "" when installed at that version, else why not.
std::map<std::string, std::string> parse_install_results(std::string_view output);

} // namespace sshm::patch
