#include "patch/parsers.hpp"

#include "util/strings.hpp"
#include "util/version.hpp"

#include <algorithm>
#include <ctime>
#include <sstream>

namespace sshm::patch {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// "important" -> "Important"; "" stays "".
std::string capitalized(std::string s) {
  s = to_lower(s);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::optional<SystemTime> parse_time(const std::string& s, const char* format) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), format, &tm);
  if (!end) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// "name.arch" split at the last dot.
bool split_name_arch(const std::string& s, std::string& name, std::string& arch) {
  size_t dot = s.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == s.size()) return false;
  name = s.substr(0, dot);
  arch = s.substr(dot + 1);
  return true;
}

Package* find_package(std::vector<Package>& packages, const std::string& name, const std::string& arch) {
  for (auto& p : packages)
    if (p.name == name && (p.arch == arch || arch == "noarch" || p.arch == "noarch")) return &p;
  return nullptr;
}

PackageVersion* find_version(Package& p, const std::string& evr) {
  for (auto& v : p.available)
    if (version::compare(version::Scheme::rpm, v.version, evr) == 0) return &v;
  return nullptr;
}

// Adds "0:" when an EVR has no epoch, so versions compare and print the same way.
std::string with_epoch(const std::string& evr) {
  size_t colon = evr.find(':');
  if (colon != std::string::npos) return evr;
  return "0:" + evr;
}

void sort_available(Package& p) {
  std::sort(p.available.begin(), p.available.end(), [](const PackageVersion& a, const PackageVersion& b) {
    return version::compare(version::Scheme::rpm, a.version, b.version) > 0;
  });
}

int severity_rank(const std::string& s) {
  static const char* order[] = {"", "none", "unspecified", "low", "medium", "moderate", "important", "critical"};
  std::string l = to_lower(s);
  for (int i = 0; i < 8; ++i)
    if (l == order[i]) return i;
  return 0;
}

} // namespace

bool parse_nevra(std::string_view s, Nevra& out) {
  std::string str(s);
  std::string rest;
  if (!split_name_arch(str, rest, out.arch)) return false;
  size_t rel = rest.rfind('-');
  if (rel == std::string::npos || rel == 0) return false;
  size_t ver = rest.rfind('-', rel - 1);
  if (ver == std::string::npos || ver == 0) return false;
  out.name = rest.substr(0, ver);
  out.evr = with_epoch(rest.substr(ver + 1));
  return true;
}

std::vector<Package> parse_rpm_installed(std::string_view text) {
  std::vector<Package> out;
  for (auto line : lines_of(text)) {
    auto f = split(line, '\t');
    if (f.size() < 3 || f[0].empty()) continue;
    if (f[0] == "gpg-pubkey") continue;
    Package p;
    p.name = f[0];
    p.arch = f[1] == "(none)" ? "noarch" : f[1];
    PackageVersion v;
    v.version = with_epoch(f[2]);
    v.arch = p.arch;
    p.installed = v;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<RpmUpdate> parse_rpm_check_update(std::string_view text) {
  std::vector<RpmUpdate> out;
  std::string carried;  // yum wraps a long name.arch onto its own line
  for (auto line : lines_of(text)) {
    std::string l = trim(line);
    if (l.empty()) continue;
    if (starts_with(l, "Obsoleting Packages") || starts_with(l, "Security:")) break;
    auto w = words(l);
    if (!carried.empty()) {
      w.insert(w.begin(), carried);
      carried.clear();
    }
    if (w.size() == 1) {
      if (w[0].find('.') != std::string::npos) carried = w[0];
      continue;
    }
    if (w.size() != 3) continue;
    RpmUpdate u;
    if (!split_name_arch(w[0], u.name, u.arch)) continue;
    u.evr = with_epoch(w[1]);
    u.repository = w[2];
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<UpdateNotice> parse_updateinfo_list(std::string_view text) {
  std::vector<UpdateNotice> out;
  for (auto line : lines_of(text)) {
    auto w = words(line);
    if (w.size() != 3) continue;
    UpdateNotice n;
    n.advisory_id = w[0];
    std::string type = w[1];
    size_t slash = type.find('/');
    if (ends_with(type, "Sec.")) {
      n.classification = "Security";
      if (slash != std::string::npos) {
        n.severity = capitalized(type.substr(0, slash));
        if (n.severity == "Unknown") n.severity.clear();
      }
    } else {
      n.classification = capitalized(type);
    }
    static const std::vector<std::string> known = {"Security", "Bugfix", "Enhancement", "Newpackage", "Recommended"};
    if (std::find(known.begin(), known.end(), n.classification) == known.end()) continue;
    if (!parse_nevra(w[2], n.package)) continue;
    out.push_back(std::move(n));
  }
  return out;
}

std::map<std::string, SystemTime> parse_updateinfo_dates(std::string_view text) {
  std::map<std::string, SystemTime> out;
  std::string current;
  bool have_updated = false;
  for (auto line : lines_of(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (key == "Update ID") {
      current = value;
      have_updated = false;
    } else if (!current.empty() && (key == "Updated" || (key == "Issued" && !have_updated))) {
      auto t = parse_time(value, "%Y-%m-%d %H:%M:%S");
      if (!t) t = parse_time(value, "%Y-%m-%d");
      if (!t) continue;
      out[current] = *t;
      if (key == "Updated") have_updated = true;
    }
  }
  return out;
}

void apply_rpm_updates(std::vector<Package>& installed, const std::vector<RpmUpdate>& updates,
                       const std::vector<UpdateNotice>& notices, const std::map<std::string, SystemTime>& dates) {
  for (const auto& u : updates) {
    Package* p = find_package(installed, u.name, u.arch);
    if (!p || version::compare(version::Scheme::rpm, u.evr, p->installed->version) <= 0) continue;
    if (find_version(*p, u.evr)) continue;
    PackageVersion v;
    v.version = u.evr;
    v.arch = u.arch;
    v.repository = u.repository;
    p->available.push_back(std::move(v));
  }
  for (const auto& n : notices) {
    Package* p = find_package(installed, n.package.name, n.package.arch);
    if (!p || version::compare(version::Scheme::rpm, n.package.evr, p->installed->version) <= 0) continue;
    PackageVersion* v = find_version(*p, n.package.evr);
    if (!v) {
      PackageVersion nv;
      nv.version = n.package.evr;
      nv.arch = n.package.arch;
      p->available.push_back(std::move(nv));
      v = &p->available.back();
    }
    // Several notices may name one version: security wins, then the higher severity.
    bool better = v->classification.empty() ||
                  (n.classification == "Security" && v->classification != "Security") ||
                  (n.classification == v->classification && severity_rank(n.severity) > severity_rank(v->severity));
    if (!better) continue;
    v->classification = n.classification;
    v->severity = n.severity;
    v->advisory_id = n.advisory_id;
    auto d = dates.find(n.advisory_id);
    v->release_date = d == dates.end() ? std::nullopt : std::optional<SystemTime>(d->second);
  }
  for (auto& p : installed) sort_available(p);
}

std::vector<RpmUpdate> parse_zypper_list_updates(std::string_view text) {
  std::vector<RpmUpdate> out;
  bool body = false;
  for (auto line : lines_of(text)) {
    if (starts_with(line, "--+") || starts_with(line, "---")) {
      body = true;
      continue;
    }
    if (!body || line.find('|') == std::string_view::npos) continue;
    auto f = split(line, '|');
    if (f.size() < 6) continue;
    RpmUpdate u;
    u.repository = trim(f[1]);
    u.name = trim(f[2]);
    u.evr = with_epoch(trim(f[4]));
    u.arch = trim(f[5]);
    if (u.name.empty()) continue;
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<ZypperPatch> parse_zypper_patch_info(std::string_view text) {
  std::vector<ZypperPatch> out;
  bool in_conflicts = false;
  for (auto line : lines_of(text)) {
    if (starts_with(line, "Information for patch ")) {
      ZypperPatch p;
      std::string name(line.substr(22));
      if (!name.empty() && name.back() == ':') name.pop_back();
      p.name = name;
      out.push_back(std::move(p));
      in_conflicts = false;
      continue;
    }
    if (out.empty()) continue;
    ZypperPatch& p = out.back();
    bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (in_conflicts && indented) {
      auto w = words(line);
      if (w.size() >= 3 && (w[1] == "<" || w[1] == "<=")) {
        Nevra n;
        if (split_name_arch(w[0], n.name, n.arch) && n.arch != "src" && n.arch != "nosrc") {
          n.evr = with_epoch(w[2]);
          p.packages.push_back(std::move(n));
        }
      }
      continue;
    }
    if (indented) continue;
    in_conflicts = false;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (key == "Repository") p.repository = value;
    else if (key == "Category") p.category = value;
    else if (key == "Severity") p.severity = value;
    else if (key == "Created On") p.created = parse_time(value, "%a %b %d %H:%M:%S %Y");
    else if (key == "Conflicts") in_conflicts = true;
  }
  return out;
}

void apply_zypper_updates(std::vector<Package>& installed, const std::vector<RpmUpdate>& updates,
                          const std::vector<ZypperPatch>& patches) {
  for (const auto& u : updates) {
    Package* p = find_package(installed, u.name, u.arch);
    if (!p || version::compare(version::Scheme::rpm, u.evr, p->installed->version) <= 0 || find_version(*p, u.evr)) continue;
    PackageVersion v;
    v.version = u.evr;
    v.arch = u.arch;
    v.repository = u.repository;
    for (const auto& patch : patches) {
      for (const auto& n : patch.packages) {
        if (n.name != u.name || (n.arch != u.arch && n.arch != "noarch")) continue;
        if (version::compare(version::Scheme::rpm, u.evr, n.evr) < 0) continue;
        std::string cls = capitalized(patch.category);
        bool better = v.classification.empty() || (cls == "Security" && v.classification != "Security") ||
                      (cls == v.classification && severity_rank(patch.severity) > severity_rank(v.severity));
        if (!better) continue;
        v.classification = cls;
        v.severity = capitalized(patch.severity);
        v.advisory_id = patch.name;
        v.release_date = patch.created;
      }
    }
    p->available.push_back(std::move(v));
  }
  for (auto& p : installed) sort_available(p);
}

std::vector<ApkEntry> parse_apk_list(std::string_view text) {
  std::vector<ApkEntry> out;
  for (auto line : lines_of(text)) {
    auto w = words(line);
    if (w.size() < 2) continue;
    const std::string& nv = w[0];
    size_t r = nv.rfind("-r");
    if (r == std::string::npos || r == 0) continue;
    size_t dash = nv.rfind('-', r - 1);
    if (dash == std::string::npos || dash == 0) continue;
    ApkEntry e;
    e.name = nv.substr(0, dash);
    e.version = nv.substr(dash + 1);
    e.arch = w[1];
    size_t from = std::string(line).find("[upgradable from: ");
    if (from != std::string::npos) {
      std::string old(line.substr(from + 18));
      if (!old.empty() && old.back() == ']') old.pop_back();
      if (starts_with(old, e.name + "-")) old = old.substr(e.name.size() + 1);
      e.upgradable_from = old;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Package> apk_packages(const std::vector<ApkEntry>& installed, const std::vector<ApkEntry>& upgradable) {
  std::vector<Package> out;
  for (const auto& e : installed) {
    Package p;
    p.name = e.name;
    p.arch = e.arch;
    PackageVersion v;
    v.version = e.version;
    v.arch = e.arch;
    p.installed = v;
    out.push_back(std::move(p));
  }
  for (const auto& u : upgradable) {
    for (auto& p : out) {
      if (p.name != u.name || version::compare(version::Scheme::apk, u.version, p.installed->version) <= 0) continue;
      PackageVersion v;
      v.version = u.version;
      v.arch = u.arch;
      p.available.push_back(std::move(v));
    }
  }
  return out;
}

} // namespace sshm::patch
