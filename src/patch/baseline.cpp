#include "patch/baseline.hpp"

#include "util/bounded_parse.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace sshm::patch {

namespace {

const std::vector<std::string> k_levels = {"UNSPECIFIED", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const std::vector<std::string> k_apt_os = {"DEBIAN", "UBUNTU", "RASPBIAN"};
const std::vector<std::string> k_rpm_os = {"AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022",
                                           "AMAZON_LINUX_2023", "REDHAT_ENTERPRISE_LINUX", "CENTOS",
                                           "ORACLE_LINUX", "ROCKY_LINUX", "ALMA_LINUX", "SUSE"};

// Values SSM offers for the keys whose vocabulary is closed (DescribePatchProperties).
const std::vector<std::string> k_priorities = {"Required", "Important", "Standard", "Optional", "Extra"};
const std::vector<std::string> k_classifications = {"Security", "Bugfix", "Enhancement", "Recommended",
                                                    "Newpackage", "Optional", "Feature", "Document", "Yast"};
const std::vector<std::string> k_severities = {"Critical", "Important", "Medium", "Moderate", "Low", "None",
                                               "Unspecified"};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool contains_ci(const std::vector<std::string>& v, const std::string& s) {
  std::string l = to_lower(s);
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return to_lower(x) == l; });
}

// A baseline mirrors SSM's JSON shapes, so maps are "an object" in its messages.
class Reader : public YamlReader {
public:
  explicit Reader(std::string file) : YamlReader(std::move(file), "an object") {}

  std::string scalar(const YAML::Node& node, const std::string& what, size_t min_len, size_t max_len) const {
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a string", what));
    const std::string& s = node.Scalar();
    if (s.size() < min_len || s.size() > max_len)
      fail(node, fmt::format("{} must be {} to {} characters long, not {}", what, min_len, max_len, s.size()));
    return s;
  }

  bool boolean(const YAML::Node& node, const std::string& what) const {
    if (node.IsScalar()) {
      const std::string& s = node.Scalar();
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
    }
    fail(node, fmt::format("{} must be true or false", what));
  }

  int integer(const YAML::Node& node, const std::string& what, int lo, int hi) const {
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a number", what));
    const std::string& s = node.Scalar();
    bool digits = !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) fail(node, fmt::format("{} must be a whole number, not '{}'", what, s));
    int v = std::stoi(s);
    if (v < lo || v > hi) fail(node, fmt::format("{} must be between {} and {}, not {}", what, lo, hi, v));
    return v;
  }

  std::vector<std::string> strings(const YAML::Node& node, const std::string& what, size_t min_items,
                                   size_t max_items, size_t max_len) const {
    if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
    if (node.size() < min_items || node.size() > max_items)
      fail(node, fmt::format("{} must have {} to {} items, not {}", what, min_items, max_items, node.size()));
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(scalar(item, what + " item", 1, max_len));
    return out;
  }

  std::string one_of(const YAML::Node& node, const std::string& what, const std::vector<std::string>& allowed) const {
    std::string s = scalar(node, what, 1, 256);
    if (!contains(allowed, s))
      fail(node, fmt::format("{} must be one of {}, not '{}'", what, join(allowed, ", "), s),
           closest_match(s, allowed));
    return s;
  }

};

std::vector<PatchFilter> read_filter_group(const Reader& r, const YAML::Node& node, const std::string& what,
                                           const std::string& os) {
  r.expect_map(node, what);
  r.check_keys(node, {"PatchFilters"}, what);
  std::vector<PatchFilter> out;
  YAML::Node list = node["PatchFilters"];
  if (!list) return out;
  if (!list.IsSequence()) r.fail(list, "PatchFilters must be a list");
  if (list.size() > 4) r.fail(list, fmt::format("PatchFilters may hold at most 4 filters, not {}", list.size()));
  std::vector<std::string> keys = filter_keys_for(os);
  for (const auto& f : list) {
    r.expect_map(f, "a patch filter");
    r.check_keys(f, {"Key", "Values"}, "a patch filter");
    if (!f["Key"]) r.fail(f, "a patch filter needs a Key");
    if (!f["Values"]) r.fail(f, "a patch filter needs Values");
    PatchFilter pf;
    pf.where = r.at(f);
    pf.key = r.scalar(f["Key"], "Key", 1, 64);
    if (!contains(keys, pf.key))
      r.fail(f["Key"],
             fmt::format("filter key '{}' is not valid for {} (allowed: {})", pf.key, os, join(keys, ", ")),
             closest_match(pf.key, keys));
    if (std::any_of(out.begin(), out.end(), [&](const PatchFilter& o) { return o.key == pf.key; }))
      r.fail(f["Key"], fmt::format("filter key '{}' appears twice in one filter group", pf.key));
    pf.values = r.strings(f["Values"], "Values", 1, 20, 64);
    const std::vector<std::string>* vocab = nullptr;
    if (pf.key == "PRIORITY") vocab = &k_priorities;
    if (pf.key == "CLASSIFICATION") vocab = &k_classifications;
    if (pf.key == "SEVERITY") vocab = &k_severities;
    if (vocab) {
      size_t i = 0;
      for (const auto& v : pf.values) {
        if (v != "*" && !contains_ci(*vocab, v))
          r.fail(f["Values"][i], fmt::format("'{}' is not a {} value (allowed: {})", v, pf.key, join(*vocab, ", ")),
                 closest_match(v, *vocab));
        ++i;
      }
    }
    out.push_back(std::move(pf));
  }
  return out;
}

bool valid_date(const std::string& s) {
  static const std::regex re("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$");
  return std::regex_match(s, re);
}

PatchRule read_rule(const Reader& r, const YAML::Node& node, const std::string& os) {
  r.expect_map(node, "a patch rule");
  r.check_keys(node, {"PatchFilterGroup", "ComplianceLevel", "ApproveAfterDays", "ApproveUntilDate", "EnableNonSecurity"},
               "a patch rule");
  PatchRule rule;
  rule.where = r.at(node);
  if (!node["PatchFilterGroup"]) r.fail(node, "a patch rule needs a PatchFilterGroup");
  rule.filters = read_filter_group(r, node["PatchFilterGroup"], "PatchFilterGroup", os);
  if (node["ComplianceLevel"])
    rule.compliance_level = *compliance_level_from(r.one_of(node["ComplianceLevel"], "ComplianceLevel", k_levels));
  if (node["ApproveAfterDays"] && node["ApproveUntilDate"])
    r.fail(node["ApproveUntilDate"], "a patch rule takes ApproveAfterDays or ApproveUntilDate, not both");
  if (node["ApproveAfterDays"]) rule.approve_after_days = r.integer(node["ApproveAfterDays"], "ApproveAfterDays", 0, 360);
  if (node["ApproveUntilDate"]) {
    rule.approve_until_date = r.scalar(node["ApproveUntilDate"], "ApproveUntilDate", 1, 10);
    if (!valid_date(rule.approve_until_date))
      r.fail(node["ApproveUntilDate"],
             fmt::format("ApproveUntilDate must be a date YYYY-MM-DD, not '{}'", rule.approve_until_date));
  }
  if (node["EnableNonSecurity"]) rule.enable_non_security = r.boolean(node["EnableNonSecurity"], "EnableNonSecurity");
  return rule;
}

// Name, BaselineId and Description; a baseline with neither name nor ID is named after its file.
void read_identity(const Reader& r, const YAML::Node& node, Baseline& b) {
  if (node["Name"]) {
    b.name = r.scalar(node["Name"], "Name", 3, 128);
    static const std::regex name_re("^[a-zA-Z0-9_\\-.]{3,128}$");
    if (!std::regex_match(b.name, name_re))
      r.fail(node["Name"], fmt::format("Name '{}' may hold only letters, digits, '_', '-' and '.'", b.name));
  }
  if (node["BaselineId"]) b.id = r.scalar(node["BaselineId"], "BaselineId", 1, 128);
  if (b.id.empty()) b.id = b.name;
  if (b.id.empty()) b.id = std::filesystem::path(r.file()).stem().string();
  if (b.name.empty()) b.name = b.id;
  if (node["Description"]) b.description = r.scalar(node["Description"], "Description", 0, 1024);
}

std::vector<PatchRule> read_approval_rules(const Reader& r, const YAML::Node& ar, const std::string& os) {
  r.expect_map(ar, "ApprovalRules");
  r.check_keys(ar, {"PatchRules"}, "ApprovalRules");
  std::vector<PatchRule> out;
  if (YAML::Node rules = ar["PatchRules"]) {
    if (!rules.IsSequence()) r.fail(rules, "PatchRules must be a list");
    if (rules.size() > 10) r.fail(rules, fmt::format("PatchRules may hold at most 10 rules, not {}", rules.size()));
    for (const auto& rule : rules) out.push_back(read_rule(r, rule, os));
  }
  return out;
}

// ApprovedPatches, RejectedPatches and what goes with them.
void read_patch_lists(const Reader& r, const YAML::Node& node, Baseline& b) {
  if (node["ApprovedPatches"]) b.approved_patches = r.strings(node["ApprovedPatches"], "ApprovedPatches", 0, 50, 100);
  if (node["RejectedPatches"]) b.rejected_patches = r.strings(node["RejectedPatches"], "RejectedPatches", 0, 50, 100);
  if (node["ApprovedPatchesComplianceLevel"])
    b.approved_patches_compliance_level =
        *compliance_level_from(r.one_of(node["ApprovedPatchesComplianceLevel"], "ApprovedPatchesComplianceLevel", k_levels));
  if (node["ApprovedPatchesEnableNonSecurity"])
    b.approved_patches_enable_non_security =
        r.boolean(node["ApprovedPatchesEnableNonSecurity"], "ApprovedPatchesEnableNonSecurity");
  if (node["RejectedPatchesAction"])
    b.rejected_patches_action = r.one_of(node["RejectedPatchesAction"], "RejectedPatchesAction",
                                         {"ALLOW_AS_DEPENDENCY", "BLOCK"}) == "BLOCK"
                                    ? RejectedAction::block
                                    : RejectedAction::allow_as_dependency;
}

// Debian and Ubuntu take package names only in the patch lists: no arch, no version, no wildcard.
void check_apt_names(const Reader& r, const YAML::Node& node, const Baseline& b) {
  auto check_names = [&](const char* key, const std::vector<std::string>& names) {
    size_t i = 0;
    for (const auto& n : names) {
      if (n.find_first_of(":=* \t") != std::string::npos)
        r.fail(node[key][i], fmt::format("{} on {} take package names only (like 'openssl'), not '{}'", key,
                                         b.operating_system, n));
      ++i;
    }
  };
  check_names("ApprovedPatches", b.approved_patches);
  check_names("RejectedPatches", b.rejected_patches);
}

std::vector<PatchSource> read_sources(const Reader& r, const YAML::Node& sources) {
  if (!sources.IsSequence()) r.fail(sources, "Sources must be a list");
  if (sources.size() > 20) r.fail(sources, "Sources may hold at most 20 items");
  std::vector<PatchSource> out;
  for (const auto& s : sources) {
    r.expect_map(s, "a patch source");
    r.check_keys(s, {"Name", "Products", "Configuration"}, "a patch source");
    if (!s["Name"] || !s["Products"] || !s["Configuration"])
      r.fail(s, "a patch source needs Name, Products and Configuration");
    PatchSource ps;
    ps.name = r.scalar(s["Name"], "Name", 3, 50);
    ps.products = r.strings(s["Products"], "Products", 1, 20, 128);
    ps.configuration = r.scalar(s["Configuration"], "Configuration", 1, 1024);
    out.push_back(std::move(ps));
  }
  return out;
}

Baseline read_baseline(const Reader& r, const YAML::Node& node) {
  r.expect_map(node, "a patch baseline");
  static const std::vector<std::string> keys = {
      "BaselineId", "Name", "Description", "OperatingSystem", "GlobalFilters", "ApprovalRules",
      "ApprovedPatches", "ApprovedPatchesComplianceLevel", "ApprovedPatchesEnableNonSecurity",
      "RejectedPatches", "RejectedPatchesAction", "Sources", "AvailableSecurityUpdatesComplianceStatus",
      "PatchGroups", "CreatedDate", "ModifiedDate", "Tags", "ClientToken"};
  r.check_keys(node, keys, "a patch baseline");
  Baseline b;
  b.file = r.file();
  read_identity(r, node, b);
  if (!node["OperatingSystem"])
    r.fail(node, "a patch baseline needs an OperatingSystem (SSM's default, WINDOWS, cannot be patched over SSH)");
  b.operating_system = r.one_of(node["OperatingSystem"], "OperatingSystem", operating_systems());
  if (node["GlobalFilters"])
    b.global_filters = read_filter_group(r, node["GlobalFilters"], "GlobalFilters", b.operating_system);
  if (YAML::Node ar = node["ApprovalRules"]) b.rules = read_approval_rules(r, ar, b.operating_system);
  read_patch_lists(r, node, b);
  if (node["AvailableSecurityUpdatesComplianceStatus"])
    r.one_of(node["AvailableSecurityUpdatesComplianceStatus"], "AvailableSecurityUpdatesComplianceStatus",
             {"COMPLIANT", "NON_COMPLIANT"});
  if (is_apt_os(b.operating_system)) check_apt_names(r, node, b);
  if (YAML::Node sources = node["Sources"]) b.sources = read_sources(r, sources);
  return b;
}

nlohmann::json filters_json(const std::vector<PatchFilter>& filters) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : filters) arr.push_back({{"Key", f.key}, {"Values", f.values}});
  return {{"PatchFilters", arr}};
}

PatchFilter filter(std::string key, std::vector<std::string> values) {
  return PatchFilter{std::move(key), std::move(values), {}};
}

PatchRule rule(std::vector<PatchFilter> filters, std::optional<int> days, bool non_security = false) {
  PatchRule r;
  r.filters = std::move(filters);
  r.approve_after_days = days;
  r.enable_non_security = non_security;
  return r;
}

Baseline predefined(std::string name, std::string os, std::string description, std::vector<PatchRule> rules) {
  Baseline b;
  b.id = name;
  b.name = std::move(name);
  b.operating_system = std::move(os);
  b.description = std::move(description);
  b.global_filters = {filter("PRODUCT", {"*"})};
  b.rules = std::move(rules);
  b.predefined = true;
  return b;
}

std::vector<Baseline> build_predefined() {
  auto apt_rule = [] { return rule({filter("PRIORITY", {"Required", "Important", "Standard", "Optional", "Extra"})}, 7); };
  auto sec = [](std::vector<std::string> severities) {
    return rule({filter("CLASSIFICATION", {"Security"}), filter("SEVERITY", std::move(severities))}, 7);
  };
  auto bugfix = [] { return rule({filter("CLASSIFICATION", {"Bugfix"})}, 7); };
  std::vector<Baseline> out;
  out.push_back(predefined("AWS-DebianDefaultPatchBaseline", "DEBIAN",
                           "Default Patch Baseline for Debian Provided by AWS.", {apt_rule()}));
  out.push_back(predefined("AWS-UbuntuDefaultPatchBaseline", "UBUNTU",
                           "Default Patch Baseline for Ubuntu Provided by AWS.", {apt_rule()}));
  out.push_back(predefined("AWS-DefaultRaspbianPatchBaseline", "RASPBIAN",
                           "Default Patch Baseline for Raspbian Provided by AWS.", {apt_rule()}));
  out.push_back(predefined("AWS-AmazonLinuxDefaultPatchBaseline", "AMAZON_LINUX",
                           "Default Patch Baseline for Amazon Linux Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-AmazonLinux2DefaultPatchBaseline", "AMAZON_LINUX_2",
                           "Default Patch Baseline for Amazon Linux 2 Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-AmazonLinux2022DefaultPatchBaseline", "AMAZON_LINUX_2022",
                           "Default Patch Baseline for Amazon Linux 2022 Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-AmazonLinux2023DefaultPatchBaseline", "AMAZON_LINUX_2023",
                           "Default Patch Baseline for Amazon Linux 2023 Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-RedHatDefaultPatchBaseline", "REDHAT_ENTERPRISE_LINUX",
                           "Default Patch Baseline for Redhat Enterprise Linux Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-RockyLinuxDefaultPatchBaseline", "ROCKY_LINUX",
                           "Default Patch Baseline for Rocky Linux Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-AlmaLinuxDefaultPatchBaseline", "ALMA_LINUX",
                           "Default Patch Baseline for Alma Linux Provided by AWS.",
                           {sec({"Critical", "Important"}), bugfix()}));
  out.push_back(predefined("AWS-CentOSDefaultPatchBaseline", "CENTOS",
                           "Default Patch Baseline for CentOS Provided by AWS.", {rule({}, 7, true)}));
  out.push_back(predefined("AWS-OracleLinuxDefaultPatchBaseline", "ORACLE_LINUX",
                           "Default Patch Baseline for Oracle Linux Provided by AWS.",
                           {sec({"Important", "Moderate"}), bugfix()}));
  out.push_back(predefined("AWS-SuseDefaultPatchBaseline", "SUSE",
                           "Default Patch Baseline for Suse Provided by AWS.", {sec({"Critical", "Important"})}));
  out.push_back(predefined("SSHM-AlpineDefaultPatchBaseline", "ALPINE",
                           "Default Patch Baseline for Alpine Linux provided by sshm: apk has no security "
                           "metadata, so every update is approved.",
                           {rule({}, std::nullopt, true)}));
  return out;
}

} // namespace

const char* to_string(ComplianceLevel level) { return k_levels[static_cast<size_t>(level)].c_str(); }

std::optional<ComplianceLevel> compliance_level_from(const std::string& s) {
  for (size_t i = 0; i < k_levels.size(); ++i)
    if (k_levels[i] == s) return static_cast<ComplianceLevel>(i);
  return std::nullopt;
}

const char* to_string(RejectedAction action) {
  return action == RejectedAction::block ? "BLOCK" : "ALLOW_AS_DEPENDENCY";
}

const std::vector<std::string>& operating_systems() {
  static const std::vector<std::string> os = {
      "WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023", "UBUNTU",
      "REDHAT_ENTERPRISE_LINUX", "SUSE", "CENTOS", "ORACLE_LINUX", "DEBIAN", "MACOS", "RASPBIAN",
      "ROCKY_LINUX", "ALMA_LINUX", "ALPINE"};
  return os;
}

std::vector<std::string> filter_keys_for(const std::string& os) {
  if (is_apt_os(os)) return {"PRODUCT", "PRIORITY", "SECTION"};
  if (contains(k_rpm_os, os)) return {"PRODUCT", "CLASSIFICATION", "SEVERITY"};
  if (os == "MACOS") return {"PRODUCT", "CLASSIFICATION"};
  if (os == "WINDOWS") return {"PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION", "MSRC_SEVERITY"};
  return {"PRODUCT"};
}

bool is_apt_os(const std::string& os) { return contains(k_apt_os, os); }

std::vector<Baseline> parse_baselines(const std::string& text, const std::string& file_name) {
  Reader r(file_name);
  YAML::Node root = load_yaml_input(text, file_name);
  std::vector<Baseline> out;
  try {
    if (root.IsSequence()) {
      for (const auto& item : root) out.push_back(read_baseline(r, item));
      if (out.empty()) r.fail(root, "a baseline list must hold at least one baseline");
    } else if (root.IsMap()) {
      out.push_back(read_baseline(r, root));
    } else {
      throw InputError(Location{file_name, 1, 1}, "a patch baseline must be an object (or a list of them)");
    }
  } catch (const YAML::Exception& e) {
    // A node of the wrong kind where the reader converts one.
    throw InputError(Location{file_name, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  return out;
}

std::vector<Baseline> load_baselines(const std::string& path) {
  return parse_baselines(bounded::read_file(path, "patch baseline"), path);
}

const std::vector<Baseline>& predefined_baselines() {
  static const std::vector<Baseline> all = build_predefined();
  return all;
}

const Baseline* find_predefined(const std::string& name) {
  for (const auto& b : predefined_baselines())
    if (b.name == name) return &b;
  return nullptr;
}

const Baseline* default_baseline_for(const std::string& os) {
  for (const auto& b : predefined_baselines())
    if (b.operating_system == os) return &b;
  return nullptr;
}

nlohmann::json baseline_to_json(const Baseline& b) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : b.rules) {
    nlohmann::json j = {{"PatchFilterGroup", filters_json(r.filters)},
                        {"ComplianceLevel", to_string(r.compliance_level)},
                        {"EnableNonSecurity", r.enable_non_security}};
    if (r.approve_after_days) j["ApproveAfterDays"] = *r.approve_after_days;
    if (!r.approve_until_date.empty()) j["ApproveUntilDate"] = r.approve_until_date;
    rules.push_back(j);
  }
  nlohmann::json j = {{"BaselineId", b.id},
                      {"Name", b.name},
                      {"OperatingSystem", b.operating_system},
                      {"GlobalFilters", filters_json(b.global_filters)},
                      {"ApprovalRules", {{"PatchRules", rules}}},
                      {"ApprovedPatches", b.approved_patches},
                      {"ApprovedPatchesComplianceLevel", to_string(b.approved_patches_compliance_level)},
                      {"ApprovedPatchesEnableNonSecurity", b.approved_patches_enable_non_security},
                      {"RejectedPatches", b.rejected_patches},
                      {"RejectedPatchesAction", to_string(b.rejected_patches_action)},
                      {"Description", b.description}};
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : b.sources)
    sources.push_back({{"Name", s.name}, {"Products", s.products}, {"Configuration", s.configuration}});
  j["Sources"] = sources;
  return j;
}

} // namespace sshm::patch
