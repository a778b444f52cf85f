// A fixture for bench/report.sh, skipped in normal runs: fills SSHM_BENCH_STATE_DIR with a
// synthetic fleet of SSHM_BENCH_HOSTS hosts (default 5,000): inventory (instance information
// and 300 packages each, openssl in three versions), a patch scan per host (a third
// non-compliant), 20 commands over the whole fleet (2% failed with stderr) in the last days,
// and Association compliance items. bench/report.sh then times `sshm report` on it.
#include "inventory/inventory_store.hpp"
#include "store/compliance_tables.hpp"
#include "store/patch_tables.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace sshm;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

std::string host_name(int h) { return fmt::format("host-{:05d}", h); }

void fill_inventory(store::Store& state, int hosts) {
  inventory::InventoryStore inv(state);
  const char* openssl[] = {"3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "3.0.15-1~deb12u1"};
  const std::string dpkg = "dpkg";
  std::vector<std::string> names;
  std::vector<std::vector<inventory::InventoryItem>> items;
  for (int h = 0; h < hosts; ++h) {
    std::vector<inventory::InventoryItem> host_items;
    host_items.push_back({"AWS:InstanceInformation", "1.0", "2026-01-01T00:00:00Z",
                          {{{"PlatformName", "Debian GNU/Linux"}, {"PlatformVersion", h % 4 ? "12" : "11"},
                            {"KernelVersion", h % 5 ? "6.1.0-28-amd64" : "6.1.0-18-amd64"}}}});
    inventory::InventoryItem apps{"AWS:Application", "1.1", "2026-01-01T00:00:00Z", {}};
    for (int p = 0; p < 300; ++p) {
      std::string name = p == 0 ? "openssl" : fmt::format("pkg-{:04d}", p);
      apps.content.push_back({{"Name", name}, {"Version", p == 0 ? openssl[h % 3] : fmt::format("{}.{}-1", p % 7, h % 2)}});
    }
    host_items.push_back(std::move(apps));
    names.push_back(host_name(h));
    items.push_back(std::move(host_items));
    if (names.size() == 100 || h == hosts - 1) {
      std::vector<inventory::InventoryStore::Collection> batch;
      for (size_t i = 0; i < names.size(); ++i) batch.push_back({&names[i], &dpkg, &items[i], false});
      for (const std::string& error : inv.store_batch(batch)) REQUIRE(error.empty());
      names.clear();
      items.clear();
    }
  }
}

void fill_patch(store::Store& state, int hosts, const std::string& day) {
  for (int h = 0; h < hosts; ++h) {
    bool bad = h % 3 == 0;
    std::string status = bad ? "NON_COMPLIANT" : "COMPLIANT";
    nlohmann::json summary = {{"Operation", "Scan"}, {"ComplianceStatus", status}, {"ComplianceSeverity", bad ? "CRITICAL" : ""},
                              {"MissingCount", bad ? 3 : 0}, {"CriticalNonCompliantCount", bad ? 1 : 0},
                              {"SecurityNonCompliantCount", bad ? 2 : 0}, {"PatchGroup", h % 2 ? "web" : "db"}};
    store::PatchOperationRow op{host_name(h), "Scan", "Success", "", day + "T02:00:00Z", day + "T02:01:00Z", summary};
    std::vector<store::PatchItemRow> items;
    if (bad)
      for (const char* p : {"openssl", "libssl3", "curl"})
        items.push_back({p, "amd64", "Missing", "1", "2", "CRITICAL",
                         {{"Name", p}, {"State", "Missing"}, {"Classification", "Security"}, {"ComplianceLevel", "CRITICAL"}}});
    store::save_patch_operation(state, op, store::PatchStateRow{"Debian", "b", status, bad ? "CRITICAL" : "", op.end_time},
                                items);
  }
}

void fill_commands(store::Store& state, int hosts, SystemTime now) {
  for (int c = 0; c < 20; ++c) {
    store::CommandRecord cmd;
    cmd.command_id = fmt::format("{:08x}-0000-4000-8000-{:012x}", c, c);
    cmd.document_name = c % 4 ? "AWS-RunShellScript" : "AWS-RunPatchBaseline";
    cmd.requested_date_time = iso8601_ms(now - std::chrono::hours(6 * (20 - c)));
    cmd.status = "Failed";
    std::vector<store::InvocationRecord> invocations;
    for (int h = 0; h < hosts; ++h) {
      store::InvocationRecord i;
      i.command_id = cmd.command_id;
      i.instance_id = host_name(h);
      i.requested_date_time = cmd.requested_date_time;
      bool failed = (h + c) % 50 == 0;
      i.status = i.status_details = failed ? "Failed" : "Success";
      i.response_code = failed ? 1 : 0;
      i.standard_output_content = "ok\n";
      if (failed) i.standard_error_content = "E: Could not get lock /var/lib/dpkg/lock-frontend\nline 2\nline 3\n";
      invocations.push_back(std::move(i));
    }
    state.begin_command(cmd, invocations);
  }
}

} // namespace

TEST_CASE("bench: report store fixture" * doctest::skip()) {
  const char* dir = std::getenv("SSHM_BENCH_STATE_DIR");
  REQUIRE(dir != nullptr);
  const int hosts = env_int("SSHM_BENCH_HOSTS", 5000);
  auto state = store::Store::open(dir);
  SystemTime now = SystemClock::instance().now();
  fill_inventory(*state, hosts);
  fill_patch(*state, hosts, iso8601_s(now - std::chrono::hours(30)).substr(0, 10));
  fill_commands(*state, hosts, now);
  for (int h = 0; h < hosts; ++h)
    store::put_compliance_items(*state, host_name(h), "Association", "exec-1", iso8601_s(now),
                                {{"assoc-1", "daily check", h % 7 ? "COMPLIANT" : "NON_COMPLIANT", "HIGH", {}}}, true);
}
