#include "inventory/parse.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <fmt/format.h>
#include <map>
#include <regex>

namespace sshm::inventory {

namespace {

constexpr char k_us = '\x1f';
constexpr char k_rs = '\x1e';
constexpr const char* k_marker = "@@SSHM@@";

// Splits into records at RS; each record's leading newline (left from the previous line) is dropped.
std::vector<std::string_view> records(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(k_rs, start);
    std::string_view rec = text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
    while (!rec.empty() && (rec.front() == '\n' || rec.front() == '\r')) rec.remove_prefix(1);
    if (!rec.empty()) out.push_back(rec);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::vector<std::string> fields(std::string_view rec) { return split(rec, k_us); }

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      if (start < text.size()) out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whitespace-separated words of a line.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t s = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > s) out.emplace_back(line.substr(s, i - s));
  }
  return out;
}

// Sets row[key] only for a non-empty value: SSM leaves empty attributes out.
void put(Row& row, const std::string& key, const std::string& value) {
  if (!value.empty()) row[key] = value;
}

bool is_number(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

long long to_ll(std::string_view s, long long fallback = 0) {
  long long v = fallback;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() ? v : fallback;
}

// "key: value" lines (lscpu, cpuinfo, meminfo) into pairs, in order.
std::vector<std::pair<std::string, std::string>> colon_pairs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view l : lines(text)) {
    size_t c = l.find(':');
    if (c == std::string_view::npos) continue;
    out.emplace_back(trim(l.substr(0, c)), trim(l.substr(c + 1)));
  }
  return out;
}

std::string join_list(const std::vector<std::string>& v) { return join(v, ","); }

} // namespace

std::vector<Section> split_sections(std::string_view stream, std::string_view nonce) {
  std::vector<Section> out;
  std::string marker = std::string("\n") + k_marker + std::string(nonce) + " ";
  std::string text = "\n" + std::string(stream);  // so a marker on the first line is found too
  size_t pos = text.find(marker);
  while (pos != std::string::npos) {
    size_t name_start = pos + marker.size();
    size_t name_end = text.find('\n', name_start);
    if (name_end == std::string::npos) name_end = text.size();
    size_t next = text.find(marker, name_end);
    size_t body_start = std::min(name_end + 1, text.size());
    size_t body_end = next == std::string::npos ? text.size() : next;
    out.push_back({text.substr(name_start, name_end - name_start),
                   text.substr(body_start, body_end > body_start ? body_end - body_start : 0)});
    pos = next;
  }
  return out;
}

std::string ssm_architecture(std::string_view arch) {
  if (arch == "amd64") return "x86_64";
  if (arch == "386" || arch == "i386") return "i386";
  return std::string(arch);
}

std::string epoch_to_iso(std::string_view seconds) {
  if (!is_number(seconds)) return "";
  std::time_t t = static_cast<std::time_t>(to_ll(seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string utf8_truncate(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

std::vector<Row> parse_dpkg(std::string_view text) {
  std::vector<Row> out;
  for (std::string_view rec : records(text)) {
    auto f = fields(rec);
    if (f.size() < 8 || f[0].empty()) continue;
    Row r;
    r["Name"] = f[0];
    put(r, "Version", f[1]);
    put(r, "Architecture", ssm_architecture(f[2]));
    put(r, "Publisher", f[3]);
    put(r, "ApplicationType", f[4]);
    put(r, "URL", f[5]);
    put(r, "Summary", utf8_truncate(f[6], 100));
    put(r, "InstalledTime", epoch_to_iso(f[7]));
    put(r, "PackageId", fmt::format("{}_{}_{}.deb", f[0], f[1], f[2]));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_rpm(std::string_view text) {
  std::vector<Row> out;
  auto value = [](const std::string& v) { return v == "(none)" ? std::string() : v; };
  for (std::string_view rec : records(text)) {
    auto f = fields(rec);
    if (f.size() < 11 || f[0].empty()) continue;
    Row r;
    r["Name"] = f[0];
    put(r, "Publisher", value(f[1]));
    put(r, "Version", value(f[2]));
    put(r, "Release", value(f[3]));
    put(r, "Epoch", value(f[4]));
    put(r, "InstalledTime", epoch_to_iso(value(f[5])));
    put(r, "ApplicationType", value(f[6]));
    put(r, "Architecture", ssm_architecture(value(f[7])));
    put(r, "URL", value(f[8]));
    put(r, "Summary", utf8_truncate(value(f[9]), 100));
    if (value(f[7]).empty()) {
      put(r, "PackageId", fmt::format("{}-{}-{}.rpm", f[0], f[2], f[3]));
    } else {
      put(r, "PackageId", fmt::format("{}-{}-{}.{}.rpm", f[0], f[2], f[3], f[7]));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_apk_db(std::string_view text) {
  std::vector<Row> out;
  Row cur;
  auto flush = [&] {
    if (cur.count("Name")) {
      put(cur, "PackageId", fmt::format("{}-{}.apk", cur["Name"], cur.count("Version") ? cur["Version"] : ""));
      out.push_back(cur);
    }
    cur.clear();
  };
  for (std::string_view l : lines(text)) {
    if (l.empty()) {
      flush();
      continue;
    }
    if (l.size() < 2 || l[1] != ':') continue;
    std::string v(l.substr(2));
    switch (l[0]) {
    case 'P': put(cur, "Name", v); break;
    case 'V': put(cur, "Version", v); break;
    case 'A': put(cur, "Architecture", ssm_architecture(v)); break;
    case 'T': put(cur, "Summary", utf8_truncate(v, 100)); break;
    case 'U': put(cur, "URL", v); break;
    case 'm': put(cur, "Publisher", v); break;
    default: break;
    }
  }
  flush();
  return out;
}

std::vector<std::string> parse_resolv_conf(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view l : lines(text)) {
    auto w = words(l);
    if (w.size() >= 2 && w[0] == "nameserver") out.push_back(w[1]);
  }
  return out;
}

std::string prefix_to_netmask(int prefix) {
  if (prefix < 0 || prefix > 32) return "";
  unsigned long mask = prefix == 0 ? 0UL : (0xFFFFFFFFUL << (32 - prefix)) & 0xFFFFFFFFUL;
  return fmt::format("{}.{}.{}.{}", (mask >> 24) & 255, (mask >> 16) & 255, (mask >> 8) & 255, mask & 255);
}

namespace {

// Default gateways per device from `ip -j route` output.
std::map<std::string, std::vector<std::string>> json_gateways(std::string_view route_json) {
  std::map<std::string, std::vector<std::string>> out;
  auto routes = nlohmann::json::parse(route_json, nullptr, false);
  if (!routes.is_array()) return out;
  for (const auto& r : routes) {
    if (!r.is_object() || r.value("dst", "") != "default") continue;
    std::string dev = r.value("dev", "");
    std::string gw = r.value("gateway", "");
    if (!dev.empty() && !gw.empty()) out[dev].push_back(gw);
  }
  return out;
}

} // namespace

std::vector<Row> parse_ip_json(std::string_view addr_json, std::string_view route_json, std::string_view route6_json,
                               const std::vector<std::string>& dns) {
  std::vector<Row> out;
  auto links = nlohmann::json::parse(addr_json, nullptr, false);
  if (!links.is_array()) return out;
  auto gw4 = json_gateways(route_json);
  auto gw6 = json_gateways(route6_json);
  for (const auto& link : links) {
    if (!link.is_object()) continue;
    bool loopback = link.value("link_type", "") == "loopback";
    if (link.contains("flags") && link["flags"].is_array())
      for (const auto& f : link["flags"])
        if (f == "LOOPBACK") loopback = true;
    if (loopback) continue;
    std::string name = link.value("ifname", "");
    if (name.empty()) continue;
    std::vector<std::string> v4, v6;
    std::string mask;
    if (link.contains("addr_info") && link["addr_info"].is_array()) {
      for (const auto& a : link["addr_info"]) {
        if (!a.is_object()) continue;
        std::string fam = a.value("family", "");
        std::string local = a.value("local", "");
        if (local.empty()) continue;
        if (fam == "inet") {
          v4.push_back(local);
          if (mask.empty() && a.contains("prefixlen") && a["prefixlen"].is_number_integer())
            mask = prefix_to_netmask(a["prefixlen"].get<int>());
        } else if (fam == "inet6") {
          v6.push_back(local);
        }
      }
    }
    Row r;
    r["Name"] = name;
    put(r, "MacAddress", link.value("address", ""));
    put(r, "IPV4", join_list(v4));
    put(r, "IPV6", join_list(v6));
    put(r, "SubnetMask", mask);
    std::vector<std::string> gws = gw4[name];
    for (const auto& g : gw6[name]) gws.push_back(g);
    put(r, "Gateway", join_list(gws));
    put(r, "DNSServer", join_list(dns));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_ip_text(std::string_view addr_text, std::string_view route_text,
                               const std::vector<std::string>& dns) {
  std::map<std::string, std::vector<std::string>> gws;
  for (std::string_view l : lines(route_text)) {
    auto w = words(l);
    if (w.empty() || w[0] != "default") continue;
    std::string via, dev;
    for (size_t i = 1; i + 1 < w.size(); ++i) {
      if (w[i] == "via") via = w[i + 1];
      if (w[i] == "dev") dev = w[i + 1];
    }
    if (!via.empty() && !dev.empty()) gws[dev].push_back(via);
  }
  struct Iface {
    std::string name, mac, mask;
    std::vector<std::string> v4, v6;
    bool loopback = false;
  };
  std::vector<Iface> ifaces;
  for (std::string_view l : lines(addr_text)) {
    if (l.empty()) continue;
    if (!std::isspace(static_cast<unsigned char>(l[0]))) {
      // "2: eth0@if5: <BROADCAST,UP> mtu 1500 ..."
      auto w = words(l);
      if (w.size() < 2) continue;
      Iface i;
      i.name = w[1];
      if (!i.name.empty() && i.name.back() == ':') i.name.pop_back();
      if (auto at = i.name.find('@'); at != std::string::npos) i.name.erase(at);
      i.loopback = w.size() > 2 && w[2].find("LOOPBACK") != std::string::npos;
      ifaces.push_back(i);
      continue;
    }
    if (ifaces.empty()) continue;
    auto w = words(l);
    if (w.size() < 2) continue;
    Iface& cur = ifaces.back();
    if (w[0] == "link/loopback") cur.loopback = true;
    if (starts_with(w[0], "link/") && cur.mac.empty() && w[0] != "link/none") cur.mac = w[1];
    if (w[0] == "inet" || w[0] == "inet6") {
      std::string addr = w[1];
      std::string prefix;
      if (auto slash = addr.find('/'); slash != std::string::npos) {
        prefix = addr.substr(slash + 1);
        addr.erase(slash);
      }
      if (w[0] == "inet") {
        cur.v4.push_back(addr);
        if (cur.mask.empty() && is_number(prefix)) cur.mask = prefix_to_netmask(static_cast<int>(to_ll(prefix)));
      } else {
        cur.v6.push_back(addr);
      }
    }
  }
  std::vector<Row> out;
  for (const Iface& i : ifaces) {
    if (i.loopback) continue;
    Row r;
    r["Name"] = i.name;
    put(r, "MacAddress", i.mac);
    put(r, "IPV4", join_list(i.v4));
    put(r, "IPV6", join_list(i.v6));
    put(r, "SubnetMask", i.mask);
    put(r, "Gateway", join_list(gws[i.name]));
    put(r, "DNSServer", join_list(dns));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_sysfs_net(std::string_view text, const std::vector<std::string>& dns) {
  std::vector<Row> out;
  for (std::string_view l : lines(text)) {
    auto w = words(l);
    if (w.empty() || w[0] == "lo") continue;
    Row r;
    r["Name"] = w[0];
    if (w.size() > 1) put(r, "MacAddress", w[1]);
    put(r, "DNSServer", join_list(dns));
    out.push_back(std::move(r));
  }
  return out;
}

Row parse_cpu(std::string_view lscpu, std::string_view cpuinfo, std::string_view meminfo) {
  Row r;
  std::map<std::string, std::string> ls;
  for (auto& [k, v] : colon_pairs(lscpu))
    if (!ls.count(k)) ls[k] = v;
  // /proc/cpuinfo: count processors, distinct sockets and cores, first model and speed.
  int processors = 0;
  std::set<std::string> sockets;
  std::set<std::pair<std::string, std::string>> cores;
  std::string model, mhz, physical = "0";
  for (auto& [k, v] : colon_pairs(cpuinfo)) {
    if (k == "processor") {
      ++processors;
      physical = "0";
    } else if (k == "physical id") {
      physical = v;
      sockets.insert(v);
    } else if (k == "core id") {
      cores.insert({physical, v});
    } else if (k == "model name" && model.empty()) {
      model = v;
    } else if (k == "cpu MHz" && mhz.empty()) {
      mhz = v;
    }
  }
  auto int_part = [](const std::string& s) {
    std::string n = s.substr(0, s.find('.'));
    return is_number(n) ? n : std::string();
  };
  std::string cpus = ls.count("CPU(s)") ? ls["CPU(s)"] : (processors ? std::to_string(processors) : "");
  std::string sock = ls.count("Socket(s)") ? ls["Socket(s)"] : "";
  if (!is_number(sock)) sock = sockets.empty() ? (processors ? "1" : "") : std::to_string(sockets.size());
  std::string per_socket = ls.count("Core(s) per socket") ? ls["Core(s) per socket"] : "";
  std::string core_count;
  if (is_number(sock) && is_number(per_socket)) {
    core_count = std::to_string(to_ll(sock) * to_ll(per_socket));
  } else if (!cores.empty()) {
    core_count = std::to_string(cores.size());
  } else if (!cpus.empty()) {
    core_count = cpus;
  }
  std::string ht;
  if (ls.count("Thread(s) per core") && is_number(ls["Thread(s) per core"])) {
    ht = to_ll(ls["Thread(s) per core"]) > 1 ? "true" : "false";
  } else if (is_number(cpus) && is_number(core_count)) {
    ht = to_ll(cpus) > to_ll(core_count) ? "true" : "false";
  }
  std::string speed = ls.count("CPU MHz") ? int_part(ls["CPU MHz"]) : "";
  if (speed.empty()) speed = int_part(mhz);
  if (speed.empty() && ls.count("CPU max MHz")) speed = int_part(ls["CPU max MHz"]);
  put(r, "CPUModel", ls.count("Model name") ? ls["Model name"] : model);
  put(r, "CPUs", cpus);
  put(r, "CPUSockets", sock);
  put(r, "CPUCores", core_count);
  put(r, "CPUHyperThreadEnabled", ht);
  put(r, "CPUSpeedMHz", speed);
  for (auto& [k, v] : colon_pairs(meminfo)) {
    if (k != "MemTotal") continue;
    auto w = words(v);
    if (!w.empty() && is_number(w[0])) put(r, "TotalMemoryMB", std::to_string(to_ll(w[0]) / 1024));
  }
  return r;
}

std::vector<Row> parse_systemctl(std::string_view units, std::string_view unit_files) {
  std::map<std::string, std::string> start_type;
  for (std::string_view l : lines(unit_files)) {
    auto w = words(l);
    if (w.size() < 2 || !ends_with(w[0], ".service")) continue;
    std::string state = w[1];
    std::string t;
    if (state == "enabled" || state == "enabled-runtime") t = "Automatic";
    else if (state == "disabled") t = "Disabled";
    else if (state == "static" || state == "indirect" || state == "generated" || state == "transient") t = "Manual";
    else if (state == "masked" || state == "masked-runtime") t = "Masked";
    else t = state;
    start_type[w[0]] = t;
  }
  std::vector<Row> out;
  for (std::string_view l : lines(units)) {
    auto w = words(l);
    if (!w.empty() && (w[0] == "\xe2\x97\x8f" || w[0] == "*")) w.erase(w.begin());  // the failed-unit dot
    if (w.size() < 4 || !ends_with(w[0], ".service")) continue;
    const std::string& unit = w[0];
    const std::string& active = w[2];
    const std::string& sub = w[3];
    std::vector<std::string> desc(w.begin() + 4, w.end());
    std::string status;
    if (sub == "running") status = "Running";
    else if (active == "failed" || sub == "failed") status = "Failed";
    else if (sub == "dead" || active == "inactive") status = "Stopped";
    else if (sub == "exited") status = "Exited";
    else {
      status = sub;
      if (!status.empty()) status[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(status[0])));
    }
    Row r;
    r["Name"] = unit.substr(0, unit.size() - std::string_view(".service").size());
    put(r, "DisplayName", join(desc, " "));
    r["ServiceType"] = "systemd";
    put(r, "Status", status);
    auto st = start_type.find(unit);
    if (st != start_type.end()) put(r, "StartType", st->second);
    else if (w[1] == "not-found") put(r, "StartType", "NotFound");
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_processes(std::string_view ps, std::string_view proc_status, std::string_view passwd) {
  std::map<std::string, std::string> users;
  for (std::string_view l : lines(passwd)) {
    auto f = split(l, ':');
    if (f.size() >= 3 && !users.count(f[2])) users[f[2]] = f[0];
  }
  std::map<long long, std::string> args;
  for (std::string_view l : lines(ps)) {
    std::string t = trim(l);
    size_t sp = t.find_first_of(" \t");
    std::string pid = t.substr(0, sp);
    if (!is_number(pid)) continue;
    args[to_ll(pid)] = sp == std::string::npos ? "" : trim(std::string_view(t).substr(sp));
  }
  std::vector<Row> out;
  auto recs = records(proc_status);
  if (!recs.empty()) {
    std::vector<std::pair<long long, Row>> rows;
    for (std::string_view rec : recs) {
      auto f = fields(rec);
      if (f.size() < 3 || !is_number(f[0])) continue;
      Row r;
      long long pid = to_ll(f[0]);
      r["Pid"] = f[0];
      put(r, "Name", trim(f[1]));
      auto uid_words = words(f[2]);
      if (!uid_words.empty()) {
        auto u = users.find(uid_words[0]);
        put(r, "User", u != users.end() ? u->second : uid_words[0]);
      }
      if (auto a = args.find(pid); a != args.end()) put(r, "CommandLine", a->second);
      rows.emplace_back(pid, std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [pid, r] : rows) out.push_back(std::move(r));
    return out;
  }
  for (const auto& [pid, cmd] : args) {
    Row r;
    r["Pid"] = std::to_string(pid);
    std::string name = cmd.substr(0, cmd.find(' '));
    if (starts_with(name, "[") && ends_with(name, "]")) name = name.substr(1, name.size() - 2);
    else if (auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
    put(r, "Name", name);
    put(r, "CommandLine", cmd);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_files(std::string_view stat_text, std::string_view hash_text, size_t max_files) {
  std::map<std::string, std::string> hashes;
  for (std::string_view l : lines(hash_text)) {
    // "<64 hex>  <path>"
    if (l.size() < 67 || l[64] != ' ') continue;
    std::string path(l.substr(66));
    hashes[path] = std::string(l.substr(0, 64));
  }
  std::vector<Row> out;
  std::set<std::string> seen;
  for (std::string_view rec : records(stat_text)) {
    if (out.size() >= max_files) break;
    auto f = fields(rec);
    if (f.size() < 4 || f[0].empty() || !seen.insert(f[0]).second) continue;
    Row r;
    const std::string& path = f[0];
    size_t slash = path.rfind('/');
    r["Name"] = slash == std::string::npos ? path : path.substr(slash + 1);
    put(r, "InstalledDir", slash == std::string::npos ? "" : (slash == 0 ? "/" : path.substr(0, slash)));
    put(r, "Size", f[1]);
    put(r, "ModificationTime", epoch_to_iso(f[2]));
    put(r, "LastAccessTime", epoch_to_iso(f[3]));
    if (auto h = hashes.find(path); h != hashes.end()) r["Hash"] = "sha256:" + h->second;
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, std::string> parse_os_release(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view l : lines(text)) {
    size_t eq = l.find('=');
    if (eq == std::string_view::npos || l.empty() || l[0] == '#') continue;
    std::string key = trim(l.substr(0, eq));
    std::string v = trim(l.substr(eq + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    out[key] = v;
  }
  return out;
}

namespace {

// What is wrong with a custom inventory file's TypeName, SchemaVersion or Content ("" for nothing).
std::string custom_header_problem(const nlohmann::json& doc) {
  static const std::regex k_schema_version(R"(^([0-9]{1,6})(\.[0-9]{1,6})$)");
  if (!doc.is_object()) return "the file must hold a JSON object with SchemaVersion, TypeName and Content";
  if (!doc.contains("TypeName") || !doc["TypeName"].is_string() || doc["TypeName"].get<std::string>().empty())
    return "TypeName is missing or not a string";
  std::string type = doc["TypeName"];
  if (type.size() > 100) return "TypeName is longer than 100 characters";
  if (!starts_with(type, "Custom:")) return fmt::format("TypeName '{}' must start with 'Custom:'", type);
  if (!doc.contains("SchemaVersion") || !doc["SchemaVersion"].is_string() ||
      !std::regex_match(doc["SchemaVersion"].get<std::string>(), k_schema_version))
    return "SchemaVersion must be a string like \"1.0\" (pattern ^([0-9]{1,6})(\\.[0-9]{1,6})$)";
  if (!doc.contains("Content") || !(doc["Content"].is_object() || doc["Content"].is_array()))
    return "Content must be an object or an array of objects";
  return "";
}

// One entry of Content as a row, within SSM's limits; nullopt with `reason` when it is not.
std::optional<Row> custom_row(const nlohmann::json& e, size_t i, std::string& reason) {
  if (!e.is_object()) {
    reason = fmt::format("Content entry {} is not an object", i);
    return std::nullopt;
  }
  if (e.size() > 50) {
    reason = fmt::format("Content entry {} has {} attributes (at most 50)", i, e.size());
    return std::nullopt;
  }
  Row r;
  for (const auto& [k, v] : e.items()) {
    if (k.empty() || k.size() > 64) {
      reason = fmt::format("attribute name '{}' must be 1 to 64 characters", k);
      return std::nullopt;
    }
    if (!v.is_string()) {
      reason = fmt::format("attribute '{}' is not a string (custom inventory values must be strings)", k);
      return std::nullopt;
    }
    std::string s = v;
    if (s.size() > 4096) {
      reason = fmt::format("attribute '{}' is longer than 4096 characters", k);
      return std::nullopt;
    }
    r[k] = s;
  }
  return r;
}

} // namespace

std::optional<InventoryItem> parse_custom_file(const std::string& path, std::string_view text,
                                               std::set<std::string>& seen_types, std::string& reason) {
  if (!ends_with(path, ".json")) {
    reason = "not a .json file";
    return std::nullopt;
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    reason = fmt::format("invalid JSON at byte {}", e.byte);
    return std::nullopt;
  }
  if (std::string problem = custom_header_problem(doc); !problem.empty()) {
    reason = problem;
    return std::nullopt;
  }
  std::string type = doc["TypeName"];
  nlohmann::json entries = doc["Content"].is_object() ? nlohmann::json::array({doc["Content"]}) : doc["Content"];
  InventoryItem item;
  item.type_name = type;
  item.schema_version = doc["SchemaVersion"];
  for (size_t i = 0; i < entries.size(); ++i) {
    std::optional<Row> r = custom_row(entries[i], i, reason);
    if (!r) return std::nullopt;
    item.content.push_back(std::move(*r));
  }
  if (seen_types.count(type)) {
    reason = fmt::format("duplicate TypeName '{}' (another file already defines it)", type);
    return std::nullopt;
  }
  if (seen_types.size() >= 20) {
    reason = "more than 20 custom inventory types";
    return std::nullopt;
  }
  seen_types.insert(type);
  return item;
}

namespace {

bool is_aws_component(const std::string& name) {
  static const char* k_names[] = {"amazon-ssm-agent", "amazon-cloudwatch-agent", "aws-cfn-bootstrap",
                                  "awscli", "aws-cli", "ec2-instance-connect", "amazon-efs-utils"};
  for (const char* n : k_names)
    if (name == n) return true;
  return starts_with(name, "aws-apitools-") || starts_with(name, "aws-amitools-");
}

// The gatherer's sections by name.
using Sections = std::map<std::string, std::string>;

// Whichever network source the host had: ip -j, ip's text, or /sys/class/net.
std::vector<Row> parse_network(Sections& sec) {
  auto dns = parse_resolv_conf(sec["resolv"]);
  if (sec.count("ip-j-addr")) return parse_ip_json(sec["ip-j-addr"], sec["ip-j-route"], sec["ip-j-route6"], dns);
  if (sec.count("ip-addr")) return parse_ip_text(sec["ip-addr"], sec["ip-route"], dns);
  if (sec.count("sysfs-net")) return parse_sysfs_net(sec["sysfs-net"], dns);
  return {};
}

Row instance_information(Sections& sec, const std::vector<Row>& net, const std::string& instance_id) {
  auto os = parse_os_release(sec["os-release"]);
  auto uname = lines(sec["uname"]);
  Row info;
  info["InstanceId"] = instance_id;
  put(info, "ComputerName", trim(sec["host"]));
  for (const Row& n : net) {
    if (n.count("IPV4")) {
      info["IpAddress"] = split(n.at("IPV4"), ',')[0];
      break;
    }
  }
  put(info, "PlatformName", os.count("NAME") ? os["NAME"] : "");
  put(info, "PlatformVersion", os.count("VERSION_ID") ? os["VERSION_ID"] : "");
  info["PlatformType"] = "Linux";
  if (!uname.empty()) put(info, "KernelVersion", std::string(uname[0]));
  if (uname.size() > 1) put(info, "Architecture", std::string(uname[1]));
  info["AgentType"] = "sshm";
  info["AgentVersion"] = "0.1.0";
  info["ResourceType"] = "ManagedInstance";
  info["InstanceStatus"] = "Active";
  return info;
}

// Every package database the host has; `package_manager` names the one the host runs on.
// Distributor packages as the host's installstate files say (one JSON object a line): each
// one Installed is an application, its archive as PackageId.
std::vector<Row> parse_distributor(std::string_view text) {
  std::vector<Row> out;
  for (std::string_view line : lines(text)) {
    nlohmann::json s = nlohmann::json::parse(line, nullptr, false);
    if (!s.is_object() || !s.value("name", nlohmann::json()).is_string() || s.value("state", nlohmann::json()) != "Installed")
      continue;
    auto field = [&](const char* key) {
      const auto& v = s.value(key, nlohmann::json());
      return v.is_string() ? utf8_truncate(v.get<std::string>(), 256) : std::string();
    };
    Row r;
    r["Name"] = field("name");
    put(r, "Version", field("version"));
    put(r, "Architecture", field("architecture"));
    put(r, "ApplicationType", "Distributor");
    put(r, "InstalledTime", field("installedTime"));
    put(r, "PackageId", field("packageId"));
    if (!r["Name"].empty()) out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> parse_applications(Sections& sec, std::string& package_manager) {
  std::vector<Row> apps;
  if (sec.count("dpkg")) {
    apps = parse_dpkg(sec["dpkg"]);
    package_manager = "dpkg";
  }
  if (sec.count("rpm")) {
    auto rpm = parse_rpm(sec["rpm"]);
    if (!rpm.empty() || package_manager.empty()) package_manager = "rpm";
    if (!rpm.empty() && apps.empty()) apps = std::move(rpm);
    else apps.insert(apps.end(), rpm.begin(), rpm.end());
  }
  if (sec.count("apk")) {
    auto apk = parse_apk_db(sec["apk"]);
    if (package_manager.empty() || apps.empty()) package_manager = "apk";
    apps.insert(apps.end(), apk.begin(), apk.end());
  }
  if (sec.count("distributor")) {
    auto packages = parse_distributor(sec["distributor"]);
    apps.insert(apps.end(), packages.begin(), packages.end());
  }
  return apps;
}

// AWS:AWSComponent: the applications that are AWS's own, with the fields SSM keeps for them.
std::vector<Row> aws_components(const std::vector<Row>& apps) {
  std::vector<Row> comps;
  for (const Row& a : apps) {
    if (!is_aws_component(a.at("Name"))) continue;
    Row c;
    for (const char* k : {"Name", "ApplicationType", "Publisher", "Version", "InstalledTime", "Architecture", "URL"})
      if (a.count(k)) c[k] = a.at(k);
    comps.push_back(std::move(c));
  }
  return comps;
}

// The host's custom inventory files; a file SSM would reject is a warning, not an item.
void add_custom_items(const std::vector<std::pair<std::string, std::string>>& custom_files,
                      const std::string& capture_time, ParsedInventory& result) {
  std::set<std::string> seen;
  for (const auto& [path, body] : custom_files) {
    std::string reason;
    auto custom = parse_custom_file(path, body, seen, reason);
    if (!custom) {
      result.warnings.push_back(fmt::format("custom inventory {} rejected: {}", path, reason));
      continue;
    }
    custom->capture_time = capture_time;
    result.items.push_back(std::move(*custom));
  }
}

} // namespace

ParsedInventory parse_stream(std::string_view stream, std::string_view nonce, const ParseSelection& selection,
                             const std::string& instance_id, const std::string& capture_time) {
  ParsedInventory result;
  Sections sec;
  std::vector<std::pair<std::string, std::string>> custom_files;
  for (Section& s : split_sections(stream, nonce)) {
    if (starts_with(s.name, "custom ")) custom_files.emplace_back(s.name.substr(7), std::move(s.body));
    else sec[s.name] = std::move(s.body);
  }
  auto item = [&](const char* type, std::vector<Row> rows) {
    const TypeSchema* schema = find_builtin_type(type);
    InventoryItem it{type, schema ? schema->schema_version : "1.0", capture_time, std::move(rows)};
    result.items.push_back(std::move(it));
  };

  // Network first: InstanceInformation takes its IpAddress from it.
  std::vector<Row> net = parse_network(sec);
  item("AWS:InstanceInformation", {instance_information(sec, net, instance_id)});
  if (selection.applications || selection.aws_components) {
    std::vector<Row> apps = parse_applications(sec, result.package_manager);
    if (selection.aws_components)
      if (std::vector<Row> comps = aws_components(apps); !comps.empty()) item("AWS:AWSComponent", std::move(comps));
    if (selection.applications) item("AWS:Application", std::move(apps));
  }
  if (selection.network) item("AWS:Network", std::move(net));
  if (selection.instance_detailed) {
    Row d = parse_cpu(sec["lscpu"], sec["cpuinfo"], sec["meminfo"]);
    auto uname = lines(sec["uname"]);
    if (!uname.empty()) put(d, "KernelVersion", std::string(uname[0]));
    item("AWS:InstanceDetailedInformation", {d});
  }
  if (selection.services && sec.count("systemctl-units"))
    item("AWS:Service", parse_systemctl(sec["systemctl-units"], sec["systemctl-unit-files"]));
  if (selection.processes && (sec.count("ps") || sec.count("proc-status")))
    item("sshm:Process", parse_processes(sec["ps"], sec["proc-status"], sec["passwd"]));
  if (selection.files) item("AWS:File", parse_files(sec["files"], sec["file-hash"], selection.max_files));
  if (selection.custom) add_custom_items(custom_files, capture_time, result);
  if (!sec.count("end")) result.warnings.push_back("the gatherer's output ended early; some types may be missing");
  return result;
}

} // namespace sshm::inventory
