// ParameterStringFilter checks and matching, shared by every backend.
#include "params/backend.hpp"

#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sshm::params {

namespace {

std::vector<std::string> options_for(const std::string& key) {
  if (key == "Name") return {"Equals", "BeginsWith", "Contains"};
  if (key == "Path") return {"Recursive", "OneLevel"};
  return {"Equals"};
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool name_matches(const std::string& name, const std::string& option, const std::string& value) {
  std::string full = name[0] == '/' ? name : "/" + name;
  std::string bare = canonical_name(name);
  for (const std::string& n : {full, bare}) {
    if (option == "Contains" && n.find(value) != std::string::npos) return true;
    if (option == "BeginsWith" && starts_with(n, value)) return true;
    if ((option.empty() || option == "Equals") && n == value) return true;
  }
  return false;
}

bool one_passes(const Version& v, const Filter& f) {
  if (f.key == "Label") return true;
  for (const auto& value : f.values) {
    if (f.key == "Name" && name_matches(v.name, f.option, value)) return true;
    if (f.key == "Type" && v.type == value) return true;
    if (f.key == "KeyId" && v.key_id == value) return true;
    if (f.key == "Tier" && v.tier == value) return true;
    if (f.key == "DataType" && v.data_type == value) return true;
    if (f.key == "Path" && under_path(v.name, normalise_path(value), f.option == "Recursive")) return true;
  }
  return false;
}

} // namespace

void check_filters(const std::vector<Filter>& filters, const std::vector<std::string>& allowed_keys) {
  for (const auto& f : filters) {
    if (!contains(allowed_keys, f.key))
      throw Error("InvalidFilterKey",
                  fmt::format("filter key '{}' is not accepted here (use {})", f.key, join(allowed_keys, ", ")));
    auto options = options_for(f.key);
    if (!f.option.empty() && !contains(options, f.option))
      throw Error("InvalidFilterOption",
                  fmt::format("filter {} takes option {}, not '{}'", f.key, join(options, " or "), f.option));
    if (f.values.empty()) throw Error("InvalidFilterValue", fmt::format("filter {} needs at least one value", f.key));
    for (const auto& value : f.values) {
      if (f.key == "Type" && value != "String" && value != "StringList" && value != "SecureString")
        throw Error("InvalidFilterValue", fmt::format("Type filter value '{}' is not a parameter type", value));
      if (f.key == "Tier" && value != "Standard" && value != "Advanced" && value != "Intelligent-Tiering")
        throw Error("InvalidFilterValue", fmt::format("Tier filter value '{}' is not a tier", value));
      if (f.key == "Path" && (value.empty() || value[0] != '/'))
        throw Error("InvalidFilterValue", fmt::format("Path filter value '{}' must begin with '/'", value));
    }
  }
}

bool passes(const Version& v, const std::vector<Filter>& filters) {
  return std::all_of(filters.begin(), filters.end(), [&](const Filter& f) { return one_passes(v, f); });
}

std::string normalise_path(const std::string& path) {
  if (path.empty() || path[0] != '/')
    throw Error("ValidationException", fmt::format("path '{}' must begin with '/'", path));
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

bool under_path(const std::string& name, const std::string& path, bool recursive) {
  if (!recursive) return parent_path(name) == path;
  std::string full = name[0] == '/' ? name : "/" + name;
  return path == "/" || starts_with(full, path + "/");
}

} // namespace sshm::params
