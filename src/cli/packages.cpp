// sshm packages create | list | describe | delete | status: Distributor packages in sshm's package
// directory (or an S3 bucket), in the shapes of SSM's ListDocuments / DescribeDocument for
// documents of type Package, and what each host has installed (aws:configurePackage).
#include "cli/common.hpp"
#include "cli/sink_options.hpp"
#include "aws/http.hpp"
#include "packages/repository.hpp"
#include "store/package_tables.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace sshm::cli {

namespace {

struct CreateOptions {
  std::string dir;
  std::string name;
  std::string bucket;
  aws::AwsOptions aws;
};
struct NameOptions {
  std::string name;
  std::string version;
};
struct StatusOptions {
  TargetOptions targets;
  std::string name;
};

std::string platforms_of(const packages::Manifest& m) {
  std::vector<std::string> out;
  for (const auto& [platform, versions] : m.packages)
    for (const auto& [version, archs] : versions)
      for (const auto& entry : archs) out.push_back(fmt::format("{}/{}/{}", platform, version, entry.first));
  return join(out, ",");
}

// A version as ListDocuments' DocumentIdentifier of a Package document.
nlohmann::json identifier(const packages::PackageVersion& pv) {
  return {{"Name", pv.name},           {"DocumentType", "Package"},     {"DocumentFormat", "JSON"},
          {"VersionName", pv.manifest.version}, {"Owner", "Self"},      {"PlatformTypes", {"Linux"}},
          {"CreatedDate", pv.created_date},     {"SchemaVersion", pv.manifest.schema_version}};
}

// A version as DescribeDocument's Document of a Package, the manifest's archives as its
// AttachmentsInformation; sshm adds where the archives are and the manifest itself.
nlohmann::json description(const packages::PackageVersion& pv) {
  nlohmann::json d = identifier(pv);
  d["Status"] = "Active";
  d["Hash"] = aws::sha256_hex(pv.manifest_text);
  d["HashType"] = "Sha256";
  d["AttachmentsInformation"] = nlohmann::json::array();
  for (const auto& entry : pv.manifest.sha256) d["AttachmentsInformation"].push_back({{"Name", entry.first}});
  d["Location"] = pv.location.empty() ? pv.dir.string() : pv.location;
  d["Manifest"] = nlohmann::json::parse(pv.manifest_text, nullptr, false);
  if (!pv.manifest.publisher.empty()) d["Publisher"] = pv.manifest.publisher;
  return d;
}

int run_create(const GlobalOptions& g, const CreateOptions& o) {
  auto pv = packages::create_package(state_dir(g), o.dir, o.name, o.bucket, o.aws);
  if (structured_output(g)) {
    print_structured(g, {{"DocumentDescription", description(pv)}});
    return k_exit_ok;
  }
  SyncOut::instance().out(fmt::format("Created package {} version {} ({} archive(s): {}) in {}\n", pv.name,
                                      pv.manifest.version, pv.manifest.sha256.size(), platforms_of(pv.manifest),
                                      pv.location.empty() ? pv.dir.string() : pv.location));
  return k_exit_ok;
}

int run_list(const GlobalOptions& g) {
  auto all = packages::list_packages(state_dir(g));
  if (structured_output(g)) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& pv : all) items.push_back(identifier(pv));
    print_list(g, "DocumentIdentifiers", items);
    return k_exit_ok;
  }
  TextTable table({"NAME", "VERSION", "PLATFORMS", "CREATED", "LOCATION"});
  for (const auto& pv : all)
    table.add({pv.name, pv.manifest.version, platforms_of(pv.manifest), pv.created_date,
               pv.location.empty() ? "local" : pv.location});
  SyncOut::instance().out(table.empty() ? "No packages (add one with `sshm packages create DIR`)\n" : table.render());
  return k_exit_ok;
}

int run_describe(const GlobalOptions& g, const NameOptions& o) {
  auto pv = packages::find_package(state_dir(g), o.name, o.version);
  if (structured_output(g)) print_structured(g, {{"Document", description(pv)}});
  else SyncOut::instance().out(object_text(description(pv)));
  return k_exit_ok;
}

int run_delete(const GlobalOptions& g, const NameOptions& o) {
  auto removed = packages::delete_package(state_dir(g), o.name, o.version);
  if (structured_output(g)) print_structured(g, {{"Name", o.name}, {"DeletedVersions", removed}});
  else SyncOut::instance().out(fmt::format("Deleted package {} version(s) {}\n", o.name, join(removed, ", ")));
  return k_exit_ok;
}

// What each selected host has installed, as aws:configurePackage recorded it.
int run_status(const GlobalOptions& g, const StatusOptions& o) {
  auto inv = load_inventory(g);
  auto hosts = select(g, inv, o.targets);
  auto store = open_state_store(g);
  auto rows = store::list_package_installs(*store, o.name);
  nlohmann::json items = nlohmann::json::array();
  TextTable table({"HOST", "PACKAGE", "VERSION", "STATE", "PACKAGEID", "UPDATED"});
  for (const auto* h : hosts) {
    bool any = false;
    for (const auto& r : rows) {
      if (r.host != h->name) continue;
      any = true;
      items.push_back({{"InstanceId", r.host}, {"Name", r.name}, {"Version", r.version}, {"State", r.state},
                       {"PackageId", r.package_id}, {"Architecture", r.architecture}, {"CommandId", r.command_id},
                       {"UpdatedAt", r.updated_at}});
      table.add({r.host, r.name, r.version, r.state, r.package_id, r.updated_at});
    }
    if (!any && !o.name.empty()) {
      items.push_back({{"InstanceId", h->name}, {"Name", o.name}, {"State", "NotInstalled"}});
      table.add({h->name, o.name, "-", "NotInstalled", "-", "-"});
    }
  }
  if (structured_output(g)) print_list(g, "Packages", items);
  else SyncOut::instance().out(table.render());
  return k_exit_ok;
}

void add_name_verb(CLI::App* group, const char* verb, const char* help, GlobalOptions& global, Action& action,
                   int (*work)(const GlobalOptions&, const NameOptions&)) {
  auto o = std::make_shared<NameOptions>();
  auto* cmd = group->add_subcommand(verb, help);
  cmd->add_option("name", o->name, "Package name")->required();
  cmd->add_option("--version", o->version, "Package version (default: the latest)");
  cmd->callback([&global, &action, o, work] { action = [&global, o, work] { return work(global, *o); }; });
}

} // namespace

void setup_packages(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("packages", "Distributor packages: create, list, describe, delete, status");
  group->require_subcommand(1);
  auto co = std::make_shared<CreateOptions>();
  auto* create = group->add_subcommand("create", "Check a package folder (manifest.json and its archives) and store it");
  create->add_option("dir", co->dir, "Folder holding manifest.json and the archives it lists")->required();
  create->add_option("--name", co->name, "Package name (default: the folder's name)");
  create->add_option("--bucket", co->bucket, "Keep the archives in s3://BUCKET[/PREFIX] instead of the state dir");
  add_aws_options(create, co->aws);
  create->callback([&global, &action, co] { action = [&global, co] { return run_create(global, *co); }; });
  auto* list = group->add_subcommand("list", "Stored packages and versions (SSM ListDocuments, DocumentType Package)");
  list->callback([&global, &action] { action = [&global] { return run_list(global); }; });
  add_name_verb(group, "describe", "One package version (SSM DescribeDocument)", global, action, run_describe);
  add_name_verb(group, "delete", "Delete one version, or every version, of a package", global, action, run_delete);
  auto so = std::make_shared<StatusOptions>();
  auto* status = group->add_subcommand("status", "The package versions hosts have installed");
  add_target_options(status, so->targets);
  status->add_option("--name", so->name, "Only this package (hosts without it show NotInstalled)");
  status->callback([&global, &action, so] { action = [&global, so] { return run_status(global, *so); }; });
}

} // namespace sshm::cli
