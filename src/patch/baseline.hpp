#pragma once
// Patch baselines in SSM's shape (CreatePatchBaseline / GetPatchBaseline, JSON or YAML):
// parsed with file:line:col for every error, validated to SSM's limits and per-OS filter
// keys, and SSM's predefined default baselines built in.
#include "util/error.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::patch {

// SSM's ComplianceLevel, lowest first so that a higher value is more severe.
enum class ComplianceLevel { unspecified, informational, low, medium, high, critical };
const char* to_string(ComplianceLevel level);  // "UNSPECIFIED" ... "CRITICAL"
// Parses SSM's spelling; nullopt for anything else.
std::optional<ComplianceLevel> compliance_level_from(const std::string& s);

enum class RejectedAction { allow_as_dependency, block };
const char* to_string(RejectedAction action);  // "ALLOW_AS_DEPENDENCY" / "BLOCK"

struct PatchFilter {
  std::string key;                  // PRODUCT, PRIORITY, SECTION, CLASSIFICATION, SEVERITY
  std::vector<std::string> values;  // '*' matches anything
  Location where;
};

struct PatchRule {
  std::vector<PatchFilter> filters;  // AND'd
  ComplianceLevel compliance_level = ComplianceLevel::unspecified;
  std::optional<int> approve_after_days;  // ignored on Debian and Ubuntu, as SSM
  std::string approve_until_date;         // YYYY-MM-DD, inclusive of that whole UTC day
  bool enable_non_security = false;
  Location where;
};

struct PatchSource {
  std::string name;
  std::vector<std::string> products;
  std::string configuration;
};

struct Baseline {
  std::string id;    // the name for predefined baselines; Name, else the file stem, for files
  std::string name;
  std::string description;
  std::string operating_system;  // SSM's enum, e.g. DEBIAN, UBUNTU, AMAZON_LINUX_2
  std::vector<PatchFilter> global_filters;
  std::vector<PatchRule> rules;  // OR'd
  std::vector<std::string> approved_patches;
  ComplianceLevel approved_patches_compliance_level = ComplianceLevel::unspecified;
  bool approved_patches_enable_non_security = false;
  std::vector<std::string> rejected_patches;
  RejectedAction rejected_patches_action = RejectedAction::allow_as_dependency;
  std::vector<PatchSource> sources;
  bool predefined = false;
  std::string file;  // where it was read from, "" for predefined
};

// Operating systems SSM knows (plus ALPINE, sshm's own for apk hosts).
const std::vector<std::string>& operating_systems();
// Filter keys SSM allows in rules and global filters for an operating system.
std::vector<std::string> filter_keys_for(const std::string& operating_system);
// Whether the OS family uses apt (DEBIAN, UBUNTU, RASPBIAN).
bool is_apt_os(const std::string& operating_system);

// Parses one baseline, or a list of them (a BaselineOverride file), from JSON or YAML text.
// Throws InputError with file:line:col and a did-you-mean for unknown keys and values.
std::vector<Baseline> parse_baselines(const std::string& text, const std::string& file_name);
// Reads a file with parse_baselines.
std::vector<Baseline> load_baselines(const std::string& path);

// SSM's predefined baselines (AWS-UbuntuDefaultPatchBaseline, ...), built in.
const std::vector<Baseline>& predefined_baselines();
// A predefined baseline by name, or nullptr.
const Baseline* find_predefined(const std::string& name);
// The predefined default baseline of an operating system, or nullptr (Windows, macOS).
const Baseline* default_baseline_for(const std::string& operating_system);

// The baseline as GetPatchBaseline returns it.
nlohmann::json baseline_to_json(const Baseline& baseline);

} // namespace sshm::patch
