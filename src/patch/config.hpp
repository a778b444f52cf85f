#pragma once
// Which baseline a host gets: --baseline, else its patch group (host tag "Patch Group" or
// "PatchGroup") through the mapping in the patch config file, else the OS default
// (the config's default_baselines, else SSM's predefined one).
//
// The patch config ($XDG_CONFIG_HOME/sshm/patch.yaml, or --patch-config FILE):
//   baselines:            # custom baselines by name -> file (JSON or YAML, SSM's shape);
//     prod-debian: baselines/prod-debian.json   # relative paths are from this file
//   patch_groups:         # patch group -> baselines, at most one per OperatingSystem
//     prod: [prod-debian, AWS-UbuntuDefaultPatchBaseline]
//   default_baselines:    # replace the predefined default of their OperatingSystem
//     - prod-debian
#include "patch/baseline.hpp"
#include "util/error.hpp"
#include "util/expected.hpp"

#include <map>
#include <string>
#include <vector>

namespace sshm::patch {

class PatchConfig {
public:
  // Reads and checks the file (every baseline it names is loaded now, so mistakes stop
  // the run before anything is sent). Throws InputError with file:line:col.
  static PatchConfig load(const std::string& path);
  static PatchConfig parse(const std::string& text, const std::string& file_name);
  // Where the patch config is when none is named: $SSHM_PATCH_CONFIG, else
  // $XDG_CONFIG_HOME/sshm/patch.yaml (~/.config by default) when it exists, else "" (SSM's
  // default baselines).
  static std::string default_path();
  PatchConfig() = default;

  // A baseline reference: a predefined name, a name from `baselines:`, or a file path.
  // Throws InputError (with a did-you-mean) when it is none of those.
  std::vector<Baseline> resolve(const std::string& ref) const;

  // The baseline for a host of `operating_system` in `patch_group` ("" for none).
  Expected<Baseline, Error> baseline_for(const std::string& patch_group, const std::string& operating_system) const;

  // Every baseline name the config and SSM know, for listings.
  std::vector<Baseline> all_baselines() const;

private:
  std::string m_file;
  std::map<std::string, Baseline> m_named;                      // from `baselines:`
  std::map<std::string, std::vector<Baseline>> m_groups;        // patch group -> baselines
  std::vector<Baseline> m_defaults;                             // from `default_baselines:`
};

// The patch group of a host from its tags: "Patch Group", else "PatchGroup", else "".
std::string patch_group_of(const std::map<std::string, std::string>& tags);

// Picks the baseline for `operating_system` from an explicit list (a --baseline file may
// hold several, as BaselineOverride): the first whose OperatingSystem matches.
Expected<Baseline, Error> pick_for_os(const std::vector<Baseline>& baselines, const std::string& operating_system,
                                      const std::string& what);

} // namespace sshm::patch
