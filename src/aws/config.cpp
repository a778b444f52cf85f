#include "aws/config.hpp"

#include "aws/http.hpp"
#include "util/strings.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace sshm::aws {

namespace {

std::string env_or(const Env& env, const std::string& name, const std::string& fallback = {}) {
  auto value = env(name);
  return value && !value->empty() ? *value : fallback;
}

std::string home_dir(const Env& env) { return env_or(env, "HOME", "/root"); }

std::string credentials_path(const Env& env) {
  return env_or(env, "AWS_SHARED_CREDENTIALS_FILE", home_dir(env) + "/.aws/credentials");
}

std::string config_path(const Env& env) { return env_or(env, "AWS_CONFIG_FILE", home_dir(env) + "/.aws/config"); }

// The config file names profiles "[profile x]" except "[default]".
const std::map<std::string, std::string>* config_section(const IniFile& ini, const std::string& profile) {
  auto it = ini.find(profile == "default" ? "default" : "profile " + profile);
  if (it == ini.end() && profile == "default") it = ini.find("profile default");
  return it == ini.end() ? nullptr : &it->second;
}

std::optional<Credentials> from_section(const std::map<std::string, std::string>* section, const char* source) {
  if (!section) return std::nullopt;
  auto key = section->find("aws_access_key_id");
  auto secret = section->find("aws_secret_access_key");
  if (key == section->end() || secret == section->end() || key->second.empty() || secret->second.empty())
    return std::nullopt;
  Credentials c{key->second, secret->second, "", source};
  if (auto token = section->find("aws_session_token"); token != section->end()) c.session_token = token->second;
  return c;
}

std::optional<Credentials> from_profile(const std::string& profile, const Env& env) {
  IniFile credentials = read_ini(credentials_path(env));
  auto it = credentials.find(profile);
  if (auto c = from_section(it == credentials.end() ? nullptr : &it->second, "shared-credentials-file")) return c;
  IniFile config = read_ini(config_path(env));
  return from_section(config_section(config, profile), "config-file");
}

std::string profile_value(const AwsOptions& options, const Env& env, const std::string& key) {
  IniFile config = read_ini(config_path(env));
  const auto* section = config_section(config, profile_name(options, env));
  if (!section) return {};
  auto it = section->find(key);
  return it == section->end() ? std::string() : it->second;
}

} // namespace

Env process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
}

IniFile read_ini(const std::string& path) {
  IniFile ini;
  std::ifstream in(path);
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      ini[section];
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    // Indented lines belong to a nested block (s3 = ...); only top-level keys matter here.
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) continue;
    ini[section][trim(std::string_view(t).substr(0, eq))] = trim(std::string_view(t).substr(eq + 1));
  }
  return ini;
}

std::string profile_name(const AwsOptions& options, const Env& env) {
  if (!options.profile.empty()) return options.profile;
  return env_or(env, "AWS_PROFILE", "default");
}

std::optional<Credentials> resolve_credentials(const AwsOptions& options, const Env& env, const ImdsFetch& imds,
                                               std::string& why) {
  std::string profile = profile_name(options, env);
  // An explicit --profile wins over the environment, as with the AWS CLI.
  if (!options.profile.empty()) {
    if (auto c = from_profile(profile, env)) return c;
    why = "profile '" + profile + "' has no aws_access_key_id/aws_secret_access_key in " + credentials_path(env) +
          " or " + config_path(env);
    return std::nullopt;
  }
  auto key = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (key && secret) {
    Credentials c{*key, *secret, env_or(env, "AWS_SESSION_TOKEN"), "environment"};
    return c;
  }
  if (auto c = from_profile(profile, env)) return c;
  if (imds) {
    if (auto c = imds(env)) return c;
  }
  why = "no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile '" + profile +
        "' in " + credentials_path(env) + " and " + config_path(env) + ", and EC2 instance metadata)";
  return std::nullopt;
}

std::string resolve_region(const AwsOptions& options, const Env& env) {
  if (!options.region.empty()) return options.region;
  if (auto r = env("AWS_REGION")) return *r;
  if (auto r = env("AWS_DEFAULT_REGION")) return *r;
  std::string region = profile_value(options, env, "region");
  return region.empty() ? "us-east-1" : region;
}

std::string resolve_endpoint(const AwsOptions& options, const Env& env, const std::string& service_env) {
  std::string url = options.endpoint_url;
  if (url.empty()) url = env_or(env, "AWS_ENDPOINT_URL_" + service_env);
  if (url.empty()) url = env_or(env, "AWS_ENDPOINT_URL");
  if (url.empty()) url = profile_value(options, env, "endpoint_url");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::optional<Credentials> fetch_imds_credentials(const Env& env) {
  if (to_lower(env_or(env, "AWS_EC2_METADATA_DISABLED")) == "true") return std::nullopt;
  std::string base = env_or(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254");
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto call = [&](const std::string& method, const std::string& path, std::vector<std::string> headers) {
    HttpRequest r;
    r.method = method;
    r.url = base + path;
    r.headers = std::move(headers);
    r.connect_timeout_ms = 1000;
    r.timeout_ms = 2000;
    return perform(r, nullptr, "");
  };
  HttpResponse token = call("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds: 21600"});
  if (!token.ok() || token.body.empty()) return std::nullopt;
  std::string auth = "X-aws-ec2-metadata-token: " + token.body;
  HttpResponse role = call("GET", "/latest/meta-data/iam/security-credentials/", {auth});
  if (!role.ok()) return std::nullopt;
  std::string name = trim(split(role.body, '\n').empty() ? "" : split(role.body, '\n').front());
  if (name.empty()) return std::nullopt;
  HttpResponse creds = call("GET", "/latest/meta-data/iam/security-credentials/" + name, {auth});
  if (!creds.ok()) return std::nullopt;
  auto json = nlohmann::json::parse(creds.body, nullptr, false);
  if (json.is_discarded() || !json.contains("AccessKeyId") || !json.contains("SecretAccessKey")) return std::nullopt;
  Credentials c;
  c.access_key_id = json.value("AccessKeyId", "");
  c.secret_access_key = json.value("SecretAccessKey", "");
  c.session_token = json.value("Token", "");
  c.source = "instance-metadata";
  return c;
}

AwsContext::AwsContext(AwsOptions options, Env env, ImdsFetch imds)
    : m_options(std::move(options)), m_env(std::move(env)), m_imds(std::move(imds)) {
  m_region = resolve_region(m_options, m_env);
  m_s3_endpoint = resolve_endpoint(m_options, m_env, "S3");
  m_logs_endpoint = resolve_endpoint(m_options, m_env, "LOGS");
  m_ssm_endpoint = resolve_endpoint(m_options, m_env, "SSM");
}

std::optional<Credentials> AwsContext::credentials(std::string& why) {
  std::lock_guard lock(m_mutex);
  if (!m_resolved) {
    m_credentials = resolve_credentials(m_options, m_env, m_imds, m_why);
    m_resolved = true;
  }
  if (!m_credentials) why = m_why;
  return m_credentials;
}

} // namespace sshm::aws
