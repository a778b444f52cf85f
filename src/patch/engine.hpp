#pragma once
// The classification engine: applies a baseline to a HostScan exactly as SSM's Linux
// payload does (SSM user guide: "How security patches are selected"), and says for every package which rule, filter or origin
// decided its state.
#include "patch/baseline.hpp"
#include "patch/packages.hpp"

#include <map>
#include <string>
#include <vector>

namespace sshm::patch {

// SSM's PatchComplianceDataState.
enum class PatchState { installed, installed_other, installed_pending_reboot, installed_rejected, missing, failed, not_applicable };
const char* to_string(PatchState state);  // "Installed", "InstalledOther", ... as SSM names them
// Installed and InstalledOther are compliant; NotApplicable is neither.
bool is_non_compliant(PatchState state);

// How one version fares against a baseline.
struct VersionDecision {
  bool approved = false;
  bool security = false;  // apt: a security origin; rpm family: an updateinfo notice covers it
  bool rejected = false;  // named in RejectedPatches
  ComplianceLevel level = ComplianceLevel::unspecified;
  std::string reason;  // why approved, or why not (every rule's verdict)
};

// Applies global filters, RejectedPatches, rules (OR; filters AND; highest level wins),
// ApprovedPatches and the security/EnableNonSecurity rule to one version.
VersionDecision decide(const Package& package, const PackageVersion& version, const Baseline& baseline,
                       const HostScan& scan, SystemTime now);

struct PatchItem {
  std::string name;
  std::string arch;
  PatchState state = PatchState::installed_other;
  std::string installed_version;
  std::string candidate_version;  // the approved version to install (Missing/Failed), else the newest offered
  std::string priority;           // apt
  std::string section;            // apt
  std::string classification;     // rpm family (apt: "Security" for a security version)
  std::string severity;           // rpm family
  std::string archive;            // apt archive(s) of the candidate (or installed) version
  std::string repository;         // rpm family
  std::string advisory_id;
  ComplianceLevel compliance_level = ComplianceLevel::unspecified;
  bool security = false;
  std::string reason;
};

// Per-package install outcomes that override Missing: name.arch -> what went wrong.
using InstallFailures = std::map<std::string, std::string>;

struct Classification {
  std::vector<PatchItem> items;  // one per installed package, by name
  int not_applicable = 0;        // approved but not installed: counted, not listed (as SSM)
};

// Classifies every package of the scan.
Classification classify(const HostScan& scan, const Baseline& baseline, SystemTime now,
                        const InstallFailures& failures = {});

} // namespace sshm::patch
