#include "patch/config.hpp"

#include "util/bounded_parse.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace sshm::patch {

namespace {

Location at(const std::string& file, const YAML::Node& n) {
  return yaml_location(file, n);
}

std::vector<std::string> known_names(const std::map<std::string, Baseline>& named) {
  std::vector<std::string> names;
  for (const auto& b : predefined_baselines()) names.push_back(b.name);
  for (const auto& [n, b] : named) names.push_back(n);
  return names;
}

std::vector<Baseline> resolve_ref(const std::string& ref, const std::map<std::string, Baseline>& named,
                                  const std::string& base_dir, const Location& where) {
  if (const Baseline* p = find_predefined(ref)) return {*p};
  if (auto it = named.find(ref); it != named.end()) return {it->second};
  std::filesystem::path path(ref);
  if (path.is_relative() && !base_dir.empty() && !std::filesystem::exists(path)) path = std::filesystem::path(base_dir) / path;
  if (ref.find('/') != std::string::npos || ref.find('.') != std::string::npos) {
    if (std::filesystem::exists(path)) return load_baselines(path.string());
  }
  std::vector<std::string> names = known_names(named);
  throw InputError(where, fmt::format("unknown patch baseline '{}' (a predefined name, a name from the patch config's "
                                      "baselines:, or a baseline file)",
                                      ref),
                   closest_match(ref, names));
}

} // namespace

PatchConfig PatchConfig::load(const std::string& path) {
  return parse(bounded::read_file(path, "patch config"), path);
}

PatchConfig PatchConfig::parse(const std::string& text, const std::string& file) {
  PatchConfig c;
  c.m_file = file;
  YAML::Node root;
  try {
    root = bounded::load_yaml(text, file);
  } catch (const YAML::Exception& e) {
    throw InputError(Location{file, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  if (root.IsNull()) return c;
  if (!root.IsMap()) throw InputError(at(file, root), "the patch config must be a mapping");
  const std::vector<std::string> keys = {"baselines", "patch_groups", "default_baselines"};
  for (const auto& kv : root) {
    std::string k = kv.first.Scalar();
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      throw InputError(at(file, kv.first), fmt::format("unknown key '{}' in the patch config (allowed: {})", k, join(keys, ", ")),
                       closest_match(k, keys));
  }
  std::string dir = std::filesystem::path(file).parent_path().string();
  if (YAML::Node b = root["baselines"]) {
    if (!b.IsMap()) throw InputError(at(file, b), "baselines must map names to baseline files");
    for (const auto& kv : b) {
      std::string name = kv.first.Scalar();
      if (!kv.second.IsScalar()) throw InputError(at(file, kv.second), "a baseline entry must be a file path");
      std::filesystem::path p(kv.second.Scalar());
      if (p.is_relative()) p = std::filesystem::path(dir) / p;
      if (!std::filesystem::exists(p))
        throw InputError(at(file, kv.second), fmt::format("baseline file '{}' does not exist", p.string()));
      auto loaded = load_baselines(p.string());
      if (loaded.size() != 1)
        throw InputError(at(file, kv.second), fmt::format("'{}' holds {} baselines; a named one must hold one", p.string(), loaded.size()));
      Baseline bl = loaded.front();
      bl.id = name;
      c.m_named[name] = bl;
    }
  }
  auto resolve_list = [&](const YAML::Node& list, const std::string& what) {
    std::vector<Baseline> out;
    if (!list.IsSequence() && !list.IsScalar()) throw InputError(at(file, list), fmt::format("{} must be a list of baselines", what));
    std::vector<YAML::Node> items;
    if (list.IsScalar()) items.push_back(list);
    else for (const auto& i : list) items.push_back(i);
    for (const auto& item : items) {
      if (!item.IsScalar()) throw InputError(at(file, item), "a baseline reference must be a string");
      for (auto& bl : resolve_ref(item.Scalar(), c.m_named, dir, at(file, item))) {
        for (const auto& o : out)
          if (o.operating_system == bl.operating_system)
            throw InputError(at(file, item), fmt::format("{} has two baselines for {} ('{}' and '{}'); SSM allows one per "
                                                         "operating system",
                                                         what, bl.operating_system, o.name, bl.name));
        out.push_back(bl);
      }
    }
    return out;
  };
  if (YAML::Node g = root["patch_groups"]) {
    if (!g.IsMap()) throw InputError(at(file, g), "patch_groups must map patch group names to baselines");
    for (const auto& kv : g) {
      std::string group = kv.first.Scalar();
      if (group.empty() || group.size() > 256)
        throw InputError(at(file, kv.first), "a patch group name must be 1 to 256 characters");
      c.m_groups[group] = resolve_list(kv.second, fmt::format("patch group '{}'", group));
    }
  }
  if (YAML::Node d = root["default_baselines"]) c.m_defaults = resolve_list(d, "default_baselines");
  return c;
}

std::vector<Baseline> PatchConfig::resolve(const std::string& ref) const {
  return resolve_ref(ref, m_named, "", Location{});
}

Expected<Baseline, Error> pick_for_os(const std::vector<Baseline>& baselines, const std::string& os,
                                      const std::string& what) {
  for (const auto& b : baselines)
    if (b.operating_system == os) return b;
  std::vector<std::string> have;
  for (const auto& b : baselines) have.push_back(fmt::format("{} ({})", b.name, b.operating_system));
  return unexpected(Error{fmt::format("{} has no baseline for this host's operating system {} (it has {})", what,
                                      os.empty() ? "(unknown)" : os, join(have, ", "))});
}

Expected<Baseline, Error> PatchConfig::baseline_for(const std::string& group, const std::string& os) const {
  if (!group.empty()) {
    auto it = m_groups.find(group);
    if (it != m_groups.end()) {
      for (const auto& b : it->second)
        if (b.operating_system == os) return b;
    }
  }
  for (const auto& b : m_defaults)
    if (b.operating_system == os) return b;
  if (const Baseline* d = default_baseline_for(os)) return *d;
  return unexpected(Error{fmt::format("no patch baseline for operating system {}", os.empty() ? "(unknown)" : os)});
}

std::vector<Baseline> PatchConfig::all_baselines() const {
  std::vector<Baseline> out = predefined_baselines();
  for (const auto& [n, b] : m_named) out.push_back(b);
  return out;
}

std::string patch_group_of(const std::map<std::string, std::string>& tags) {
  if (auto it = tags.find("Patch Group"); it != tags.end()) return it->second;
  if (auto it = tags.find("PatchGroup"); it != tags.end()) return it->second;
  return {};
}

std::string PatchConfig::default_path() {
  if (const char* env = std::getenv("SSHM_PATCH_CONFIG"); env && *env) return env;
  std::string base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) base = x;
  else if (const char* h = std::getenv("HOME"); h && *h) base = std::string(h) + "/.config";
  if (base.empty()) return "";
  std::string path = base + "/sshm/patch.yaml";
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? path : "";
}

} // namespace sshm::patch
