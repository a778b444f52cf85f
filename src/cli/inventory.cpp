// sshm inventory collect | show HOST | query EXPR | diff HOST | export DIR: SSM Inventory
// over SSH. One `sh -s` per host with the gatherer on stdin; snapshots in the state store.
#include "aws/client.hpp"
#include "cli/common.hpp"
#include "cli/run.hpp"
#include "cli/sink_options.hpp"
#include "engine/builtin_plugins.hpp"
#include "inventory/export.hpp"
#include "inventory/gather.hpp"
#include "inventory/inventory_store.hpp"
#include "inventory/query.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"

#include <any>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <mutex>
#include <optional>

namespace sshm::cli {

namespace {

using inventory::InventoryItem;
using inventory::InventoryStore;
using inventory::Row;

struct CollectOptions {
  TargetOptions targets;
  std::vector<std::string> types;
  std::string files;
  std::vector<std::string> custom_dirs;
  bool file_hash = false;
  int concurrency = 50;
  int timeout = 300;
};

struct ShowOptions {
  std::string host;
  std::string type;
};

struct QueryOptions {
  std::string expr;
  std::string count_by;
};

struct ExportCliOptions {
  std::string dest;
  std::string account_id;
  aws::AwsOptions aws;
};

bool wants_json(const GlobalOptions& g) { return structured_output(g); }

// "Attr=Value" pairs of a row, values quoted when they hold spaces.
std::string row_text(const Row& row) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : row) {
    bool quote = v.empty() || v.find_first_of(" \t\"") != std::string::npos;
    parts.push_back(quote ? fmt::format("{}={}", k, nlohmann::json(v).dump()) : fmt::format("{}={}", k, v));
  }
  return join(parts, " ");
}

// A short label of a row for diffs: its Name (and Version), else all attributes.
std::string row_label(const Row& row) {
  auto name = row.find("Name");
  if (name == row.end()) return row_text(row);
  auto version = row.find("Version");
  return version == row.end() ? name->second : name->second + " " + version->second;
}

// The host as the store knows it; an unknown name gets a did-you-mean.
inventory::StoredHost stored_host(const InventoryStore& inv, const std::string& name) {
  if (auto h = inv.find_host(name)) return *h;
  std::vector<std::string> names;
  for (const auto& h : inv.hosts()) names.push_back(h.name);
  throw InputError(fmt::format("no inventory for host '{}' (run `sshm inventory collect -t {}` first)", name, name),
                   closest_match(name, names));
}

struct HostOutcome {
  std::string host;
  bool ok = false;
  std::string error_kind;
  std::string error;
  std::vector<std::string> warnings;
  std::map<std::string, size_t> counts;  // type -> entries
  double seconds = 0;
  std::size_t bytes = 0;  // the gatherer's stream
};

// The text lines of one host's outcome.
std::string outcome_text(const HostOutcome& out) {
  std::string line;
  if (out.ok) {
    auto count = [&](const char* t) { return out.counts.count(t) ? out.counts.at(t) : 0; };
    line = fmt::format("{}  ok  {} types, {} applications ({:.1f}s)\n", out.host, out.counts.size(),
                       count("AWS:Application"), out.seconds);
  } else {
    line = fmt::format("{}  failed  {}: {}\n", out.host, out.error_kind, out.error);
  }
  for (const std::string& w : out.warnings) line += fmt::format("{}  warning  {}\n", out.host, w);
  return line;
}

// -o json: every outcome in host order; text: a one-line summary on stderr.
void print_collect_summary(const GlobalOptions& g, const std::vector<HostOutcome>& outcomes, double seconds) {
  size_t ok = 0;
  for (const auto& out : outcomes) ok += out.ok ? 1 : 0;
  if (wants_json(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& out : outcomes) {
      nlohmann::json j = {{"Host", out.host}, {"Status", out.ok ? "Success" : "Failed"}};
      if (!out.ok) j["Error"] = {{"Kind", out.error_kind}, {"Message", out.error}};
      j["Types"] = out.counts;
      j["Bytes"] = out.bytes;
      j["Seconds"] = out.seconds;
      j["Warnings"] = out.warnings;
      arr.push_back(j);
    }
    print_structured(g, arr);
  } else if (g.verbosity >= 0) {
    std::size_t bytes = 0;
    for (const auto& out : outcomes) bytes += out.ok ? out.bytes : 0;
    SyncOut::instance().err(fmt::format("{} of {} hosts collected in {:.1f}s, {:.1f} KB received per host\n", ok,
                                        outcomes.size(), seconds,
                                        ok ? static_cast<double>(bytes) / 1024.0 / static_cast<double>(ok) : 0.0));
  }
}

// Shows `sshm inventory collect` as it always has, from the outcome the plugin hands back
// (HostContext::on_result: counts, warnings and stream size, which the store does not keep);
// a host the plugin never ran on gets an outcome made from its invocation.
class CollectObserver : public CliRunObserver {
public:
  explicit CollectObserver(const GlobalOptions& g) : m_g(g), m_started(std::chrono::steady_clock::now()) {}

  void on_invocation_start(const std::string& host) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_outcomes[host].start = std::chrono::steady_clock::now();
  }
  void on_result(const std::string& host, const std::any& result) override {
    if (const auto* r = std::any_cast<engine::InventoryOutcome>(&result)) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_outcomes[host].plugin = *r;
      m_outcomes[host].ran = true;
    }
  }
  void on_invocation_done(const store::InvocationRecord& inv) override {
    HostOutcome out = outcome_of(inv);
    if (!wants_json(m_g)) SyncOut::instance().out(outcome_text(out));
  }
  void finish(const engine::RunResult& result) override {
    for (const auto& inv : result.invocations) m_done.push_back(outcome_of(inv));
    print_collect_summary(m_g, m_done,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count());
  }
  std::optional<int> exit_code(const engine::RunResult& result) const override {
    size_t ok = 0;
    for (const auto& out : m_done) ok += out.ok ? 1 : 0;
    if (result.dispatch.cancelled || result.command.status == "Cancelled") return k_exit_interrupted;
    if (ok == m_done.size()) return k_exit_ok;
    return ok == 0 ? k_exit_unreachable : k_exit_failed;
  }

private:
  struct Seen {
    std::chrono::steady_clock::time_point start;
    bool ran = false;
    engine::InventoryOutcome plugin;
  };

  HostOutcome outcome_of(const store::InvocationRecord& inv) {
    HostOutcome out;
    out.host = inv.instance_id;
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_outcomes.find(inv.instance_id);
    if (it != m_outcomes.end() && it->second.ran) {
      const engine::InventoryOutcome& p = it->second.plugin;
      out.ok = p.ok && inv.status == "Success";
      out.error_kind = p.error_kind;
      out.error = p.error;
      out.warnings = p.warnings;
      out.counts = p.counts;
      out.bytes = p.bytes;
    } else {
      NoResult why = no_result_reason(inv);
      out.error_kind = why.kind.empty() ? "failed" : why.kind;
      out.error = why.message;
    }
    if (it != m_outcomes.end())
      out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.start).count();
    return out;
  }

  const GlobalOptions& m_g;
  std::chrono::steady_clock::time_point m_started;
  std::mutex m_mutex;
  std::map<std::string, Seen> m_outcomes;
  std::vector<HostOutcome> m_done;
};

// AWS-GatherSoftwareInventory's parameters for what the flags ask; what SSM's parameters
// cannot say (sshm:Process, more custom directories, hashes, the time limit) goes in the
// plugin's settings.
FrontEndRun collect_run(const CollectOptions& o) {
  inventory::GatherOptions base;
  inventory::select_types(base, o.types);
  if (!o.files.empty()) base.files = inventory::parse_file_rules(o.files);  // checked before anything runs
  auto enabled = [](bool on) { return on ? "Enabled" : "Disabled"; };
  FrontEndRun run;
  run.document = "AWS-GatherSoftwareInventory";
  run.values = {{"applications", enabled(base.applications)},
                {"awsComponents", enabled(base.aws_components)},
                {"networkConfig", enabled(base.network)},
                {"instanceDetailedInformation", enabled(base.instance_detailed)},
                {"services", enabled(base.services)},
                {"customInventory", enabled(base.custom)},
                {"files", o.files}};
  run.targets = o.targets;
  run.max_concurrency = std::to_string(std::max(1, o.concurrency));
  run.plugin_settings = {{engine::k_inventory_action,
                          {{"processes", base.processes},
                           {"custom_dirs", o.custom_dirs},
                           {"file_hash", o.file_hash},
                           {"timeout", o.timeout}}}};
  return run;
}

// A run of AWS-GatherSoftwareInventory through the run engine, shown as `inventory collect`
// always was; each snapshot is stored by the plugin before its host is reported.
int run_collect(const GlobalOptions& g, const CollectOptions& o) {
  FrontEndRun run = collect_run(o);
  run.make_observer = [&g](size_t) { return std::make_unique<CollectObserver>(g); };
  return run_front_end(g, run);
}

int run_show(const GlobalOptions& g, const ShowOptions& o) {
  auto db = open_state_store(g);
  InventoryStore inv(*db);
  stored_host(inv, o.host);
  auto items = inv.current(o.host, o.type);
  if (!o.type.empty() && items.empty()) {
    std::vector<std::string> types;
    for (const auto& i : inv.current(o.host)) types.push_back(i.type_name);
    throw InputError(fmt::format("host '{}' has no inventory of type '{}'", o.host, o.type),
                     closest_match(o.type, types));
  }
  if (wants_json(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& i : items) arr.push_back(inventory::item_to_json(i));
    print_structured(g, arr);
    return k_exit_ok;
  }
  std::string text;
  for (const auto& i : items) {
    text += fmt::format("{} (schema {}, captured {}, {} entries)\n", i.type_name, i.schema_version, i.capture_time,
                        i.content.size());
    for (const Row& r : i.content) text += "  " + row_text(r) + "\n";
  }
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_query(const GlobalOptions& g, const QueryOptions& o) {
  auto db = open_state_store(g);
  InventoryStore inv(*db);
  std::vector<inventory::QueryMatch> matches;
  if (!trim(o.expr).empty()) {
    auto q = inventory::parse_query(o.expr);
    inventory::check_names(*q, inv, o.expr);
    matches = inventory::run_query(inv, *q);
  } else if (o.count_by.empty()) {
    throw InputError("give a query expression, --count-by Type.Attribute, or both");
  } else {
    for (const auto& h : inv.hosts()) matches.push_back({h.name, {}});
  }
  if (!o.count_by.empty()) {
    std::vector<std::string> names;
    for (const auto& m : matches) names.push_back(m.host);
    auto counts = inventory::count_by(inv, names, o.count_by);
    if (wants_json(g)) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& [v, n] : counts) arr.push_back({{"Value", v}, {"Count", n}});
      print_structured(g, arr);
    } else {
      std::string text;
      for (const auto& [v, n] : counts) text += fmt::format("{:>6}  {}\n", n, v);
      SyncOut::instance().out(text);
    }
    return k_exit_ok;
  }
  if (wants_json(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& m : matches) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : m.rows) rows.push_back({{"TypeName", r->type}, {"Content", inventory::row_to_json(r->row)}});
      arr.push_back({{"Host", m.host}, {"Rows", rows}});
    }
    print_structured(g, arr);
  } else {
    std::string text;
    for (const auto& m : matches) {
      text += m.host + "\n";
      for (const auto& r : m.rows) text += fmt::format("  {}  {}\n", r->type, row_text(r->row));
    }
    SyncOut::instance().out(text);
    if (g.verbosity >= 0)
      SyncOut::instance().err(fmt::format("{} of {} hosts match\n", matches.size(), inv.hosts().size()));
  }
  return k_exit_ok;
}

int run_diff(const GlobalOptions& g, const ShowOptions& o) {
  auto db = open_state_store(g);
  InventoryStore inv(*db);
  stored_host(inv, o.host);
  auto diffs = inv.diff(o.host);
  if (wants_json(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : diffs) {
      nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array(),
                     changed = nlohmann::json::array();
      for (const Row& r : d.added) added.push_back(inventory::row_to_json(r));
      for (const Row& r : d.removed) removed.push_back(inventory::row_to_json(r));
      for (const auto& [b, a] : d.changed)
        changed.push_back({{"Before", inventory::row_to_json(b)}, {"After", inventory::row_to_json(a)}});
      arr.push_back({{"TypeName", d.type_name},
                     {"PreviousCaptureTime", d.previous_capture_time},
                     {"CaptureTime", d.capture_time},
                     {"Added", added},
                     {"Removed", removed},
                     {"Changed", changed}});
    }
    print_structured(g, arr);
    return k_exit_ok;
  }
  std::string text;
  for (const auto& d : diffs) {
    if (d.previous_capture_time.empty()) {
      text += fmt::format("{}: first collection ({})\n", d.type_name, d.capture_time);
      continue;
    }
    if (d.added.empty() && d.removed.empty() && d.changed.empty()) continue;
    text += fmt::format("{} ({} -> {})\n", d.type_name, d.previous_capture_time, d.capture_time);
    for (const Row& r : d.added) text += "  + " + row_label(r) + "\n";
    for (const Row& r : d.removed) text += "  - " + row_label(r) + "\n";
    for (const auto& [before, after] : d.changed) {
      std::vector<std::string> changes;
      std::set<std::string> keys;
      for (const auto& [k, v] : before) keys.insert(k);
      for (const auto& [k, v] : after) keys.insert(k);
      for (const std::string& k : keys) {
        auto b = before.find(k);
        auto a = after.find(k);
        std::string bv = b == before.end() ? "" : b->second;
        std::string av = a == after.end() ? "" : a->second;
        if (bv != av) changes.push_back(fmt::format("{}: {} -> {}", k, bv, av));
      }
      auto name = after.find("Name");
      text += fmt::format("  ~ {}{}\n", name == after.end() ? "" : name->second + " ", join(changes, ", "));
    }
  }
  if (text.empty()) text = "no changes since the previous collection\n";
  SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_export(const GlobalOptions& g, const ExportCliOptions& o) {
  inventory::ExportOptions eo;
  if (!o.account_id.empty()) eo.account_id = o.account_id;
  // The region= partition is the AWS region: --region, AWS_REGION, the profile's, us-east-1.
  eo.region = aws::resolve_region(o.aws, aws::process_env());
  auto db = open_state_store(g);
  InventoryStore inv(*db);
  inventory::ExportSummary summary;
  if (starts_with(o.dest, "s3://")) {
    std::string rest = o.dest.substr(5);
    std::string bucket = rest.substr(0, rest.find('/'));
    std::string prefix = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    if (bucket.empty()) throw InputError(fmt::format("'{}' names no bucket (use s3://bucket/prefix)", o.dest));
    aws::AwsContext context(o.aws);
    summary = inventory::export_to_s3(inv, context, bucket, prefix, eo);
  } else {
    summary = inventory::export_to_dir(inv, o.dest, eo);
  }
  if (wants_json(g)) {
    print_structured(g, nlohmann::json{{"Hosts", summary.hosts}, {"Files", summary.files}, {"Lines", summary.lines}});
  } else {
    SyncOut::instance().out(fmt::format("exported {} hosts: {} files, {} entries to {}\n", summary.hosts,
                                        summary.files, summary.lines, o.dest));
  }
  return k_exit_ok;
}

} // namespace

void setup_inventory(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* inv = app.add_subcommand("inventory", "SSM Inventory: collect, show, query, diff and export");
  inv->require_subcommand(1);

  auto collect = std::make_shared<CollectOptions>();
  auto* c = inv->add_subcommand("collect", "Gather inventory from hosts (one sh -s per host) and store snapshots");
  add_target_options(c, collect->targets);
  c->add_option("--types", collect->types,
                "Types to gather (default all): AWS:Application, AWS:AWSComponent, AWS:Network, "
                "AWS:InstanceDetailedInformation, AWS:Service, sshm:Process, Custom")
      ->delimiter(',');
  c->add_option("--files", collect->files,
                "AWS:File filter as SSM: [{\"Path\":\"/etc\",\"Pattern\":[\"*.conf\"],\"Recursive\":false}]");
  c->add_option("--custom-dir", collect->custom_dirs,
                "Also read custom inventory JSON files from this directory on each host (repeatable)");
  c->add_flag("--file-hash", collect->file_hash, "Add a sha256 Hash to AWS:File entries");
  c->add_option("--max-concurrency", collect->concurrency, "Hosts gathered at once (default 50)")
      ->check(CLI::Range(1, 10000));
  c->add_option("--timeout", collect->timeout, "Seconds the gatherer may run on a host (default 300)")
      ->check(CLI::Range(1, 86400));
  c->callback([&global, &action, collect] { action = [&global, collect] { return run_collect(global, *collect); }; });

  auto show = std::make_shared<ShowOptions>();
  auto* s = inv->add_subcommand("show", "A host's current inventory (-o json: SSM's TypeName + Content)");
  s->add_option("host", show->host, "Host name")->required();
  s->add_option("--type", show->type, "Only this type, e.g. AWS:Application");
  s->callback([&global, &action, show] { action = [&global, show] { return run_show(global, *show); }; });

  auto query = std::make_shared<QueryOptions>();
  auto* q = inv->add_subcommand("query", "Hosts whose inventory matches an expression, with the matching rows");
  q->add_option("expr", query->expr,
                "e.g. 'AWS:Application.Name = openssl AND AWS:Application.Version < 3.0.13'; "
                "= != < <= > >= ~(glob), AND OR NOT, parentheses, quoted values");
  q->add_option("--count-by", query->count_by, "Count matching hosts by Type.Attribute (fleet summary)");
  q->callback([&global, &action, query] { action = [&global, query] { return run_query(global, *query); }; });

  auto diff = std::make_shared<ShowOptions>();
  auto* d = inv->add_subcommand("diff", "What changed on a host since the previous collection");
  d->add_option("host", diff->host, "Host name")->required();
  d->callback([&global, &action, diff] { action = [&global, diff] { return run_diff(global, *diff); }; });

  auto exp = std::make_shared<ExportCliOptions>();
  auto* e = inv->add_subcommand("export", "Write current inventory in Resource Data Sync's layout (JSON Lines)");
  e->add_option("dest", exp->dest, "Directory (or s3://bucket/prefix)")->required();
  e->add_option("--account-id", exp->account_id, "accountid= partition (default 000000000000)");
  add_aws_options(e, exp->aws);  // --region also names the region= partition
  e->callback([&global, &action, exp] { action = [&global, exp] { return run_export(global, *exp); }; });
}

} // namespace sshm::cli
