// sshm params <verb>: Parameter Store with the aws CLI's verbs, flags and JSON shapes
// (aws ssm put-parameter, get-parameter, ...), on the local encrypted store or on AWS
// Systems Manager Parameter Store (--params-backend aws), and `params copy` between them.
#include "cli/common.hpp"
#include "cli/sink_options.hpp"
#include "params/aws_backend.hpp"
#include "params/backend.hpp"
#include "params/crypto.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

namespace sshm::cli {

namespace {

struct PutOptions {
  std::string name, value, value_file, type, description, key_id, allowed_pattern, tier, policies, data_type;
  bool overwrite = false;
  aws::AwsOptions aws;
};

// The options every other verb takes; each verb binds the ones it needs.
struct ParamsOptions {
  std::string name, path;
  std::vector<std::string> names, labels, filters;
  long long version = 0;
  bool with_decryption = false, recursive = false;
  aws::AwsOptions aws;
};

std::unique_ptr<params::LocalBackend> open_local_store(const GlobalOptions& g) {
  return params::open_local(state_dir(g) / "params.db", params::default_key_file(), SystemClock::instance());
}

// `kind` is "local" or "aws" (--params-backend, SSHM_PARAMS_BACKEND, params_backend:).
std::unique_ptr<params::Backend> open_store(const GlobalOptions& g, const std::string& kind,
                                            const aws::AwsOptions& aws) {
  if (kind == "aws") return params::open_aws(aws);
  return open_local_store(g);
}

std::unique_ptr<params::Backend> open_backend(const GlobalOptions& g, const aws::AwsOptions& aws) {
  return open_store(g, g.params_backend, aws);
}

bool structured(const GlobalOptions& g) { return structured_output(g); }

void print(const GlobalOptions& g, const nlohmann::json& value) {
  print_structured(g, value);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read value file {}", path));
  return read_all(in);
}

std::string chomp(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

// --value TEXT, --value - (stdin), --value file://PATH (as the aws CLI) or --value-file PATH.
// Stdin and --value-file lose one trailing newline; file:// keeps the file as it is.
std::string value_of(const PutOptions& o, const CLI::App& cmd) {
  bool given = cmd.count("--value") > 0;
  if (given == !o.value_file.empty())
    throw InputError("put-parameter needs exactly one of --value and --value-file");
  if (!o.value_file.empty()) return chomp(read_file(o.value_file));
  if (o.value == "-") return chomp(read_all(std::cin));
  if (starts_with(o.value, "file://")) return read_file(o.value.substr(7));
  if (o.type == "SecureString")
    std::cerr << "sshm: warning: a SecureString given with --value is visible to other users of this machine in "
                 "the process list; use --value - or --value-file\n";
  return o.value;
}

std::optional<std::string> given(const CLI::App& cmd, const char* flag, const std::string& value) {
  if (cmd.count(flag) == 0) return std::nullopt;
  return value;
}

int run_put(const GlobalOptions& g, const PutOptions& o, const CLI::App& cmd) {
  params::PutRequest r;
  r.name = o.name;
  r.value = value_of(o, cmd);
  r.type = given(cmd, "--type", o.type);
  r.description = given(cmd, "--description", o.description);
  r.key_id = given(cmd, "--key-id", o.key_id);
  r.allowed_pattern = given(cmd, "--allowed-pattern", o.allowed_pattern);
  r.tier = given(cmd, "--tier", o.tier);
  r.policies = given(cmd, "--policies", o.policies);
  r.data_type = given(cmd, "--data-type", o.data_type);
  r.overwrite = o.overwrite;
  params::Version v = open_backend(g, o.aws)->put(r);
  if (structured(g)) print(g, {{"Version", v.version}, {"Tier", v.tier}});
  else SyncOut::instance().out(fmt::format("{} version {} ({})\n", v.name, v.version, v.tier));
  return k_exit_ok;
}

// One ParameterStringFilter from the aws CLI's shorthand (Key=Type,Option=Equals,Values=a,b)
// or JSON ({"Key": ..., "Values": [...]}, or a list of them).
void parse_filter(const std::string& text, std::vector<params::Filter>& out) {
  std::string t = trim(text);
  if (!t.empty() && (t[0] == '{' || t[0] == '[')) {
    nlohmann::json j = nlohmann::json::parse(t, nullptr, false);
    if (j.is_discarded()) throw InputError(fmt::format("--parameter-filters '{}' is not valid JSON", text));
    if (j.is_object()) j = nlohmann::json::array({j});
    for (const auto& f : j) {
      if (!f.is_object() || !f.contains("Key") || !f["Key"].is_string())
        throw InputError(fmt::format("--parameter-filters '{}': each filter needs a Key", text));
      params::Filter pf{f["Key"].get<std::string>(), "", {}};
      if (f.contains("Option") && f["Option"].is_string()) pf.option = f["Option"].get<std::string>();
      if (f.contains("Values") && f["Values"].is_array())
        for (const auto& v : f["Values"]) pf.values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
      out.push_back(std::move(pf));
    }
    return;
  }
  params::Filter f;
  for (const auto& part : split(t, ',')) {
    size_t eq = part.find('=');
    std::string key = eq == std::string::npos ? "" : part.substr(0, eq);
    if (key == "Key") f.key = part.substr(eq + 1);
    else if (key == "Option") f.option = part.substr(eq + 1);
    else if (key == "Values") f.values.push_back(part.substr(eq + 1));
    else if (!f.values.empty() && eq == std::string::npos) f.values.push_back(part);
    else throw InputError(fmt::format("--parameter-filters '{}': expected Key=...,Option=...,Values=a,b", text));
  }
  if (f.key.empty()) throw InputError(fmt::format("--parameter-filters '{}' has no Key=", text));
  out.push_back(std::move(f));
}

std::vector<params::Filter> filters_of(const ParamsOptions& o) {
  std::vector<params::Filter> out;
  for (const auto& f : o.filters) parse_filter(f, out);
  return out;
}

nlohmann::json parameter_list(const std::vector<params::Version>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : list) out.push_back(params::parameter_json(v, v.value));
  return out;
}

std::string value_line(const params::Version& v) {
  return fmt::format("{}{}\t{}\t{}\t{}\n", v.name, v.selector, v.version, v.type, v.value);
}

int run_get(const GlobalOptions& g, const ParamsOptions& o) {
  params::Version v = open_backend(g, o.aws)->get(o.name, o.with_decryption);
  if (structured(g)) print(g, {{"Parameter", params::parameter_json(v, v.value)}});
  else SyncOut::instance().out(v.value + "\n");
  return k_exit_ok;
}

int run_get_many(const GlobalOptions& g, const ParamsOptions& o) {
  params::GetManyResult r = open_backend(g, o.aws)->get_many(o.names, o.with_decryption);
  if (structured(g)) {
    print(g, {{"Parameters", parameter_list(r.parameters)}, {"InvalidParameters", r.invalid}});
    return k_exit_ok;
  }
  std::string text;
  for (const auto& v : r.parameters) text += value_line(v);
  SyncOut::instance().out(text);
  for (const auto& name : r.invalid) SyncOut::instance().err(fmt::format("sshm: invalid parameter: {}\n", name));
  return k_exit_ok;
}

int run_by_path(const GlobalOptions& g, const ParamsOptions& o) {
  auto list = open_backend(g, o.aws)->by_path(o.path, o.recursive, filters_of(o), o.with_decryption);
  if (structured(g)) {
    print(g, {{"Parameters", parameter_list(list)}});
    return k_exit_ok;
  }
  std::string text;
  for (const auto& v : list) text += value_line(v);
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_history(const GlobalOptions& g, const ParamsOptions& o) {
  auto list = open_backend(g, o.aws)->history(o.name, o.with_decryption);
  if (structured(g)) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : list) out.push_back(params::history_json(v, v.value));
    print(g, {{"Parameters", out}});
    return k_exit_ok;
  }
  std::string text;
  for (const auto& v : list)
    text += fmt::format("{}\t{}\t{}\t{}\t{}\n", v.version, iso8601_s(v.last_modified), v.last_modified_user,
                        v.labels.empty() ? "-" : join(v.labels, ","), v.value);
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_describe(const GlobalOptions& g, const ParamsOptions& o) {
  auto list = open_backend(g, o.aws)->describe(filters_of(o));
  if (structured(g)) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : list) out.push_back(params::metadata_json(v));
    print(g, {{"Parameters", out}});
    return k_exit_ok;
  }
  std::string text;
  for (const auto& v : list)
    text += fmt::format("{}\t{}\t{}\t{}\t{}\n", v.name, v.type, v.version, v.tier, v.description);
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_label(const GlobalOptions& g, const ParamsOptions& o, const CLI::App& cmd) {
  std::optional<long long> version;
  if (cmd.count("--parameter-version") > 0) version = o.version;
  params::LabelResult r = open_backend(g, o.aws)->label(o.name, version, o.labels);
  if (structured(g)) {
    print(g, {{"InvalidLabels", r.invalid_labels}, {"ParameterVersion", r.version}});
  } else {
    SyncOut::instance().out(fmt::format("{} version {} labelled\n", o.name, r.version));
    for (const auto& l : r.invalid_labels)
      SyncOut::instance().err(fmt::format("sshm: invalid label '{}': {}\n", l, params::label_problem(l)));
  }
  return k_exit_ok;
}

int run_unlabel(const GlobalOptions& g, const ParamsOptions& o) {
  params::UnlabelResult r = open_backend(g, o.aws)->unlabel(o.name, o.version, o.labels);
  if (structured(g)) {
    print(g, {{"RemovedLabels", r.removed}, {"InvalidLabels", r.invalid}});
  } else {
    if (!r.removed.empty()) SyncOut::instance().out(fmt::format("removed: {}\n", join(r.removed, ", ")));
    for (const auto& l : r.invalid)
      SyncOut::instance().err(fmt::format("sshm: label '{}' is not on version {}\n", l, o.version));
  }
  return k_exit_ok;
}

int run_delete(const GlobalOptions& g, const ParamsOptions& o) {
  open_backend(g, o.aws)->remove(o.name);
  if (!structured(g)) SyncOut::instance().out(fmt::format("deleted {}\n", o.name));
  else print(g, nlohmann::json::object());  // DeleteParameter's response is empty
  return k_exit_ok;
}

int run_delete_many(const GlobalOptions& g, const ParamsOptions& o) {
  params::DeleteManyResult r = open_backend(g, o.aws)->remove_many(o.names);
  if (structured(g)) {
    print(g, {{"DeletedParameters", r.deleted}, {"InvalidParameters", r.invalid}});
  } else {
    for (const auto& n : r.deleted) SyncOut::instance().out(fmt::format("deleted {}\n", n));
    for (const auto& n : r.invalid) SyncOut::instance().err(fmt::format("sshm: invalid parameter: {}\n", n));
  }
  return k_exit_ok;
}

// Exit 1 when a notification policy is due, so a cron job or CI step can alert on it.
int run_check(const GlobalOptions& g, const ParamsOptions& o) {
  if (g.params_backend == "aws")
    SyncOut::instance().err("sshm: note: parameter policies of AWS Parameter Store run in the service (EventBridge "
                            "events, deletion on expiration); sshm params check reports the local store's only\n");
  auto notices = open_backend(g, o.aws)->check_policies();
  bool any_due = false;
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const auto& n : notices) {
    any_due = any_due || n.due;
    nlohmann::json j = {{"Name", n.name}, {"PolicyType", n.type}, {"Due", n.due}, {"Detail", n.text}};
    if (n.at != SystemTime{}) j["At"] = iso8601_s(n.at);
    list.push_back(j);
    text += fmt::format("{:<4} {}\t{}\t{}{}\n", n.due ? "DUE" : "ok", n.name, n.type, n.text,
                        n.at != SystemTime{} && n.type != "Expiration" ? " (notify at " + iso8601_s(n.at) + ")" : "");
  }
  if (structured(g)) print(g, {{"Policies", list}});
  else SyncOut::instance().out(text.empty() ? "no parameter policies\n" : text);
  return any_due ? k_exit_failed : k_exit_ok;
}

int run_rotate_key(const GlobalOptions& g) {
  if (g.params_backend == "aws")
    throw InputError("rotate-key re-encrypts the local store; AWS Parameter Store encrypts SecureString values "
                     "with KMS (rotate the KMS key there)");
  auto backend = open_local_store(g);
  size_t n = backend->rotate_key();
  if (structured(g)) print(g, {{"ReEncryptedValues", n}, {"KeyFile", params::default_key_file().string()}});
  else SyncOut::instance().out(fmt::format("re-encrypted {} SecureString values under a new key in {}\n", n,
                                           params::default_key_file().string()));
  return k_exit_ok;
}

CLI::App* verb(CLI::App* group, const char* name, const char* help, aws::AwsOptions& aws) {
  auto* cmd = group->add_subcommand(name, help);
  cmd->fallthrough();
  add_aws_options(cmd, aws);
  return cmd;
}

void add_decryption(CLI::App* cmd, ParamsOptions& o) {
  cmd->add_flag("--with-decryption,!--no-with-decryption", o.with_decryption,
                "Show SecureString values in plain text (otherwise their encrypted blob)");
}

void setup_put(CLI::App* group, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<PutOptions>();
  auto* cmd = verb(group, "put-parameter", "Create a parameter or (with --overwrite) a new version of it", o->aws);
  cmd->add_option("--name", o->name, "Name: a-zA-Z0-9_.- and / for hierarchies (/app/prod/db)")->required();
  cmd->add_option("--value", o->value, "The value; - reads stdin, file://PATH a file");
  cmd->add_option("--value-file", o->value_file, "Read the value from a file (one trailing newline dropped)");
  cmd->add_option("--type", o->type, "String, StringList (comma-separated) or SecureString (encrypted at rest)");
  cmd->add_option("--description", o->description, "Description (at most 1024 characters)");
  cmd->add_option("--key-id", o->key_id, "SecureString key: alias/aws/ssm (the only one locally), or a KMS key on AWS");
  cmd->add_flag("--overwrite,!--no-overwrite", o->overwrite, "Replace an existing parameter's value (new version)");
  cmd->add_option("--allowed-pattern", o->allowed_pattern, "Regular expression every value must match in full");
  cmd->add_option("--tier", o->tier, "Standard (4 KB values, default) or Advanced (8 KB, policies)");
  cmd->add_option("--policies", o->policies, "Policies JSON (Expiration, ExpirationNotification, NoChangeNotification)");
  cmd->add_option("--data-type", o->data_type, "text (the only data type of the local store); aws:ec2:image on AWS");
  cmd->callback([&global, &action, o, cmd] { action = [&global, o, cmd] { return run_put(global, *o, *cmd); }; });
}

void setup_reads(CLI::App* group, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ParamsOptions>();
  auto* get = verb(group, "get-parameter", "A parameter's value (name, name:VERSION or name:LABEL)", o->aws);
  get->add_option("--name", o->name, "Name with an optional :version or :label selector")->required();
  add_decryption(get, *o);
  get->callback([&global, &action, o] { action = [&global, o] { return run_get(global, *o); }; });

  auto* many = verb(group, "get-parameters", "Several parameters' values; unknown names in InvalidParameters", o->aws);
  many->add_option("--names", o->names, "Up to 10 names, each with an optional selector")->required();
  add_decryption(many, *o);
  many->callback([&global, &action, o] { action = [&global, o] { return run_get_many(global, *o); }; });

  auto* path = verb(group, "get-parameters-by-path", "Parameters under a path (one level, or all with --recursive)", o->aws);
  path->add_option("--path", o->path, "A hierarchy path beginning with /")->required();
  path->add_flag("--recursive,!--no-recursive", o->recursive, "Every level below the path");
  path->add_option("--parameter-filters", o->filters, "Key=Type|KeyId|Label,Values=...");
  add_decryption(path, *o);
  path->callback([&global, &action, o] { action = [&global, o] { return run_by_path(global, *o); }; });

  auto* hist = verb(group, "get-parameter-history", "Every kept version of a parameter, with its labels", o->aws);
  hist->add_option("--name", o->name, "Parameter name")->required();
  add_decryption(hist, *o);
  hist->callback([&global, &action, o] { action = [&global, o] { return run_history(global, *o); }; });

  auto* desc = verb(group, "describe-parameters", "Parameters' metadata (never values)", o->aws);
  desc->add_option("--parameter-filters", o->filters, "Key=Name|Type|KeyId|Path|Tier|DataType,Option=...,Values=...");
  desc->callback([&global, &action, o] { action = [&global, o] { return run_describe(global, *o); }; });
}

void setup_writes(CLI::App* group, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ParamsOptions>();
  auto* label = verb(group, "label-parameter-version", "Attach labels to a version (moving them from others)", o->aws);
  label->add_option("--name", o->name, "Parameter name")->required();
  label->add_option("--parameter-version", o->version, "Version to label (default: the latest)");
  label->add_option("--labels", o->labels, "Up to 10 labels")->required();
  label->callback([&global, &action, o, label] {
    action = [&global, o, label] { return run_label(global, *o, *label); };
  });

  auto* unlabel = verb(group, "unlabel-parameter-version", "Remove labels from a version", o->aws);
  unlabel->add_option("--name", o->name, "Parameter name")->required();
  unlabel->add_option("--parameter-version", o->version, "The version the labels are on")->required();
  unlabel->add_option("--labels", o->labels, "Labels to remove")->required();
  unlabel->callback([&global, &action, o] { action = [&global, o] { return run_unlabel(global, *o); }; });

  auto* del = verb(group, "delete-parameter", "Delete a parameter with all its versions and labels", o->aws);
  del->add_option("--name", o->name, "Parameter name")->required();
  del->callback([&global, &action, o] { action = [&global, o] { return run_delete(global, *o); }; });

  auto* dels = verb(group, "delete-parameters", "Delete up to 10 parameters", o->aws);
  dels->add_option("--names", o->names, "Parameter names")->required();
  dels->callback([&global, &action, o] { action = [&global, o] { return run_delete_many(global, *o); }; });

  auto* check = verb(group, "check", "Report parameter policies; exit 1 when a notification is due", o->aws);
  check->callback([&global, &action, o] { action = [&global, o] { return run_check(global, *o); }; });

  auto* rotate = verb(group, "rotate-key", "Re-encrypt every SecureString value under a new key", o->aws);
  rotate->callback([&global, &action] { action = [&global] { return run_rotate_key(global); }; });
}


// `params copy`: every parameter under a path from one store to the other.
struct CopyOptions {
  std::string from, to, path;
  bool recursive = false, overwrite = false, dry_run = false, with_labels = false;
  aws::AwsOptions aws;
};

struct CopyReport {
  nlohmann::json copied = nlohmann::json::array(), skipped = nlohmann::json::array(),
                 failed = nlohmann::json::array();
  std::string text;
};

// The message of a failed write, with the value (which some refusals may quote) masked.
std::string masked_error(std::string message, const std::string& value) {
  if (value.empty()) return message;
  for (auto at = message.find(value); at != std::string::npos; at = message.find(value, at))
    message.replace(at, value.size(), "****");
  return message;
}

// What the target gets: the latest version's value, Type, Description, AllowedPattern,
// DataType and (Advanced only) Tier. KeyId is the target's default key: a KMS key of the
// source means nothing to the other store.
params::PutRequest copy_request(const params::Version& v, bool overwrite) {
  params::PutRequest r;
  r.name = v.name;
  r.value = v.value;
  r.type = v.type;
  if (!v.description.empty()) r.description = v.description;
  if (!v.allowed_pattern.empty()) r.allowed_pattern = v.allowed_pattern;
  if (!v.data_type.empty()) r.data_type = v.data_type;
  if (v.tier == "Advanced") r.tier = v.tier;
  r.overwrite = overwrite;
  return r;
}

bool exists_in(params::Backend& store, const std::string& name) {
  try {
    store.get(name, false);
    return true;
  } catch (const params::Error& e) {
    if (e.code() == "ParameterNotFound") return false;
    throw;
  }
}

void copy_one(params::Backend& target, const params::Version& v, const CopyOptions& o, CopyReport& report) {
  const std::string where = o.to == "aws" ? "AWS" : "the local store";
  try {
    if (o.dry_run) {
      bool present = exists_in(target, v.name);
      if (present && !o.overwrite) {
        report.skipped.push_back(v.name);
        report.text += fmt::format("would skip {}: already in {} (--overwrite replaces it)\n", v.name, where);
      } else {
        report.copied.push_back(v.name);
        report.text += fmt::format("would {} {} ({})\n", present ? "overwrite" : "copy", v.name, v.type);
      }
      return;
    }
    params::Version put = target.put(copy_request(v, o.overwrite));
    if (o.with_labels && !v.labels.empty()) target.label(v.name, put.version, v.labels);
    report.copied.push_back(v.name);
    report.text += fmt::format("copied {} ({}, version {} in {})\n", v.name, v.type, put.version, where);
  } catch (const params::Error& e) {
    if (e.code() == "ParameterAlreadyExists" && !o.overwrite) {
      report.skipped.push_back(v.name);
      report.text += fmt::format("skipped {}: already in {} (--overwrite replaces it)\n", v.name, where);
      return;
    }
    std::string why = masked_error(e.what(), v.value);
    report.failed.push_back({{"Name", v.name}, {"Error", why}});
    report.text += fmt::format("failed {}: {}\n", v.name, why);
  } catch (const RuntimeError& e) {
    std::string why = masked_error(e.what(), v.value);
    report.failed.push_back({{"Name", v.name}, {"Error", why}});
    report.text += fmt::format("failed {}: {}\n", v.name, why);
  }
}

void check_copy_options(const CopyOptions& o) {
  for (const auto* kind : {&o.from, &o.to})
    if (*kind != "local" && *kind != "aws")
      throw InputError(fmt::format("unknown Parameter Store '{}' (use local or aws)", *kind));
  if (o.from == o.to) throw InputError(fmt::format("--from and --to are both {}: nothing to copy", o.from));
  if (o.path.empty() || o.path.front() != '/')
    throw InputError(fmt::format("--path '{}' must be a hierarchy path beginning with /", o.path));
}

// Exit 1 when any parameter failed to copy.
int run_copy(const GlobalOptions& g, const CopyOptions& o) {
  check_copy_options(o);
  auto source = open_store(g, o.from, o.aws);
  auto target = open_store(g, o.to, o.aws);
  CopyReport report;
  for (const auto& listed : source->by_path(o.path, o.recursive, {}, true)) {
    // The latest version with its Description, AllowedPattern and labels, which
    // GetParametersByPath does not return.
    auto versions = source->history(listed.name, true);
    copy_one(*target, versions.empty() ? listed : versions.back(), o, report);
  }
  if (structured(g)) {
    print(g, {{"DryRun", o.dry_run}, {"Copied", report.copied}, {"Skipped", report.skipped},
              {"Failed", report.failed}});
  } else {
    SyncOut::instance().out(report.text);
    SyncOut::instance().out(fmt::format("{}{} copied, {} skipped, {} failed\n", o.dry_run ? "dry run: " : "",
                                        report.copied.size(), report.skipped.size(), report.failed.size()));
  }
  return report.failed.empty() ? k_exit_ok : k_exit_failed;
}

void setup_copy(CLI::App* group, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<CopyOptions>();
  auto* cmd = verb(group, "copy", "Copy every parameter under a path between the local store and AWS", o->aws);
  cmd->add_option("--from", o->from, "Source store: local or aws")->required();
  cmd->add_option("--to", o->to, "Target store: local or aws")->required();
  cmd->add_option("--path", o->path, "Hierarchy path to copy (/prod)")->required();
  cmd->add_flag("--recursive,!--no-recursive", o->recursive, "Every level below the path");
  cmd->add_flag("--overwrite,!--no-overwrite", o->overwrite, "Replace parameters the target has (a new version)");
  cmd->add_flag("--with-labels", o->with_labels, "Put the latest version's labels on the copied version");
  cmd->add_flag("--dry-run", o->dry_run, "Say what would be copied or skipped; write nothing");
  cmd->callback([&global, &action, o] { action = [&global, o] { return run_copy(global, *o); }; });
}
} // namespace

void setup_params(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("params", "Parameter Store: parameters and secrets, as aws ssm's parameter verbs");
  group->require_subcommand(1);
  group->fallthrough();
  setup_put(group, global, action);
  setup_reads(group, global, action);
  setup_writes(group, global, action);
  setup_copy(group, global, action);
}

} // namespace sshm::cli
