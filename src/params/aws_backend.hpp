#pragma once
// Parameter Store in AWS Systems Manager as a Backend: each method is the SSM API call of
// the same name (PutParameter, GetParameter, GetParametersByPath, ...), over the SigV4
// client. The service applies its own rules; its error names (ParameterNotFound,
// ParameterAlreadyExists, ...) come back as the Error the local store raises for them.
#include "aws/client.hpp"
#include "params/backend.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sshm::params {

// One SSM call: the action ("PutParameter"), the JSON request body; fills the response
// body on success, else returns the error. The seam between the mapping and the network.
using SsmCall =
    std::function<std::optional<aws::AwsError>(const std::string& action, const std::string& body, std::string& out)>;

// Page sizes sent as MaxResults.
constexpr int k_aws_path_page = 10;
constexpr int k_aws_history_page = 50;
constexpr int k_aws_describe_page = 50;

// A Parameter, ParameterHistory or ParameterMetadata object of the SSM API as a Version.
Version version_from_json(const nlohmann::json& j);
// The PutParameter request body for `r` (only the fields it sets).
nlohmann::json put_request_json(const PutRequest& r);
// ParameterFilters as the API takes them.
nlohmann::json filters_json(const std::vector<Filter>& filters);
// Throws the error for a failed `action`: Error (exit 2) under SSM's name for the service's
// refusals of the request, RuntimeError (exit 1) for the rest (credentials, signature,
// throttling past the retries, network). Every occurrence of `secret` in the service's
// message is replaced by "****".
[[noreturn]] void throw_ssm_error(const std::string& action, const aws::AwsError& error, const std::string& secret);

std::unique_ptr<Backend> make_aws_backend(SsmCall call);
// The AWS backend with region, endpoint (--endpoint-url, AWS_ENDPOINT_URL_SSM,
// AWS_ENDPOINT_URL) and credentials resolved as for every AWS feature.
std::unique_ptr<Backend> open_aws(const aws::AwsOptions& options);

} // namespace sshm::params
