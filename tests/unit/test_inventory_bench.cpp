// A benchmark, skipped in normal runs: bench/inventory_query.sh runs it with --no-skip.
// Fills SSHM_BENCH_HOSTS simulated hosts x SSHM_BENCH_PACKAGES packages into an on-disk
// store and prints insert rate, size per host and query latency. It asserts nothing timed.
#include "inventory/inventory_store.hpp"
#include "inventory/query.hpp"
#include "store/store.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

using namespace sshm::inventory;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

TEST_CASE("bench: inventory store and query at fleet scale" * doctest::skip()) {
  const int hosts = env_int("SSHM_BENCH_HOSTS", 5000);
  const int packages = env_int("SSHM_BENCH_PACKAGES", 2000);
  auto dir = std::filesystem::temp_directory_path() / fmt::format("sshm-bench-{}", ::getpid());
  auto state = sshm::store::Store::open(dir);
  auto path = dir / "sshm.db";
  InventoryStore store(*state);

  const char* openssl[] = {"3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "3.0.15-1~deb12u1"};
  auto start = std::chrono::steady_clock::now();
  // Time in the store alone, without making the simulated collections (as parsing would).
  double in_store = 0;
  long long rows = 0;
  const int batch = 50;
  // Batches as `inventory collect` commits them: many hosts per transaction.
  std::vector<std::string> batch_names;
  std::vector<std::vector<InventoryItem>> pending;
  const std::string package_manager = "dpkg";
  for (int h = 0; h < hosts; ++h) {
    std::vector<InventoryItem> items;
    items.push_back({"AWS:InstanceInformation", "1.0", "2026-01-01T00:00:00Z",
                     {{{"PlatformName", "Debian GNU/Linux"}, {"PlatformVersion", h % 4 ? "12" : "11"}}}});
    InventoryItem apps{"AWS:Application", "1.1", "2026-01-01T00:00:00Z", {}};
    apps.content.reserve(static_cast<size_t>(packages));
    for (int p = 0; p < packages; ++p) {
      std::string name = p == 0 ? "openssl" : fmt::format("pkg-{:05d}", p);
      std::string version = p == 0 ? openssl[h % 3] : fmt::format("{}.{}.{}-1", p % 7, (p + h % 3) % 5, p % 11);
      apps.content.push_back({{"Name", name},
                              {"Version", version},
                              {"Architecture", "x86_64"},
                              {"Publisher", "Debian Maintainers <debian@example.org>"},
                              {"PackageId", name + "_" + version + "_amd64.deb"}});
    }
    rows += packages;
    items.push_back(std::move(apps));
    batch_names.push_back(fmt::format("host-{:05d}", h));
    pending.push_back(std::move(items));
    if (h % batch == batch - 1 || h == hosts - 1) {
      std::vector<InventoryStore::Collection> collections;
      for (size_t i = 0; i < batch_names.size(); ++i) collections.push_back({&batch_names[i], &package_manager, &pending[i], false});
      auto t = std::chrono::steady_clock::now();
      std::vector<std::string> errors = store.store_batch(collections);
      in_store += since(t);
      for (const std::string& error : errors) REQUIRE(error.empty());
      batch_names.clear();
      pending.clear();
    }
  }
  double fill = since(start);
  auto size = std::filesystem::file_size(path);
  if (std::filesystem::exists(dir / "sshm.db-wal")) size += std::filesystem::file_size(dir / "sshm.db-wal");
  std::printf("inventory bench: %d hosts x %d packages = %lld rows\n", hosts, packages, rows);
  std::printf("  store insert: %.1f s, %.0f rows/s, %.0f hosts/s\n", in_store,
              static_cast<double>(rows) / in_store, hosts / in_store);
  std::printf("  with making the collections: %.1f s, %.0f hosts/s\n", fill, hosts / fill);
  std::printf("  store size: %.1f MB, %.1f KB per host\n", static_cast<double>(size) / 1e6,
              static_cast<double>(size) / 1e3 / hosts);

  const char* queries[] = {
      "AWS:Application.Name = openssl AND AWS:Application.Version < 3.0.13",
      "AWS:Application.Name = pkg-01999 AND AWS:Application.Version >= 1",
      "NOT AWS:Application.Name = openssl",
      "AWS:InstanceInformation.PlatformVersion < 12 AND AWS:Application.Name = openssl",
      "AWS:Application.Name ~ 'pkg-0199*' AND AWS:Application.Version ~ '3.*'",
  };
  for (const char* text : queries) {
    auto q = parse_query(text);
    auto t = std::chrono::steady_clock::now();
    check_names(*q, store, text);
    auto matches = run_query(store, *q);
    std::printf("  query %.3f s, %zu hosts: %s\n", since(t), matches.size(), text);
  }
  std::vector<std::string> names;
  for (const auto& h : store.hosts()) names.push_back(h.name);
  auto t = std::chrono::steady_clock::now();
  auto counts = count_by(store, names, "AWS:InstanceInformation.PlatformVersion");
  std::printf("  count-by PlatformVersion %.3f s, %zu values\n", since(t), counts.size());
  state.reset();
  std::filesystem::remove_all(dir);
}
