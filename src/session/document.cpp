#include "session/document.hpp"

#include "documents/document.hpp"
#include "documents/source.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>
#include <fstream>
#include <iterator>

namespace sshm::session {

namespace {

const std::vector<std::string> k_types = {"Standard_Stream", "InteractiveCommands", "NonInteractiveCommands", "Port"};
const std::vector<std::string> k_top_keys = {"schemaVersion", "description", "sessionType", "parameters", "inputs",
                                             "properties"};
const std::vector<std::string> k_input_keys = {
    "s3BucketName",       "s3KeyPrefix",        "s3EncryptionEnabled", "cloudWatchLogGroupName",
    "cloudWatchEncryptionEnabled", "cloudWatchStreamingEnabled", "idleSessionTimeout", "maxSessionDuration",
    "kmsKeyId",           "runAsEnabled",       "runAsDefaultUser",    "shellProfile"};

[[noreturn]] void bad(const documents::SourceMap& map, const std::string& pointer, const std::string& what,
                      std::string suggestion = {}) {
  throw InputError(map.at(pointer), what, std::move(suggestion));
}

void check_keys(const nlohmann::json& obj, const std::vector<std::string>& known, const documents::SourceMap& map,
                const std::string& pointer, const char* what) {
  for (const auto& [key, value] : obj.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      bad(map, documents::pointer_child(pointer, key), fmt::format("unknown {} '{}'", what, key),
          closest_match(key, known));
}

SessionType type_of(const std::string& name) {
  if (name == "Standard_Stream") return SessionType::standard_stream;
  if (name == "InteractiveCommands") return SessionType::interactive;
  if (name == "NonInteractiveCommands") return SessionType::non_interactive;
  return SessionType::port;
}

std::string text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("no session document '{}': not a built-in ({}) nor a readable file", path,
                                        join(builtin_session_documents(), ", ")),
                            closest_match(path, builtin_session_documents()));
  return read_all(in);
}

// A boolean input, also given as "true"/"false" text as SSM's console writes it.
bool flag(const nlohmann::json& v, const documents::SourceMap& map, const std::string& pointer) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() && (v == "true" || v == "false")) return v == "true";
  bad(map, pointer, "expected true or false");
}

std::string text(const nlohmann::json& v, const documents::SourceMap& map, const std::string& pointer) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  bad(map, pointer, "expected a string");
}

} // namespace

std::chrono::seconds parse_duration(const std::string& raw, const std::string& what) {
  std::string t = trim(raw);
  long long unit = 60;
  if (!t.empty() && (t.back() == 's' || t.back() == 'm' || t.back() == 'h')) {
    unit = t.back() == 's' ? 1 : t.back() == 'm' ? 60 : 3600;
    t.pop_back();
  }
  if (t.empty() || t.size() > 6 || t.find_first_not_of("0123456789") != std::string::npos || std::stoll(t) == 0)
    throw InputError(fmt::format("{} '{}': expected minutes (such as 20) or a number with s, m or h (such as 30s)",
                                 what, raw));
  return std::chrono::seconds(std::stoll(t) * unit);
}

SessionDocument parse_session_document(const std::string& body, const std::string& file, const std::string& name) {
  documents::ParsedSource src = documents::parse_source(body, file);
  const nlohmann::json& v = src.value;
  if (!v.is_object()) bad(src.map, "", "a session document is a map");
  check_keys(v, k_top_keys, src.map, "", "session document key");
  if (v.value("schemaVersion", "") != "1.0")
    bad(src.map, "/schemaVersion", "Session documents have schemaVersion \"1.0\"");
  std::string type = v.value("sessionType", "");
  if (std::find(k_types.begin(), k_types.end(), type) == k_types.end())
    bad(src.map, "/sessionType", fmt::format("sessionType '{}' is not one of {}", type, join(k_types, ", ")),
        closest_match(type, k_types));
  SessionDocument doc;
  doc.name = name;
  doc.type = type_of(type);
  for (const char* key : {"parameters", "inputs", "properties"})
    if (v.contains(key) && !v[key].is_object()) bad(src.map, std::string("/") + key, "expected a map");
  doc.parameters = v.value("parameters", nlohmann::json::object());
  doc.inputs = v.value("inputs", nlohmann::json::object());
  doc.properties = v.value("properties", nlohmann::json::object());
  check_keys(doc.inputs, k_input_keys, src.map, "/inputs", "session preference");
  doc.map = src.map;
  preferences_of(doc);  // every input checked now, with its location
  return doc;
}

SessionDocument load_session_document(const std::string& name_or_path) {
  std::string_view builtin = builtin_session_document(name_or_path);
  if (!builtin.empty()) return parse_session_document(std::string(builtin), name_or_path, name_or_path);
  std::string stem = std::filesystem::path(name_or_path).stem().string();
  return parse_session_document(text_file(name_or_path), name_or_path, stem);
}

Preferences preferences_of(const SessionDocument& doc) {
  const documents::SourceMap& map = doc.map;
  Preferences p;
  const nlohmann::json& in = doc.inputs;
  auto at = [](const char* key) { return std::string("/inputs/") + key; };
  if (in.contains("s3BucketName")) p.s3_bucket = text(in["s3BucketName"], map, at("s3BucketName"));
  if (in.contains("s3KeyPrefix")) p.s3_prefix = text(in["s3KeyPrefix"], map, at("s3KeyPrefix"));
  if (in.contains("s3EncryptionEnabled")) p.s3_encryption = flag(in["s3EncryptionEnabled"], map, at("s3EncryptionEnabled"));
  if (in.contains("cloudWatchLogGroupName")) p.log_group = text(in["cloudWatchLogGroupName"], map, at("cloudWatchLogGroupName"));
  if (in.contains("cloudWatchStreamingEnabled"))
    p.streaming = flag(in["cloudWatchStreamingEnabled"], map, at("cloudWatchStreamingEnabled"));
  if (in.contains("runAsEnabled")) p.run_as_enabled = flag(in["runAsEnabled"], map, at("runAsEnabled"));
  if (in.contains("runAsDefaultUser")) p.run_as_default_user = text(in["runAsDefaultUser"], map, at("runAsDefaultUser"));
  for (const char* key : {"idleSessionTimeout", "maxSessionDuration"}) {
    if (!in.contains(key)) continue;
    std::string t = text(in[key], map, at(key));
    if (t.empty()) continue;
    auto d = parse_duration(t, key);
    (std::string(key) == "idleSessionTimeout" ? p.idle : p.max_duration) = d;
  }
  if (in.contains("shellProfile")) {
    const auto& sp = in["shellProfile"];
    if (!sp.is_object()) bad(map, at("shellProfile"), "expected a map with linux and windows");
    if (sp.contains("linux")) p.shell_profile = text(sp["linux"], map, at("shellProfile") + "/linux");
  }
  return p;
}

} // namespace sshm::session
