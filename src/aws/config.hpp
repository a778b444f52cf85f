#pragma once
// Where AWS settings come from, in the AWS CLI's order: flags, environment, the shared
// config and credentials files, then EC2 instance metadata (IMDSv2).
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace sshm::aws {

// Looks up an environment variable; a seam so tests can give their own environment.
using Env = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment; empty values count as unset.
Env process_env();

// What the user chose on the command line; "" means not given.
struct AwsOptions {
  std::string profile;       // --profile
  std::string region;        // --region
  std::string endpoint_url;  // --endpoint-url (every service)
};

// A key pair and optional session token. `source` says where it came from
// ("environment", "shared-credentials-file", "config-file", "instance-metadata").
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string source;
};

// Sections of an INI file: "default", "profile x", ... -> key -> value.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
// Reads an AWS-style INI file; a missing file is an empty one.
IniFile read_ini(const std::string& path);

// Fetches role credentials from EC2 instance metadata; a seam for tests.
using ImdsFetch = std::function<std::optional<Credentials>(const Env&)>;
// The real IMDSv2 fetch: token PUT, then role name and role credentials, with timeouts of
// about a second so it costs nothing off EC2. Disabled by AWS_EC2_METADATA_DISABLED=true.
std::optional<Credentials> fetch_imds_credentials(const Env& env);

// The profile in effect: --profile, else AWS_PROFILE, else "default".
std::string profile_name(const AwsOptions& options, const Env& env);
// Credentials in the AWS CLI's order: an explicit --profile first; else environment
// (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]); else the profile in
// the shared credentials file, then in the config file; else instance metadata.
// Returns nullopt and fills `why` when none is found.
std::optional<Credentials> resolve_credentials(const AwsOptions& options, const Env& env,
                                               const ImdsFetch& imds, std::string& why);
// --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1.
std::string resolve_region(const AwsOptions& options, const Env& env);
// --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
// endpoint_url, else "" (the service's public endpoint). `service_env` is "S3", "LOGS" or "SSM".
std::string resolve_endpoint(const AwsOptions& options, const Env& env, const std::string& service_env);

// Everything a client needs, resolved once per run. Credentials are looked up on first
// use (so a run without AWS sinks never touches IMDS) and shared by all threads.
class AwsContext {
public:
  explicit AwsContext(AwsOptions options, Env env = process_env(), ImdsFetch imds = fetch_imds_credentials);

  const AwsOptions& options() const { return m_options; }
  const std::string& region() const { return m_region; }
  const std::string& s3_endpoint() const { return m_s3_endpoint; }      // "" for AWS
  const std::string& logs_endpoint() const { return m_logs_endpoint; }  // "" for AWS
  const std::string& ssm_endpoint() const { return m_ssm_endpoint; }    // "" for AWS
  // The credentials, or nullopt with `why` filled (no secret in it).
  std::optional<Credentials> credentials(std::string& why);

private:
  AwsOptions m_options;
  Env m_env;
  ImdsFetch m_imds;
  std::string m_region;
  std::string m_s3_endpoint;
  std::string m_logs_endpoint;
  std::string m_ssm_endpoint;
  std::mutex m_mutex;
  bool m_resolved = false;
  std::optional<Credentials> m_credentials;
  std::string m_why;
};

} // namespace sshm::aws
