// Parameter Store calls of the SSM API reference (PutParameter, GetParameter,
// GetParameters, GetParametersByPath, GetParameterHistory, DescribeParameters,
// LabelParameterVersion, UnlabelParameterVersion, DeleteParameter, DeleteParameters).
#include "params/aws_backend.hpp"

#include "aws/ssm.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace sshm::params {

namespace {

using nlohmann::json;

long long integer_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->is_number_float() ? static_cast<long long>(it->get<double>()) : it->get<long long>();
}

std::vector<std::string> strings_of(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& x : *it)
    if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

// LastModifiedDate: seconds since the epoch, with a fraction, as the JSON protocol sends
// timestamps.
SystemTime time_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return SystemTime{};
  auto ms = static_cast<long long>(it->get<double>() * 1000.0);
  return SystemTime{std::chrono::milliseconds(ms)};
}

// ParameterHistory/ParameterMetadata Policies ([{PolicyText, PolicyType, PolicyStatus}])
// back to the JSON array text PutParameter took.
std::string policies_of(const json& j) {
  auto it = j.find("Policies");
  if (it == j.end() || !it->is_array() || it->empty()) return {};
  json out = json::array();
  for (const auto& p : *it) {
    json parsed = json::parse(json_string(p, "PolicyText"), nullptr, false);
    if (!parsed.is_discarded()) out.push_back(parsed);
  }
  return out.empty() ? std::string() : out.dump();
}

// The service's refusals of a request, by the names the SSM API reference gives them.
bool is_request_error(const std::string& code) {
  static const std::set<std::string> codes = {
      "ParameterNotFound", "ParameterVersionNotFound", "ParameterAlreadyExists", "ParameterLimitExceeded",
      "ParameterMaxVersionLimitExceeded", "ParameterPatternMismatchException", "ParameterVersionLabelLimitExceeded",
      "HierarchyLevelLimitExceededException", "HierarchyTypeMismatchException", "InvalidAllowedPatternException",
      "InvalidFilterKey", "InvalidFilterOption", "InvalidFilterValue", "InvalidKeyId", "InvalidNextToken",
      "InvalidPolicyTypeException", "InvalidPolicyAttributeException", "IncompatiblePolicyException",
      "PoliciesLimitExceededException", "UnsupportedParameterType", "ValidationException"};
  return codes.count(code) > 0;
}

std::string without(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
    text.replace(pos, secret.size(), "****");
  return text;
}

} // namespace

Version version_from_json(const json& j) {
  Version v;
  v.name = json_string(j, "Name");
  v.type = json_string(j, "Type");
  v.value = json_string(j, "Value");
  v.version = integer_of(j, "Version");
  v.description = json_string(j, "Description");
  v.allowed_pattern = json_string(j, "AllowedPattern");
  v.key_id = json_string(j, "KeyId");
  if (auto tier = json_string(j, "Tier"); !tier.empty()) v.tier = tier;
  if (auto data_type = json_string(j, "DataType"); !data_type.empty()) v.data_type = data_type;
  v.policies = policies_of(j);
  v.last_modified = time_of(j, "LastModifiedDate");
  v.last_modified_user = json_string(j, "LastModifiedUser");
  v.labels = strings_of(j, "Labels");
  v.selector = json_string(j, "Selector");
  v.arn = json_string(j, "ARN");
  return v;
}

json put_request_json(const PutRequest& r) {
  json j = {{"Name", r.name}, {"Value", r.value}};
  if (r.type) j["Type"] = *r.type;
  if (r.description) j["Description"] = *r.description;
  if (r.key_id) j["KeyId"] = *r.key_id;
  if (r.allowed_pattern) j["AllowedPattern"] = *r.allowed_pattern;
  if (r.tier) j["Tier"] = *r.tier;
  if (r.policies) j["Policies"] = *r.policies;
  if (r.data_type) j["DataType"] = *r.data_type;
  if (r.overwrite) j["Overwrite"] = true;
  return j;
}

json filters_json(const std::vector<Filter>& filters) {
  json out = json::array();
  for (const auto& f : filters) {
    json j = {{"Key", f.key}, {"Values", f.values}};
    if (!f.option.empty()) j["Option"] = f.option;
    out.push_back(std::move(j));
  }
  return out;
}

void throw_ssm_error(const std::string& action, const aws::AwsError& error, const std::string& secret) {
  std::string message = without(error.message, secret);
  if (error.http_status >= 400 && error.http_status < 500 && is_request_error(error.code))
    throw Error(error.code, message.empty() ? action + " was refused" : message);
  aws::AwsError shown = error;
  shown.message = message;
  throw RuntimeError(fmt::format("AWS Systems Manager {} failed: {}", action, shown.text()));
}

namespace {

class AwsBackend : public Backend {
public:
  explicit AwsBackend(SsmCall call) : m_call(std::move(call)) {}

  Version put(const PutRequest& r) override {
    bool secret = r.type.value_or("") == "SecureString" || r.value.size() >= 4;
    json response = call("PutParameter", put_request_json(r), secret ? r.value : std::string());
    Version v;
    v.name = r.name;
    v.type = r.type.value_or("");
    v.version = integer_of(response, "Version");
    if (auto tier = json_string(response, "Tier"); !tier.empty()) v.tier = tier;
    return v;
  }

  Version get(const std::string& selector, bool with_decryption) override {
    json response = call("GetParameter", {{"Name", selector}, {"WithDecryption", with_decryption}});
    auto it = response.find("Parameter");
    if (it == response.end() || !it->is_object())
      throw RuntimeError("AWS Systems Manager GetParameter answered without a Parameter");
    return version_from_json(*it);
  }

  GetManyResult get_many(const std::vector<std::string>& selectors, bool with_decryption) override {
    json response = call("GetParameters", {{"Names", selectors}, {"WithDecryption", with_decryption}});
    GetManyResult out;
    for (const auto& p : list(response, "Parameters")) out.parameters.push_back(version_from_json(p));
    out.invalid = strings_of(response, "InvalidParameters");
    return out;
  }

  std::vector<Version> by_path(const std::string& path, bool recursive, const std::vector<Filter>& filters,
                               bool with_decryption) override {
    json request = {{"Path", path}, {"Recursive", recursive}, {"WithDecryption", with_decryption},
                    {"MaxResults", k_aws_path_page}};
    if (!filters.empty()) request["ParameterFilters"] = filters_json(filters);
    auto out = versions(all_pages("GetParametersByPath", request));
    std::sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return a.name < b.name; });
    return out;
  }

  std::vector<Version> history(const std::string& name, bool with_decryption) override {
    json request = {{"Name", name}, {"WithDecryption", with_decryption}, {"MaxResults", k_aws_history_page}};
    auto out = versions(all_pages("GetParameterHistory", request));
    std::stable_sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return a.version < b.version; });
    return out;
  }

  std::vector<Version> describe(const std::vector<Filter>& filters) override {
    json request = {{"MaxResults", k_aws_describe_page}};
    if (!filters.empty()) request["ParameterFilters"] = filters_json(filters);
    auto out = versions(all_pages("DescribeParameters", request));
    std::sort(out.begin(), out.end(), [](const Version& a, const Version& b) { return a.name < b.name; });
    return out;
  }

  LabelResult label(const std::string& name, std::optional<long long> version,
                    const std::vector<std::string>& labels) override {
    json request = {{"Name", name}, {"Labels", labels}};
    if (version) request["ParameterVersion"] = *version;
    json response = call("LabelParameterVersion", request);
    return {strings_of(response, "InvalidLabels"), integer_of(response, "ParameterVersion")};
  }

  UnlabelResult unlabel(const std::string& name, long long version, const std::vector<std::string>& labels) override {
    json response =
        call("UnlabelParameterVersion", {{"Name", name}, {"ParameterVersion", version}, {"Labels", labels}});
    return {strings_of(response, "RemovedLabels"), strings_of(response, "InvalidLabels")};
  }

  void remove(const std::string& name) override { call("DeleteParameter", {{"Name", name}}); }

  DeleteManyResult remove_many(const std::vector<std::string>& names) override {
    json response = call("DeleteParameters", {{"Names", names}});
    return {strings_of(response, "DeletedParameters"), strings_of(response, "InvalidParameters")};
  }

  // Parameter policies run in the service (EventBridge notifications, deletion on
  // expiration); nothing here evaluates them.
  std::vector<PolicyNotice> check_policies() override { return {}; }

private:
  json call(const std::string& action, const json& request, const std::string& secret = {}) {
    std::string body;
    if (auto error = m_call(action, request.dump(-1, ' ', false, json::error_handler_t::replace), body))
      throw_ssm_error(action, *error, secret);
    if (body.empty()) return json::object();
    json response = json::parse(body, nullptr, false);
    if (!response.is_object())
      throw RuntimeError(fmt::format("AWS Systems Manager {} answered with something that is not a JSON object", action));
    return response;
  }

  static std::vector<json> list(const json& response, const char* key) {
    auto it = response.find(key);
    if (it == response.end() || !it->is_array()) return {};
    return std::vector<json>(it->begin(), it->end());
  }

  static std::vector<Version> versions(const std::vector<json>& items) {
    std::vector<Version> out;
    out.reserve(items.size());
    for (const auto& j : items) out.push_back(version_from_json(j));
    return out;
  }

  // Every page of a paginated call, following NextToken until the service gives none.
  std::vector<json> all_pages(const std::string& action, json request) {
    std::vector<json> items;
    std::set<std::string> seen;
    for (;;) {
      json response = call(action, request);
      for (auto& item : list(response, "Parameters")) items.push_back(std::move(item));
      std::string token = json_string(response, "NextToken");
      if (token.empty()) return items;
      if (!seen.insert(token).second)
        throw RuntimeError(fmt::format("AWS Systems Manager {} returned the same NextToken twice", action));
      request["NextToken"] = token;
    }
  }

  SsmCall m_call;
};

} // namespace

std::unique_ptr<Backend> make_aws_backend(SsmCall call) { return std::make_unique<AwsBackend>(std::move(call)); }

std::unique_ptr<Backend> open_aws(const aws::AwsOptions& options) {
  auto context = std::make_shared<aws::AwsContext>(options);
  auto client = std::make_shared<aws::SsmClient>(*context);
  return make_aws_backend([context, client](const std::string& action, const std::string& body, std::string& out) {
    return client->call(action, body, out);
  });
}

} // namespace sshm::params
