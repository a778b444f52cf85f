#include "patch/engine.hpp"

#include "patch/baseline.hpp"
#include "patch/scan.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace sshm::patch {

namespace {

std::string filter_value(const PatchFilter& f, const PackageVersion& v, const HostScan& scan) {
  if (f.key == "PRODUCT") return scan.product;
  if (f.key == "PRIORITY") return v.priority;
  if (f.key == "SECTION") return v.section;
  if (f.key == "CLASSIFICATION") return v.classification;
  if (f.key == "SEVERITY") return v.severity;
  return {};
}

bool value_matches(const std::vector<std::string>& patterns, const std::string& value) {
  std::string lv = to_lower(value);
  for (const auto& p : patterns) {
    if (p == "*") return true;
    if (glob_match(to_lower(p), lv)) return true;
  }
  return false;
}

// "" when every filter matches, else what did not.
std::string filters_mismatch(const std::vector<PatchFilter>& filters, const PackageVersion& v, const HostScan& scan) {
  for (const auto& f : filters) {
    std::string value = filter_value(f, v, scan);
    if (!value_matches(f.values, value))
      return fmt::format("{} '{}' not in [{}]", f.key, value.empty() ? "(none)" : value, join(f.values, ", "));
  }
  return {};
}

std::string filters_text(const std::vector<PatchFilter>& filters, const PackageVersion& v, const HostScan& scan) {
  std::vector<std::string> parts;
  for (const auto& f : filters) parts.push_back(fmt::format("{}={}", f.key, filter_value(f, v, scan)));
  return parts.empty() ? "no filters" : join(parts, ", ");
}

bool name_listed(const std::vector<std::string>& list, const Package& p, const PackageVersion& v, bool apt) {
  for (const auto& entry : list) {
    if (apt) {
      if (entry == p.name) return true;
      continue;
    }
    // yum/dnf/zypper: name, name.arch, or the full NEVRA, with a single '*' wildcard;
    // advisory IDs name the notice.
    std::string nevra = fmt::format("{}-{}.{}", p.name, v.version, v.arch);
    std::string nevra_no_epoch = nevra;
    if (size_t c = v.version.find(':'); c != std::string::npos)
      nevra_no_epoch = fmt::format("{}-{}.{}", p.name, v.version.substr(c + 1), v.arch);
    for (const std::string& s : {p.name, p.name + "." + p.arch, nevra, nevra_no_epoch, v.advisory_id})
      if (!s.empty() && glob_match(entry, s)) return true;
  }
  return false;
}

std::string security_text(const PackageVersion& v, bool apt, bool security) {
  if (apt) {
    std::vector<std::string> archives;
    for (const auto& o : v.origins) archives.push_back(o.archive.empty() ? o.site : o.archive);
    std::string where = archives.empty() ? "only in dpkg status" : "archive " + join(archives, ", ");
    return security ? fmt::format("security update ({})", where)
                    : fmt::format("not a security update ({})", where);
  }
  if (security) return fmt::format("{} {} notice {}", v.classification, v.severity, v.advisory_id);
  return "no updateinfo notice";
}

bool version_is_security(const PackageVersion& v, bool apt, const std::string& package_manager) {
  if (apt) {
    return std::any_of(v.origins.begin(), v.origins.end(),
                       [](const Origin& o) { return o.trusted && is_security_origin(o); });
  }
  if (package_manager == "apk") return false;
  // Decision: on yum/dnf/zypper a version "is security" for EnableNonSecurity purposes
  // when an updateinfo notice (of any classification) covers it; updates without a
  // notice need EnableNonSecurity.
  return !v.classification.empty();
}

// Release-date approval on operating systems that give dates (not Debian/Ubuntu).
std::string date_mismatch(const PatchRule& rule, const PackageVersion& v, SystemTime now) {
  if (!v.release_date) return {};
  using namespace std::chrono;
  if (rule.approve_after_days) {
    SystemTime due = *v.release_date + hours(24 * *rule.approve_after_days);
    if (now < due)
      return fmt::format("released {}, approved after {} days (on {})", iso8601_s(*v.release_date).substr(0, 10),
                         *rule.approve_after_days, iso8601_s(due).substr(0, 10));
  }
  if (!rule.approve_until_date.empty()) {
    SystemTime cutoff = parse_iso8601(rule.approve_until_date) + hours(24);
    if (*v.release_date >= cutoff)
      return fmt::format("released {}, after ApproveUntilDate {}", iso8601_s(*v.release_date).substr(0, 10),
                         rule.approve_until_date);
  }
  return {};
}

std::string archives_of(const PackageVersion& v) {
  std::vector<std::string> a;
  for (const auto& o : v.origins) {
    std::string s = o.archive.empty() ? o.site : o.archive;
    if (!o.component.empty()) s += "/" + o.component;
    if (std::find(a.begin(), a.end(), s) == a.end()) a.push_back(s);
  }
  return join(a, ",");
}

void fill_version_fields(PatchItem& item, const PackageVersion& v, const VersionDecision& d) {
  item.priority = v.priority;
  item.section = v.section;
  item.classification = v.classification.empty() && d.security && !v.origins.empty() ? "Security" : v.classification;
  item.severity = v.severity;
  item.archive = archives_of(v);
  item.repository = v.repository;
  item.advisory_id = v.advisory_id;
  item.compliance_level = d.level;
  item.security = d.security;
}

} // namespace

const char* to_string(PatchState state) {
  switch (state) {
  case PatchState::installed: return "Installed";
  case PatchState::installed_other: return "InstalledOther";
  case PatchState::installed_pending_reboot: return "InstalledPendingReboot";
  case PatchState::installed_rejected: return "InstalledRejected";
  case PatchState::missing: return "Missing";
  case PatchState::failed: return "Failed";
  case PatchState::not_applicable: return "NotApplicable";
  }
  return "InstalledOther";
}

bool is_non_compliant(PatchState s) {
  return s == PatchState::installed_pending_reboot || s == PatchState::installed_rejected ||
         s == PatchState::missing || s == PatchState::failed;
}

namespace {

// The decision; reasons are only written when `explain` (NotApplicable counting of tens
// of thousands of available packages needs the verdict alone).
VersionDecision decide_impl(const Package& p, const PackageVersion& v, const Baseline& b, const HostScan& scan,
                            SystemTime now, bool explain) {
  VersionDecision d;
  bool apt = is_apt_os(b.operating_system) || scan.package_manager == "apt";
  d.security = version_is_security(v, apt, scan.package_manager);
  std::string sec = explain ? security_text(v, apt, d.security) : std::string();
  if (std::string m = filters_mismatch(b.global_filters, v, scan); !m.empty()) {
    d.reason = "GlobalFilters: " + m;
    return d;
  }
  if (name_listed(b.rejected_patches, p, v, apt)) {
    d.rejected = true;
    d.reason = fmt::format("in RejectedPatches ({})", to_string(b.rejected_patches_action));
    return d;
  }
  std::vector<std::string> verdicts;
  std::vector<std::string> approvals;
  for (size_t i = 0; i < b.rules.size(); ++i) {
    const PatchRule& r = b.rules[i];
    std::string label = explain ? fmt::format("rule {}", i + 1) : std::string();
    if (std::string m = filters_mismatch(r.filters, v, scan); !m.empty()) {
      if (explain) verdicts.push_back(fmt::format("{}: {}", label, m));
      continue;
    }
    if (!r.enable_non_security && !d.security) {
      if (explain) verdicts.push_back(fmt::format("{}: {} and EnableNonSecurity is false", label, sec));
      continue;
    }
    if (!apt) {
      if (std::string m = date_mismatch(r, v, now); !m.empty()) {
        verdicts.push_back(fmt::format("{}: {}", label, m));
        continue;
      }
    }
    if (!d.approved || r.compliance_level > d.level) d.level = r.compliance_level;
    d.approved = true;
    if (explain)
      approvals.push_back(fmt::format("{} ({}; {}{})", label, filters_text(r.filters, v, scan), sec,
                                      r.enable_non_security ? "; EnableNonSecurity" : ""));
  }
  if (name_listed(b.approved_patches, p, v, apt)) {
    if (b.approved_patches_enable_non_security || d.security) {
      if (!d.approved || b.approved_patches_compliance_level > d.level) d.level = b.approved_patches_compliance_level;
      d.approved = true;
      approvals.push_back(fmt::format("ApprovedPatches ({})", sec));
    } else {
      verdicts.push_back(fmt::format("ApprovedPatches: {} and ApprovedPatchesEnableNonSecurity is false", sec));
    }
  }
  if (d.approved) {
    d.reason = "approved by " + join(approvals, " and ");
  } else if (verdicts.empty()) {
    d.reason = "no approval rule and not in ApprovedPatches";
  } else {
    d.reason = "not approved: " + join(verdicts, "; ");
  }
  return d;
}

} // namespace

VersionDecision decide(const Package& p, const PackageVersion& v, const Baseline& b, const HostScan& scan,
                       SystemTime now) {
  return decide_impl(p, v, b, scan, now, true);
}

namespace {

// The newest available version the baseline approves, if any, and the verdict on the newest
// available version (for the reason of a package left as it is).
struct Candidates {
  const PackageVersion* approved = nullptr;
  VersionDecision approved_decision;
  VersionDecision newest_decision;
};

Candidates candidates(const Package& p, const Baseline& b, const HostScan& scan, SystemTime now) {
  Candidates c;
  for (const auto& v : p.available) {
    VersionDecision d = decide(p, v, b, scan, now);
    if (&v == &p.available.front()) c.newest_decision = d;
    if (d.approved) {
      c.approved = &v;
      c.approved_decision = d;
      break;
    }
  }
  return c;
}

// An approved newer version: Missing, or Failed when installing it failed.
void classify_upgradable(PatchItem& item, const Package& p, const Candidates& c, const InstallFailures& failures) {
  fill_version_fields(item, *c.approved, c.approved_decision);
  item.candidate_version = c.approved->version;
  if (auto f = failures.find(p.name + "." + p.arch); f != failures.end()) {
    item.state = PatchState::failed;
    item.reason = fmt::format("install of {} failed: {}; {}", c.approved->version, f->second,
                              c.approved_decision.reason);
  } else {
    item.state = PatchState::missing;
    item.reason = fmt::format("{} > installed {}: {}", c.approved->version, p.installed->version,
                              c.approved_decision.reason);
  }
}

// No approved newer version: the installed version's own verdict says Installed,
// InstalledRejected or InstalledOther.
void classify_current(PatchItem& item, const Package& p, const VersionDecision& d, const Candidates& c,
                      const Baseline& b) {
  fill_version_fields(item, *p.installed, d);
  if (!p.available.empty()) item.candidate_version = p.available.front().version;
  if (d.rejected && b.rejected_patches_action == RejectedAction::block && !d.approved) {
    item.state = PatchState::installed_rejected;
    item.reason = fmt::format("installed but in RejectedPatches with RejectedPatchesAction BLOCK");
    return;
  }
  item.state = d.approved ? PatchState::installed : PatchState::installed_other;
  item.reason = fmt::format("installed {} {}", p.installed->version, d.reason);
  if (!p.available.empty())
    item.reason += fmt::format("; newer {} {}", p.available.front().version, c.newest_decision.reason);
}

// Installed by `sshm patch install` with NoReboot since this boot.
bool pending_reboot(const HostScan& scan, const Package& p) {
  std::string key = p.name + "." + p.arch;
  return std::any_of(scan.states.begin(), scan.states.end(), [&](const PatchStateEntry& s) {
    return s.id == key && s.version == p.installed->version && s.state == "InstalledPendingReboot" &&
           !s.boot_id.empty() && s.boot_id == scan.boot_id;
  });
}

PatchItem classify_installed(const Package& p, const Baseline& b, const HostScan& scan, SystemTime now,
                             const InstallFailures& failures) {
  PatchItem item;
  item.name = p.name;
  item.arch = p.arch;
  item.installed_version = p.installed->version;
  Candidates c = candidates(p, b, scan, now);
  if (c.approved) {
    classify_upgradable(item, p, c, failures);
    return item;
  }
  VersionDecision d = decide(p, *p.installed, b, scan, now);
  classify_current(item, p, d, c, b);
  // An install that failed leaves the package Failed even when dpkg unpacked the new
  // version (a failing postinst leaves it half-configured).
  if (auto f = failures.find(p.name + "." + p.arch); f != failures.end()) {
    item.state = PatchState::failed;
    item.reason = fmt::format("install failed: {}; {}", f->second, d.reason);
  } else if ((item.state == PatchState::installed || item.state == PatchState::installed_other) &&
             pending_reboot(scan, p)) {
    item.state = PatchState::installed_pending_reboot;
    item.reason = "installed by sshm patch install with NoReboot; the host has not rebooted since";
  }
  return item;
}

// Packages not installed that have an approved version: SSM counts them NotApplicable.
int count_not_applicable(const HostScan& scan, const Baseline& b, SystemTime now) {
  int n = 0;
  for (const auto& p : scan.not_installed) {
    for (const auto& v : p.available) {
      if (decide_impl(p, v, b, scan, now, false).approved) {
        ++n;
        break;
      }
    }
  }
  return n;
}

} // namespace

Classification classify(const HostScan& scan, const Baseline& b, SystemTime now, const InstallFailures& failures) {
  Classification out;
  for (const auto& p : scan.installed)
    if (p.installed) out.items.push_back(classify_installed(p, b, scan, now, failures));
  out.not_applicable = count_not_applicable(scan, b, now);
  std::sort(out.items.begin(), out.items.end(), [](const PatchItem& a, const PatchItem& c) {
    return a.name != c.name ? a.name < c.name : a.arch < c.arch;
  });
  return out;
}

} // namespace sshm::patch
