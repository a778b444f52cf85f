#pragma once
// AWS Systems Manager over the JSON 1.1 protocol (X-Amz-Target: AmazonSSM.<Action>), as the
// SSM API reference describes every call: a JSON body in, a JSON body out.
#include "aws/client.hpp"

#include <optional>
#include <string>

namespace sshm::aws {

class SsmClient {
public:
  explicit SsmClient(AwsContext& context, RetryPolicy policy = {}) : m_context(context), m_policy(policy) {}

  // Sends `body` (a JSON object) to AmazonSSM.<action>. On success fills `response_body`
  // and returns nullopt; throttling is retried per the policy. The returned error never
  // holds the request body.
  std::optional<AwsError> call(const std::string& action, const std::string& body, std::string& response_body);

private:
  AwsContext& m_context;
  RetryPolicy m_policy;
};

} // namespace sshm::aws
