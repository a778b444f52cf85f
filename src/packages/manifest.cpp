#include "packages/manifest.hpp"

#include "util/bounded_parse.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vector>

namespace sshm::packages {

namespace {

// Where a node is in the file (yaml-cpp reads JSON too, and keeps each node's mark).
Location at(const std::string& file, const YAML::Node& node) {
  return Location{file, node.Mark().line + 1, node.Mark().column + 1};
}

[[noreturn]] void fail(const std::string& file, const YAML::Node& node, const std::string& message,
                       std::string suggestion = {}) {
  throw InputError(at(file, node), message, std::move(suggestion));
}

// The line and column of byte `offset` of `text`.
Location location_of(const std::string& file, const std::string& text, size_t offset) {
  Location loc{file, 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
  }
  return loc;
}

// Strict JSON first (yaml-cpp would accept YAML): a syntax error is reported where it is.
void check_json_syntax(const std::string& text, const std::string& file) {
  bounded::check_json(text, file);
  try {
    nlohmann::json parsed = nlohmann::json::parse(text);
    (void)parsed;
  } catch (const nlohmann::json::parse_error& e) {
    size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    auto pos = what.find("syntax error");
    throw InputError(location_of(file, text, byte),
                     "manifest.json is not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
  }
}

void check_keys(const std::string& file, const YAML::Node& map, const std::vector<std::string>& known) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (!ok) fail(file, kv.first, fmt::format("unknown field '{}' in the manifest", key), closest_match(key, known));
  }
}

std::string text_field(const std::string& file, const YAML::Node& parent, const char* key, bool required) {
  YAML::Node node = parent[key];
  if (!node) {
    if (required) fail(file, parent, fmt::format("the manifest has no \"{}\"", key));
    return {};
  }
  if (!node.IsScalar()) fail(file, node, fmt::format("\"{}\" must be a string", key));
  return node.as<std::string>();
}

YAML::Node object_field(const std::string& file, const YAML::Node& parent, const std::string& key) {
  YAML::Node node = parent[key];
  if (!node) fail(file, parent, fmt::format("missing \"{}\"", key));
  if (!node.IsMap()) fail(file, node, fmt::format("\"{}\" must be an object", key));
  return node;
}

bool is_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (hex_digit(c) < 0) return false;
  return true;
}

void read_files(const std::string& file, const YAML::Node& root, Manifest& m) {
  for (const auto& kv : object_field(file, root, "files")) {
    std::string name = kv.first.as<std::string>();
    if (std::string problem = version_problem(name); !problem.empty() || name == "." || name == "..")
      fail(file, kv.first, fmt::format("file name '{}' is not a plain file name of [A-Za-z0-9_.-]", name));
    if (!ends_with(name, ".zip") && !ends_with(name, ".tar.gz") && !ends_with(name, ".tgz"))
      fail(file, kv.first, fmt::format("archive '{}' must be a .zip (or, as sshm's extension, a .tar.gz or .tgz)", name));
    if (!kv.second.IsMap()) fail(file, kv.second, fmt::format("files.{} must be an object", name));
    check_keys(file, kv.second, {"checksums", "size"});
    YAML::Node sums = object_field(file, kv.second, "checksums");
    check_keys(file, sums, {"sha256"});
    std::string sum = to_lower(text_field(file, sums, "sha256", true));
    if (!is_sha256(sum)) fail(file, sums["sha256"], fmt::format("files.{}.checksums.sha256 is not 64 hex digits", name));
    m.sha256[name] = sum;
  }
  if (m.sha256.empty()) fail(file, root["files"], "\"files\" lists no archive");
}

void read_packages(const std::string& file, const YAML::Node& root, Manifest& m) {
  for (const auto& platform : object_field(file, root, "packages")) {
    std::string p = to_lower(platform.first.as<std::string>());
    if (!platform.second.IsMap()) fail(file, platform.second, fmt::format("packages.{} must be an object", p));
    for (const auto& version : platform.second) {
      std::string v = version.first.as<std::string>();
      if (!version.second.IsMap()) fail(file, version.second, fmt::format("packages.{}.{} must be an object", p, v));
      for (const auto& arch : version.second) {
        std::string a = arch.first.as<std::string>();
        if (!arch.second.IsMap()) fail(file, arch.second, fmt::format("packages.{}.{}.{} must be an object", p, v, a));
        check_keys(file, arch.second, {"file"});
        std::string f = text_field(file, arch.second, "file", true);
        if (!m.sha256.count(f))
          fail(file, arch.second["file"], fmt::format("packages.{}.{}.{}: file '{}' is not in \"files\"", p, v, a, f));
        m.packages[p][v][a] = f;
      }
    }
  }
  if (m.packages.empty()) fail(file, root["packages"], "\"packages\" lists no platform");
}

bool plain_chars(const std::string& s) {
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

// The entry of `map` for `want`, else "_any"; nullptr when neither is there.
template <typename Map>
const typename Map::mapped_type* pick(const Map& map, const std::string& want) {
  if (auto it = map.find(want); it != map.end()) return &it->second;
  if (auto it = map.find("_any"); it != map.end()) return &it->second;
  return nullptr;
}

} // namespace

Manifest parse_manifest(const std::string& text, const std::string& file) {
  check_json_syntax(text, file);
  YAML::Node root = bounded::load_yaml(text, file);
  if (!root.IsMap()) throw InputError(Location{file, 1, 1}, "manifest.json must hold one JSON object");
  check_keys(file, root, {"schemaVersion", "version", "publisher", "packageArn", "packages", "files"});
  Manifest m;
  m.schema_version = text_field(file, root, "schemaVersion", true);
  if (m.schema_version != "2.0")
    fail(file, root["schemaVersion"], fmt::format("schemaVersion '{}' is not one Distributor reads (use \"2.0\")",
                                                  m.schema_version));
  m.version = text_field(file, root, "version", true);
  if (std::string problem = version_problem(m.version); !problem.empty()) fail(file, root["version"], problem);
  m.publisher = text_field(file, root, "publisher", false);
  (void)text_field(file, root, "packageArn", false);
  read_files(file, root, m);
  read_packages(file, root, m);
  return m;
}

HostPlatform host_platform(const std::string& os_id, const std::string& version_id, const std::string& machine) {
  HostPlatform h;
  std::string id = to_lower(trim(os_id));
  if (id == "amzn") id = "amazon";
  else if (id == "rhel") id = "redhat";
  else if (id == "ol") id = "oracle";
  else if (id == "sles" || starts_with(id, "opensuse")) id = "suse";
  h.name = id;
  h.version = trim(version_id);
  std::string m = trim(machine);
  if (m == "aarch64" || m == "arm64") h.arch = "arm64";
  else if (m == "i386" || m == "i486" || m == "i586" || m == "i686") h.arch = "i386";
  else if (m == "amd64") h.arch = "x86_64";
  else h.arch = m;
  return h;
}

std::optional<std::string> select_file(const Manifest& manifest, const HostPlatform& host) {
  const auto* versions = pick(manifest.packages, host.name);
  if (!versions) return std::nullopt;
  const std::map<std::string, std::string>* archs = nullptr;
  if (auto it = versions->find(host.version); it != versions->end()) archs = &it->second;
  size_t best = 0;
  const std::map<std::string, std::string>* prefix = nullptr;
  for (const auto& [key, entry] : *versions)
    if (key != "_any" && key.size() > best && starts_with(host.version, key + ".")) {
      best = key.size();
      prefix = &entry;
    }
  if (!archs) archs = prefix;
  if (!archs) archs = pick(*versions, "_any");
  if (!archs) return std::nullopt;
  const std::string* f = pick(*archs, host.arch);
  if (!f) return std::nullopt;
  return *f;
}

std::string package_name_problem(const std::string& name) {
  if (name.size() < 3 || name.size() > 128 || !plain_chars(name) || name.find_first_not_of('.') == std::string::npos)
    return fmt::format("package name '{}' must be 3 to 128 of A-Z a-z 0-9 _ - .", name);
  std::string lower = to_lower(name);
  if (starts_with(lower, "aws") || starts_with(lower, "amazon") || starts_with(lower, "amzn"))
    return fmt::format("package name '{}' starts with a prefix AWS keeps for its own (aws, amazon, amzn)", name);
  return {};
}

std::string version_problem(const std::string& version) {
  if (version.empty() || version.size() > 128 || !plain_chars(version) ||
      version.find_first_not_of('.') == std::string::npos)
    return fmt::format("version '{}' must be 1 to 128 of A-Z a-z 0-9 _ - .", version);
  return {};
}

} // namespace sshm::packages
