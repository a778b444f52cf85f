// SSM's shapes for what the store records: JSON objects, inline output truncation and the
// output key layout. Behaviour follows the SSM API and agent (GetCommandInvocation and ListCommandInvocations in the SSM API reference).
#include "store/store.hpp"

#include "util/safe_path.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <chrono>
#include <fmt/format.h>

namespace sshm::store {

namespace {

constexpr const char* k_content_truncated = "--output truncated--";
constexpr const char* k_error_title = "\n----------ERROR-------\n";
constexpr const char* k_output_truncated = "\n---Output truncated---";
constexpr const char* k_error_truncated = "\n---Error truncated----";

// Bytes taken by the UTF-8 character at s[i]: its sequence length when the sequence is
// well formed (shortest form, no surrogates, at most U+10FFFF), else 1 (a stray byte).
size_t char_length(std::string_view s, size_t i, bool* valid = nullptr) {
  auto c = static_cast<unsigned char>(s[i]);
  if (valid) *valid = true;
  if (c < 0x80) return 1;
  size_t n = 0;
  char32_t minimum = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    minimum = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    minimum = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    minimum = 0x10000;
  }
  if (valid) *valid = false;
  if (n == 0 || i + n > s.size()) return 1;
  char32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 1;
  if (valid) *valid = true;
  return n;
}

// Characters in s, counting up to `stop` at most (enough to decide a truncation).
size_t char_count(std::string_view s, size_t stop = std::string_view::npos) {
  size_t count = 0;
  for (size_t i = 0; i < s.size() && count < stop; i += char_length(s, i)) ++count;
  return count;
}

// The first n characters of s.
std::string_view char_prefix(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t count = 0; i < s.size() && count < n; ++count) i += char_length(s, i);
  return s.substr(0, i);
}

// SSM's StringPrefix over characters: unchanged below `limit`, else the first
// limit - len(marker) characters and the marker, `limit` characters in all.
std::string truncate_chars(const std::string& full, size_t limit, std::string_view marker) {
  if (char_count(full, limit) < limit) return full;
  return std::string(char_prefix(full, limit - marker.size())) + std::string(marker);
}

// Valid UTF-8 for JSON: each byte that is not part of a well-formed character becomes
// U+FFFD, as Go's encoding/json (and so SSM) does.
std::string json_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool valid = false;
    size_t n = char_length(s, i, &valid);
    if (valid) out.append(s, i, n);
    else out += "\xEF\xBF\xBD";
    i += n;
  }
  return out;
}

std::string without_colons(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ':') out += c;
  return out;
}

// A name list "a,b" (no glob, no selector syntax) becomes SSM's InstanceIds.
bool is_name_list(const std::string& expr) {
  if (expr.empty() || expr == "-" || has_glob(expr)) return false;
  for (char c : expr)
    if (c == ':' || c == '=' || c == ' ') return false;
  return true;
}

nlohmann::json values_of(const std::string& list) {
  nlohmann::json values = nlohmann::json::array();
  for (const std::string& v : split(list, ','))
    if (!trim(v).empty()) values.push_back(trim(v));
  return values;
}

nlohmann::json cloudwatch_config(const CommandRecord* command) {
  bool enabled = command && !command->cloudwatch_log_group.empty();
  return {{"CloudWatchLogGroupName", enabled ? json_text(command->cloudwatch_log_group) : ""},
          {"CloudWatchOutputEnabled", enabled}};
}

// NotificationConfig as the AWS CLI prints it for a command sent without one.
nlohmann::json no_notification() {
  return {{"NotificationArn", ""}, {"NotificationEvents", nlohmann::json::array()}, {"NotificationType", ""}};
}

// Command.InstanceIds: the hosts named one by one (SSM fills it only for --instance-ids).
nlohmann::json instance_ids(const std::vector<std::string>& expressions) {
  nlohmann::json ids = nlohmann::json::array();
  for (const std::string& raw : expressions)
    if (trim(raw) != "all" && is_name_list(trim(raw)))  // "all" is Targets InstanceIds=*
      for (const auto& v : values_of(trim(raw))) ids.push_back(json_text(v.get<std::string>()));
  return ids;
}

nlohmann::json plugin_json(const PluginRecord& p, const CommandRecord* command) {
  return {
      {"Name", json_text(plugin_display_name(p))},
      {"Status", p.status},
      {"StatusDetails", p.status_details},
      {"ResponseCode", p.response_code},
      {"ResponseStartDateTime", p.response_start_date_time},
      {"ResponseFinishDateTime", p.response_finish_date_time},
      {"Output", json_text(p.output)},
      {"StandardOutputUrl", json_text(p.standard_output_url)},
      {"StandardErrorUrl", json_text(p.standard_error_url)},
      {"OutputS3BucketName", command ? json_text(command->output_s3_bucket_name) : ""},
      {"OutputS3KeyPrefix", command ? json_text(command->output_s3_key_prefix) : ""},
  };
}

} // namespace

std::string truncate_stdout_content(const std::string& full) {
  return truncate_chars(full, k_stdout_content_chars, k_content_truncated);
}

std::string truncate_stderr_content(const std::string& full) {
  return truncate_chars(full, k_stderr_content_chars, k_content_truncated);
}

std::string plugin_output(const std::string& out, const std::string& err, size_t capacity) {
  const std::string_view title = err.empty() ? "" : k_error_title;
  const std::string_view out_marker = k_output_truncated;
  const std::string_view err_marker = k_error_truncated;
  const size_t out_chars = char_count(out);
  const size_t err_chars = char_count(err);
  const size_t available = capacity > title.size() ? capacity - title.size() : 0;
  auto cat = [&](std::string_view a, std::string_view a_marker, std::string_view b, std::string_view b_marker) {
    std::string s;
    s.append(a).append(a_marker).append(title).append(b).append(b_marker);
    return s;
  };
  // Everything fits (SSM compares with <, so exactly `available` is cut too).
  if (out_chars + err_chars < available) return cat(out, "", err, "");
  const size_t half = available / 2;
  // Both are long: each keeps the same share.
  if (out_chars > half && err_chars > half) {
    size_t keep = available > out_marker.size() + err_marker.size()
                      ? (available - out_marker.size() - err_marker.size()) / 2
                      : 0;
    return cat(char_prefix(out, keep), out_marker, char_prefix(err, keep), err_marker);
  }
  // The output is short: it stays whole and the error is cut. (The agent tests `<` here and
  // would index out of range when the output is exactly half; `<=` gives the same result
  // everywhere else and a sensible one there.)
  if (out_chars <= half) {
    size_t room = available > err_marker.size() + out_chars ? available - err_marker.size() - out_chars : 0;
    return cat(out, "", char_prefix(err, room), err_marker);
  }
  // The error is short: it stays whole and the output is cut.
  size_t room = available > out_marker.size() + err_chars ? available - out_marker.size() - err_chars : 0;
  return cat(char_prefix(out, room), out_marker, err, "");
}

std::string execution_elapsed_time(const std::string& start, const std::string& end) {
  if (start.empty() || end.empty()) return "";
  long long ms = 0;
  try {
    ms = std::chrono::duration_cast<std::chrono::milliseconds>(parse_iso8601(end) - parse_iso8601(start)).count();
  } catch (const std::exception&) {
    return "";
  }
  if (ms < 0) ms = 0;
  // ISO 8601 duration as Java's Duration prints it: zero parts left out, seconds kept
  // when nothing else is there, the fraction without trailing zeros.
  long long hours = ms / 3600000;
  long long minutes = ms / 60000 % 60;
  long long seconds = ms / 1000 % 60;
  long long millis = ms % 1000;
  std::string s = "PT";
  if (hours) s += fmt::format("{}H", hours);
  if (minutes) s += fmt::format("{}M", minutes);
  if (seconds || millis || s.size() == 2) {
    s += std::to_string(seconds);
    if (millis) {
      std::string fraction = fmt::format("{:03}", millis);
      while (fraction.back() == '0') fraction.pop_back();
      s += "." + fraction;
    }
    s += "S";
  }
  return s;
}

std::string plugin_display_name(const PluginRecord& plugin) {
  // Schema 1.2 property ids look like "0.aws:runShellScript"; 2.x step names have no ':'.
  if (!plugin.plugin.empty() && plugin.name.find(':') != std::string::npos) return plugin.plugin;
  return plugin.name.empty() ? plugin.plugin : plugin.name;
}

nlohmann::json ssm_targets(const std::vector<std::string>& expressions) {
  nlohmann::json targets = nlohmann::json::array();
  for (const std::string& raw : expressions) {
    std::string expr = trim(raw);
    std::string key;
    nlohmann::json values;
    if (starts_with(expr, "Key=") && expr.find(",Values=") != std::string::npos) {
      size_t at = expr.find(",Values=");
      key = expr.substr(4, at - 4);
      values = values_of(expr.substr(at + 8));
    } else if (starts_with(expr, "tag:") && expr.find('=') != std::string::npos) {
      size_t eq = expr.find('=');
      key = expr.substr(0, eq);
      values = values_of(expr.substr(eq + 1));
    } else if (starts_with(expr, "tag-key:")) {
      key = "tag-key";
      values = values_of(expr.substr(8));
    } else if (starts_with(expr, "group:")) {
      key = "resource-groups:Name";
      values = nlohmann::json::array({expr.substr(6)});
    } else if (expr == "all") {
      key = "InstanceIds";
      values = nlohmann::json::array({"*"});
    } else if (is_name_list(expr)) {
      key = "InstanceIds";
      values = values_of(expr);
    } else {
      key = "sshm:target";
      values = nlohmann::json::array({expr});
    }
    for (auto& v : values) v = json_text(v.get<std::string>());
    targets.push_back({{"Key", json_text(key)}, {"Values", values}});
  }
  return targets;
}

nlohmann::json command_to_json(const CommandRecord& c) {
  nlohmann::json parameters = nlohmann::json::object();
  if (c.parameters.is_object()) {
    // SSM's wire form: every value a list of strings.
    for (const auto& [name, value] : c.parameters.items()) {
      nlohmann::json list = nlohmann::json::array();
      auto add = [&](const nlohmann::json& v) { list.push_back(json_text(v.is_string() ? v.get<std::string>() : v.dump())); };
      if (value.is_array())
        for (const auto& v : value) add(v);
      else
        add(value);
      parameters[json_text(name)] = list;
    }
  }
  return {
      {"CommandId", c.command_id},
      {"DocumentName", json_text(c.document_name)},
      {"DocumentVersion", json_text(c.document_version)},
      {"Comment", json_text(c.comment)},
      {"Parameters", parameters},
      {"Targets", ssm_targets(c.targets)},
      {"RequestedDateTime", c.requested_date_time},
      {"Status", c.status},
      {"StatusDetails", c.status_details},
      {"TargetCount", c.target_count},
      {"CompletedCount", c.completed_count},
      {"ErrorCount", c.error_count},
      {"DeliveryTimedOutCount", c.delivery_timed_out_count},
      {"MaxConcurrency", c.max_concurrency},
      {"MaxErrors", c.max_errors},
      {"TimeoutSeconds", c.timeout_seconds},
      {"ExpiresAfter", expires_after(c)},
      {"InstanceIds", instance_ids(c.targets)},
      {"OutputS3BucketName", json_text(c.output_s3_bucket_name)},
      {"OutputS3KeyPrefix", json_text(c.output_s3_key_prefix)},
      {"CloudWatchOutputConfig", cloudwatch_config(&c)},
      {"ServiceRole", ""},
      {"NotificationConfig", no_notification()},
  };
}

std::string expires_after(const CommandRecord& c) {
  // "ExpiresAfter is calculated based on the total timeout for the overall command"
  // (SSM API, Command): the delivery timeout plus the execution timeout, which is the
  // document's executionTimeout parameter when it has one and the agent's default, 3600 s, else.
  long long execution = 3600;
  if (c.parameters.contains("executionTimeout")) {
    const nlohmann::json& v = c.parameters["executionTimeout"];
    std::string text = v.is_array() && !v.empty() && v[0].is_string() ? v[0].get<std::string>()
                       : v.is_string()                                 ? v.get<std::string>()
                                                                       : "";
    if (!text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string::npos)
      execution = std::stoll(text);
  }
  try {
    return iso8601_ms(parse_iso8601(c.requested_date_time) + std::chrono::seconds(c.timeout_seconds + execution));
  } catch (const std::exception&) {
    return "";  // a command recorded without a request time (never sent)
  }
}

nlohmann::json command_invocation_json(const InvocationRecord& r, const CommandRecord& command, bool details) {
  nlohmann::json plugins = nlohmann::json::array();
  if (details)
    for (const PluginRecord& p : r.plugins) plugins.push_back(plugin_json(p, &command));
  return {
      {"CommandId", r.command_id},
      {"InstanceId", json_text(r.instance_id)},
      {"InstanceName", json_text(r.instance_id)},
      {"Comment", json_text(command.comment)},
      {"DocumentName", json_text(r.document_name)},
      {"DocumentVersion", json_text(command.document_version)},
      {"RequestedDateTime", r.requested_date_time},
      {"Status", r.status},
      {"StatusDetails", r.status_details},
      {"TraceOutput", ""},
      {"StandardOutputUrl", json_text(r.standard_output_url)},
      {"StandardErrorUrl", json_text(r.standard_error_url)},
      {"CommandPlugins", plugins},
      {"ServiceRole", ""},
      {"NotificationConfig", no_notification()},
      {"CloudWatchOutputConfig", cloudwatch_config(&command)},
  };
}

nlohmann::json get_command_invocation_json(const InvocationRecord& r, const CommandRecord& command,
                                           const PluginRecord* plugin, const std::string& stdout_content,
                                           const std::string& stderr_content) {
  nlohmann::json j = invocation_to_json(r, &command);
  j.erase("CommandPlugins");
  j.erase("InstanceName");
  j.erase("RequestedDateTime");
  if (plugin) {
    // One step of several: its own status, code, times and streams (GetCommandInvocation PluginName).
    j["PluginName"] = json_text(plugin_display_name(*plugin));
    j["Status"] = plugin->status;
    j["StatusDetails"] = plugin->status_details;
    j["ResponseCode"] = plugin->response_code;
    j["ExecutionStartDateTime"] = plugin->response_start_date_time;
    j["ExecutionEndDateTime"] = plugin->response_finish_date_time;
    j["ExecutionElapsedTime"] = execution_elapsed_time(plugin->response_start_date_time, plugin->response_finish_date_time);
    j["StandardOutputContent"] = json_text(truncate_stdout_content(stdout_content));
    j["StandardErrorContent"] = json_text(truncate_stderr_content(stderr_content));
    j["StandardOutputUrl"] = json_text(plugin->standard_output_url);
    j["StandardErrorUrl"] = json_text(plugin->standard_error_url);
  }
  return j;
}

nlohmann::json invocation_to_json(const InvocationRecord& r, const CommandRecord* command) {
  nlohmann::json plugins = nlohmann::json::array();
  for (const PluginRecord& p : r.plugins) plugins.push_back(plugin_json(p, command));
  return {
      {"CommandId", r.command_id},
      {"InstanceId", json_text(r.instance_id)},
      {"InstanceName", json_text(r.instance_id)},
      {"Comment", command ? json_text(command->comment) : ""},
      {"DocumentName", json_text(r.document_name)},
      {"DocumentVersion", command ? json_text(command->document_version) : ""},
      {"RequestedDateTime", r.requested_date_time},
      {"PluginName", r.plugins.size() == 1 ? json_text(plugin_display_name(r.plugins.front())) : ""},
      {"ResponseCode", r.response_code},
      {"ExecutionStartDateTime", r.execution_start_date_time},
      {"ExecutionElapsedTime", execution_elapsed_time(r.execution_start_date_time, r.execution_end_date_time)},
      {"ExecutionEndDateTime", r.execution_end_date_time},
      {"Status", r.status},
      {"StatusDetails", r.status_details},
      {"StandardOutputContent", json_text(r.standard_output_content)},
      {"StandardOutputUrl", json_text(r.standard_output_url)},
      {"StandardErrorContent", json_text(r.standard_error_content)},
      {"StandardErrorUrl", json_text(r.standard_error_url)},
      {"CloudWatchOutputConfig", cloudwatch_config(command)},
      {"CommandPlugins", plugins},
  };
}

nlohmann::json command_report_json(const CommandRecord& command, const std::vector<InvocationRecord>& invocations) {
  nlohmann::json j = command_to_json(command);
  nlohmann::json list = nlohmann::json::array();
  for (const InvocationRecord& r : invocations) list.push_back(invocation_to_json(r, &command));
  j["Invocations"] = std::move(list);
  return j;
}

std::filesystem::path output_path(const std::filesystem::path& root, const std::string& command_id,
                                  const std::string& host, const std::string& plugin, const std::string& step,
                                  bool is_stderr) {
  // Each name is one component (path_component), so no name leads outside `root`.
  return root / path_component(command_id) / path_component(host) / path_component(without_colons(plugin)) /
         path_component(without_colons(step)) / (is_stderr ? "stderr" : "stdout");
}

std::string output_key(const std::string& prefix, const std::string& command_id, const std::string& host,
                       const std::string& plugin, const std::string& step, const std::string& stream) {
  // Go's path.Join: join with '/', then drop empty and "." segments and resolve "..".
  const bool rooted = starts_with(prefix, "/");
  // Non-empty names are encoded as components first (path_component), so a host or step
  // name cannot add or remove segments.
  auto part = [](const std::string& s) { return s.empty() ? s : path_component(s); };
  std::string joined =
      join({prefix, part(command_id), part(host), part(without_colons(plugin)), part(without_colons(step)), stream}, "/");
  std::vector<std::string> kept;
  for (const std::string& segment : split(joined, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment != "..") kept.push_back(segment);
    else if (!kept.empty() && kept.back() != "..") kept.pop_back();
    else if (!rooted) kept.push_back(segment);
  }
  return (rooted ? "/" : "") + join(kept, "/");
}

} // namespace sshm::store
