#include "patch/scan.hpp"

#include "patch/parsers.hpp"
#include "util/strings.hpp"
#include "util/version.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <optional>
#include <unordered_map>

namespace sshm::patch {

namespace {

// The script body; the settings are prepended as shell assignments. Sections start with a
// line "@@name ..."; \037 separates the fields of index lines (tabs would collapse empty ones).
constexpr const char* k_script_body = R"SH(
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
S=$(printf '\037')
echo "@@sshm-patch-scan 1"
echo "@@os"
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo "@@boot $(eval "$SSHM_BOOT_ID_CMD" 2>/dev/null | head -n 1)"
if [ -f /var/run/reboot-required ]; then echo "@@reboot-required"; fi
echo "@@states"
cat /var/lib/sshm/patch-states.json 2>/dev/null
echo
echo "@@end"

catf() {
  if [ -x /usr/lib/apt/apt-helper ]; then /usr/lib/apt/apt-helper cat-file "$1"; return; fi
  case $1 in
    *.gz) gzip -dc "$1" ;;
    *.xz) xz -dc "$1" ;;
    *.bz2) bzip2 -dc "$1" ;;
    *.lz4) lz4cat "$1" ;;
    *.zst) zstd -dcq "$1" ;;
    *) cat "$1" ;;
  esac
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "@@pm apt"
  if [ "$SSHM_UPDATE" = 1 ]; then
    if ! out=$(DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout="$SSHM_LOCK_TIMEOUT" 2>&1); then
      echo "@@error apt-get update failed: $(printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 3 | tr '\n' ' ')"
    fi
  fi
  echo "@@arch $(dpkg --print-architecture)"
  echo "@@installed"
  dpkg-query -W -f='${Package}\t${Architecture}\t${Version}\t${db:Status-Abbrev}\t${Priority}\t${Section}\n'
  echo "@@end"
  apt-get indextargets --format "\$(FILENAME)$S\$(URI)$S\$(SITE)$S\$(ORIGIN)$S\$(LABEL)$S\$(SUITE)$S\$(CODENAME)$S\$(COMPONENT)$S\$(TRUSTED)" 'Identifier: Packages' 2>/dev/null |
  while IFS="$S" read -r file uri rest; do
    f=$file
    if [ ! -e "$f" ]; then
      case $uri in
        file:*)
          p=${uri#file:}; p=/${p#"${p%%[!/]*}"}
          for ext in '' .xz .gz .bz2 .lz4 .zst .lzma; do
            if [ -e "$p$ext" ]; then f=$p$ext; break; fi
          done ;;
      esac
    fi
    echo "@@index $file$S$uri$S$rest"
    if [ -e "$f" ]; then
      catf "$f" | awk '
        /^Package: / { p = substr($0, 10) }
        /^Version: / { v = substr($0, 10) }
        /^Architecture: / { a = substr($0, 15) }
        /^Priority: / { pr = substr($0, 11) }
        /^Section: / { s = substr($0, 10) }
        /^$/ { if (p != "") print p "\t" v "\t" a "\t" pr "\t" s; p = ""; v = ""; a = ""; pr = ""; s = "" }
        END { if (p != "") print p "\t" v "\t" a "\t" pr "\t" s }'
    else
      echo "@@error index file $f is missing (run with --update)"
    fi
    echo "@@end"
  done
elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
  pm=dnf; command -v dnf >/dev/null 2>&1 || pm=yum
  echo "@@pm $pm"
  if [ "$SSHM_UPDATE" = 1 ]; then $pm -q -y makecache >/dev/null 2>&1 || echo "@@error $pm makecache failed"; fi
  echo "@@installed"
  rpm -qa --qf '%{NAME}\t%{ARCH}\t%|EPOCH?{%{EPOCH}}:{0}|:%{VERSION}-%{RELEASE}\n'
  echo "@@end"
  echo "@@check-update"
  $pm -q check-update 2>/dev/null
  echo "@@end"
  echo "@@updateinfo-list"
  $pm -q updateinfo list 2>/dev/null
  echo "@@end"
  echo "@@updateinfo-info"
  $pm -q updateinfo info 2>/dev/null | grep -E '^ *(Update ID|Updated|Issued) *:'
  echo "@@end"
elif command -v zypper >/dev/null 2>&1; then
  echo "@@pm zypper"
  if [ "$SSHM_UPDATE" = 1 ]; then zypper -n -q refresh >/dev/null 2>&1 || echo "@@error zypper refresh failed"; fi
  echo "@@installed"
  rpm -qa --qf '%{NAME}\t%{ARCH}\t%|EPOCH?{%{EPOCH}}:{0}|:%{VERSION}-%{RELEASE}\n'
  echo "@@end"
  echo "@@list-updates"
  zypper -n -q list-updates 2>/dev/null
  echo "@@end"
  echo "@@patch-info"
  patches=$(zypper -n -q list-patches 2>/dev/null | awk -F'|' 'NR > 2 { gsub(/ /, "", $2); if ($2 != "") print $2 }')
  if [ -n "$patches" ]; then zypper -n -q info -t patch $patches 2>/dev/null; fi
  echo "@@end"
elif command -v apk >/dev/null 2>&1; then
  echo "@@pm apk"
  if [ "$SSHM_UPDATE" = 1 ]; then apk update -q >/dev/null 2>&1 || echo "@@error apk update failed"; fi
  echo "@@installed"
  apk list -I 2>/dev/null
  echo "@@end"
  echo "@@upgradable"
  apk list -u 2>/dev/null
  echo "@@end"
else
  echo "@@error no supported package manager (apt, dnf, yum, zypper, apk) found"
fi
echo "@@done"
)SH";

// Splits text into "@@" sections: name -> lines; repeated sections (indexes) keep order.
struct Section {
  std::string header;  // the "@@..." line without "@@"
  std::vector<std::string_view> lines;
};

std::vector<Section> split_sections(std::string_view text) {
  std::vector<Section> out;
  Section* open = nullptr;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 2) == "@@") {
      std::string header(line.substr(2));
      if (header == "end") {
        open = nullptr;
      } else {
        out.push_back(Section{header, {}});
        static const char* k_with_body[] = {"os", "states", "installed", "index ", "check-update",
                                            "updateinfo-list", "updateinfo-info", "list-updates",
                                            "patch-info", "upgradable"};
        open = nullptr;
        for (const char* w : k_with_body) {
          std::string_view ws(w);
          if (header == ws || (ws.back() == ' ' && starts_with(header, ws))) open = &out.back();
        }
      }
    } else if (open) {
      open->lines.push_back(line);
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string join_lines(const std::vector<std::string_view>& lines) {
  std::string s;
  for (auto l : lines) {
    s += l;
    s += '\n';
  }
  return s;
}

std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return v;
}

// The host part of an apt Site ("http://deb.debian.org/debian" -> "deb.debian.org").
std::string site_host(const std::string& site) {
  size_t scheme = site.find("://");
  if (scheme == std::string::npos) return starts_with(site, "file:") ? "" : site;
  std::string rest = site.substr(scheme + 3);
  size_t slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  return rest;
}

void parse_states(const std::vector<std::string_view>& lines, HostScan& scan) {
  std::string text = join_lines(lines);
  if (trim(text).empty()) return;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.contains("patchStates") || !j["patchStates"].is_object()) return;
    for (const auto& [key, value] : j["patchStates"].items()) {
      PatchStateEntry e;
      size_t colon = key.find(':');
      e.id = value.value("id", key.substr(0, colon));
      e.version = colon == std::string::npos ? "" : key.substr(colon + 1);
      e.installed_time = value.value("installedTime", 0.0);
      e.state = value.value("state", "Installed");
      e.boot_id = value.value("bootId", "");
      scan.states.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    scan.errors.push_back(fmt::format("/var/lib/sshm/patch-states.json is not valid JSON: {}", e.what()));
  }
}

// Installed packages, by (name, arch) -> their place in scan.installed.
using InstalledIndex = std::map<std::pair<std::string, std::string>, size_t>;
// Every version the indexes offer: name -> (arch, version) -> the version with all its origins.
using AptOffers = std::map<std::string, std::map<std::pair<std::string, std::string>, PackageVersion>>;

void sort_newest_first(std::vector<PackageVersion>& versions) {
  std::sort(versions.begin(), versions.end(), [](const PackageVersion& a, const PackageVersion& b) {
    return version::compare(version::Scheme::dpkg, a.version, b.version) > 0;
  });
}

// The "installed" section: dpkg-query's name, arch, version, status, priority, section.
InstalledIndex read_dpkg_installed(const std::vector<Section>& sections, HostScan& scan) {
  InstalledIndex index;
  for (const auto& s : sections) {
    if (s.header != "installed") continue;
    for (auto line : s.lines) {
      auto f = split(line, '\t');
      if (f.size() < 6) continue;
      // db:Status-Abbrev "ii " = installed; "iF", "iU" = half-configured/unpacked (an earlier
      // install failed): still installed for scanning.
      if (f[3].size() < 2 || f[3][1] == 'n' || f[3][1] == 'c') continue;
      Package p;
      p.name = f[0];
      p.arch = f[1];
      PackageVersion v;
      v.version = f[2];
      v.arch = f[1];
      v.priority = f[4];
      v.section = f[5];
      p.installed = v;
      index[{p.name, p.arch}] = scan.installed.size();
      scan.installed.push_back(std::move(p));
    }
  }
  return index;
}

// An "index" section's header: the Release file's fields, separated by \037.
std::optional<Origin> index_origin(const Section& s) {
  auto f = split(std::string_view(s.header).substr(6), '\037');
  if (f.size() < 9) return std::nullopt;
  Origin o;
  o.site = site_host(f[2]);
  o.origin = f[3];
  o.label = f[4];
  o.archive = f[5];
  o.codename = f[6];
  o.component = f[7];
  o.trusted = f[8] != "no";
  return o;
}

// Every version every index offers, merged per (name, arch, version).
AptOffers read_apt_offers(const std::vector<Section>& sections) {
  AptOffers offers;
  for (const auto& s : sections) {
    if (!starts_with(s.header, "index ")) continue;
    std::optional<Origin> o = index_origin(s);
    if (!o) continue;
    for (auto line : s.lines) {
      auto r = split(line, '\t');
      if (r.size() < 5 || r[0].empty() || r[1].empty()) continue;
      auto& versions = offers[r[0]];
      auto [it, inserted] = versions.try_emplace({r[2], r[1]});
      PackageVersion& v = it->second;
      if (inserted) {
        v.version = r[1];
        v.arch = r[2];
        v.priority = r[3];
        v.section = r[4];
      }
      v.origins.push_back(*o);
    }
  }
  return offers;
}

using Digest = std::array<unsigned char, 32>;

// SHA-256 of the index sections, headers and lines in order: hosts that read the same package
// lists (one mirror, one snapshot) send the same bytes. A cryptographic digest, so a host
// cannot make its lists stand for another host's.
std::optional<Digest> index_digest(const std::vector<Section>& sections) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  bool ok = true;
  auto feed = [&](std::string_view piece) {
    ok = ok && EVP_DigestUpdate(ctx.get(), piece.data(), piece.size()) == 1 &&
         EVP_DigestUpdate(ctx.get(), "\n", 1) == 1;
  };
  for (const auto& s : sections) {
    if (!starts_with(s.header, "index ")) continue;
    feed("@@" + s.header);
    for (auto line : s.lines) feed(line);
    feed("@@end");
  }
  Digest d{};
  unsigned int len = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), d.data(), &len) != 1 || len != d.size()) return std::nullopt;
  return d;
}

// The offers of the package lists last parsed, shared by every host that sent the same lists:
// a Debian release's lists are ~60,000 versions, which each host would otherwise parse and
// hold again (about two thirds of a scan's controller CPU). Kept while any host uses them,
// and the most recent ones until other lists replace them.
std::shared_ptr<const AptOffers> shared_apt_offers(const std::vector<Section>& sections) {
  using Offers = std::shared_ptr<const AptOffers>;
  struct Entry {
    std::shared_future<Offers> parsing;  // valid while the first host with these lists parses them
    std::weak_ptr<const AptOffers> parsed;
  };
  struct Cache {
    std::mutex mutex;
    std::map<Digest, Entry> entries;
    Offers latest;
  };
  // Never destroyed: no worker may find it gone at exit, and exit does not free the lists.
  static Cache* const cache = new Cache;
  std::optional<Digest> digest = index_digest(sections);
  if (!digest) return std::make_shared<const AptOffers>(read_apt_offers(sections));
  std::promise<Offers> promise;
  {
    std::unique_lock<std::mutex> lock(cache->mutex);
    for (auto it = cache->entries.begin(); it != cache->entries.end();)
      it = !it->second.parsing.valid() && it->second.parsed.expired() ? cache->entries.erase(it) : std::next(it);
    auto [it, inserted] = cache->entries.try_emplace(*digest);
    if (!inserted) {
      if (Offers offers = it->second.parsed.lock()) return offers;
      if (it->second.parsing.valid()) {
        std::shared_future<Offers> parsing = it->second.parsing;
        lock.unlock();
        return parsing.get();  // another host is parsing the same lists: wait for its result
      }
    }
    it->second.parsing = promise.get_future().share();
  }
  // Parsed outside the lock: hosts with other lists do not wait.
  Offers offers;
  try {
    offers = std::make_shared<const AptOffers>(read_apt_offers(sections));
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard<std::mutex> lock(cache->mutex);
    cache->entries.erase(*digest);
    throw;
  }
  promise.set_value(offers);
  std::lock_guard<std::mutex> lock(cache->mutex);
  Entry& entry = cache->entries[*digest];
  entry.parsed = offers;
  entry.parsing = {};
  cache->latest = offers;
  return offers;
}

// Each installed package gets the origins of its own version and every newer one offered
// for an arch it can take.
void match_installed(HostScan& scan, const AptOffers& offers) {
  auto arch_fits = [&](const std::string& installed_arch, const std::string& offered) {
    return offered == installed_arch || offered == "all" ||
           (installed_arch == "all" && (offered == scan.native_arch || scan.native_arch.empty()));
  };
  for (auto& p : scan.installed) {
    auto it = offers.find(p.name);
    if (it == offers.end()) continue;
    for (const auto& [key, v] : it->second) {
      if (!arch_fits(p.arch, key.first)) continue;
      int cmp = version::compare(version::Scheme::dpkg, v.version, p.installed->version);
      if (cmp == 0) {
        // The installed version is still offered: it carries those origins.
        for (const auto& o : v.origins) p.installed->origins.push_back(o);
        if (p.installed->priority.empty()) p.installed->priority = v.priority;
        if (p.installed->section.empty()) p.installed->section = v.section;
      } else if (cmp > 0) {
        p.available.push_back(v);
      }
    }
    sort_newest_first(p.available);
  }
}

// Not installed: one Package per name (native arch or all), every version offered.
void add_not_installed(HostScan& scan, const AptOffers& offers, const InstalledIndex& index) {
  // The archs installed per name: one lookup per offered name instead of one per version.
  std::unordered_map<std::string_view, std::vector<std::string_view>> installed_archs;
  for (const auto& [key, place] : index) installed_archs[key.first].push_back(key.second);
  auto installed_as = [&](const std::vector<std::string_view>& archs, std::string_view arch) {
    return std::find(archs.begin(), archs.end(), arch) != archs.end();
  };
  for (const auto& [name, versions] : offers) {
    auto it = installed_archs.find(name);
    if (it != installed_archs.end()) {
      bool installed_any = installed_as(it->second, scan.native_arch) || installed_as(it->second, "all");
      for (const auto& [key, v] : versions) installed_any = installed_any || installed_as(it->second, key.first);
      if (installed_any) continue;
    }
    Package p;
    p.name = name;
    p.available.reserve(versions.size());
    for (const auto& [key, v] : versions) {
      if (!scan.native_arch.empty() && key.first != scan.native_arch && key.first != "all") continue;
      p.arch = key.first;
      p.available.push_back(v);
    }
    if (p.available.empty()) continue;
    sort_newest_first(p.available);
    scan.not_installed.push_back(std::move(p));
  }
}

void parse_apt(const std::vector<Section>& sections, HostScan& scan) {
  InstalledIndex index = read_dpkg_installed(sections, scan);
  std::shared_ptr<const AptOffers> offers = shared_apt_offers(sections);
  match_installed(scan, *offers);
  add_not_installed(scan, *offers, index);
}

const Section* find_section(const std::vector<Section>& sections, std::string_view name) {
  for (const auto& s : sections)
    if (s.header == name) return &s;
  return nullptr;
}

std::string section_text(const std::vector<Section>& sections, std::string_view name) {
  const Section* s = find_section(sections, name);
  return s ? join_lines(s->lines) : std::string();
}

} // namespace

std::string scan_script(const ScanScriptOptions& o) {
  return fmt::format("#!/bin/sh\n# sshm patch scan: reads package state; changes nothing but the package lists "
                     "when asked to refresh them.\nSSHM_UPDATE={}\nSSHM_LOCK_TIMEOUT={}\nSSHM_BOOT_ID_CMD={}\n{}",
                     o.update ? 1 : 0, o.lock_timeout_s, shell_quote(o.boot_id_command), k_script_body);
}

bool is_security_origin(const Origin& o) {
  return o.archive.find("security") != std::string::npos || o.site == "security.debian.org";
}

void identify_os(HostScan& scan) {
  const std::string& id = scan.os_id;
  const std::string& v = scan.os_version_id;
  std::string major = v.substr(0, v.find('.'));
  struct Os {
    const char* id;
    const char* os;
    const char* product;
  };
  static const Os table[] = {{"debian", "DEBIAN", "Debian"},       {"ubuntu", "UBUNTU", "Ubuntu"},
                             {"raspbian", "RASPBIAN", "Raspbian"}, {"rhel", "REDHAT_ENTERPRISE_LINUX", "RedhatEnterpriseLinux"},
                             {"centos", "CENTOS", "CentOS"},       {"ol", "ORACLE_LINUX", "OracleLinux"},
                             {"rocky", "ROCKY_LINUX", "RockyLinux"}, {"almalinux", "ALMA_LINUX", "AlmaLinux"},
                             {"sles", "SUSE", "SUSE"},             {"sled", "SUSE", "SUSE"},
                             {"opensuse-leap", "SUSE", "OpenSUSE"}, {"alpine", "ALPINE", "Alpine"}};
  for (const auto& t : table) {
    if (id == t.id) {
      scan.operating_system = t.os;
      std::string ver = v;
      if (id == "debian") ver = major;
      if (id == "alpine") {
        auto parts = split(v, '.');
        ver = parts.size() >= 2 ? parts[0] + "." + parts[1] : v;
      }
      scan.product = std::string(t.product) + ver;
      return;
    }
  }
  if (id == "amzn") {
    if (v == "2") scan.operating_system = "AMAZON_LINUX_2";
    else if (v == "2022") scan.operating_system = "AMAZON_LINUX_2022";
    else if (v == "2023") scan.operating_system = "AMAZON_LINUX_2023";
    else scan.operating_system = "AMAZON_LINUX";
    scan.product = "AmazonLinux" + v;
  }
}

HostScan parse_scan_output(std::string_view output) {
  HostScan scan;
  auto sections = split_sections(output);
  bool header = false;
  bool done = false;
  for (const auto& s : sections) {
    if (s.header == "sshm-patch-scan 1") header = true;
    if (s.header == "done") done = true;
    if (starts_with(s.header, "pm ")) scan.package_manager = s.header.substr(3);
    if (starts_with(s.header, "arch ")) scan.native_arch = s.header.substr(5);
    if (starts_with(s.header, "boot ")) scan.boot_id = trim(s.header.substr(5));
    if (s.header == "reboot-required") scan.reboot_required_marker = true;
    if (starts_with(s.header, "error ")) scan.errors.push_back(s.header.substr(6));
    if (s.header == "states") parse_states(s.lines, scan);
    if (s.header == "os") {
      for (auto line : s.lines) {
        size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        std::string key(line.substr(0, eq));
        std::string value = unquote(std::string(line.substr(eq + 1)));
        if (key == "ID") scan.os_id = value;
        if (key == "VERSION_ID") scan.os_version_id = value;
        if (key == "PRETTY_NAME") scan.os_name = value;
      }
    }
  }
  if (!header) {
    scan.errors.push_back("the scan script did not start (no shell, or sudo refused?)");
    return scan;
  }
  if (!done) scan.errors.push_back("the scan output ended early");
  identify_os(scan);
  if (scan.package_manager == "apt") {
    parse_apt(sections, scan);
  } else if (scan.package_manager == "dnf" || scan.package_manager == "yum") {
    scan.installed = parse_rpm_installed(section_text(sections, "installed"));
    apply_rpm_updates(scan.installed, parse_rpm_check_update(section_text(sections, "check-update")),
                      parse_updateinfo_list(section_text(sections, "updateinfo-list")),
                      parse_updateinfo_dates(section_text(sections, "updateinfo-info")));
  } else if (scan.package_manager == "zypper") {
    scan.installed = parse_rpm_installed(section_text(sections, "installed"));
    apply_zypper_updates(scan.installed, parse_zypper_list_updates(section_text(sections, "list-updates")),
                         parse_zypper_patch_info(section_text(sections, "patch-info")));
  } else if (scan.package_manager == "apk") {
    scan.installed = apk_packages(parse_apk_list(section_text(sections, "installed")),
                                  parse_apk_list(section_text(sections, "upgradable")));
  }
  return scan;
}

} // namespace sshm::patch
