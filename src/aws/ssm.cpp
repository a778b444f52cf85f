#include "aws/ssm.hpp"

namespace sshm::aws {

std::optional<AwsError> SsmClient::call(const std::string& action, const std::string& body,
                                        std::string& response_body) {
  HttpRequest request;
  request.method = "POST";
  request.url = m_context.ssm_endpoint().empty() ? "https://ssm." + m_context.region() + ".amazonaws.com/"
                                                 : m_context.ssm_endpoint() + "/";
  request.service = "ssm";
  request.body = body;
  request.headers = {"Content-Type: application/x-amz-json-1.1", "X-Amz-Target: AmazonSSM." + action};
  HttpResponse response;
  auto error = send(m_context, request, m_policy, response);
  if (!error) response_body = std::move(response.body);
  return error;
}

} // namespace sshm::aws
