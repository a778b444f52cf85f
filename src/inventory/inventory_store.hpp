#pragma once
// Inventory snapshots in the state store: per host and type, with history, deduplicated
// entries (a package version seen on 5,000 hosts is stored once) and an index for queries.
// The tables and their SQL are store/inventory_tables.hpp; this is SSM's view of them.
#include "inventory/item.hpp"
#include "util/version.hpp"
#include "store/inventory_tables.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace sshm::inventory {

// A host known to the inventory store.
struct StoredHost {
  std::int64_t id = 0;
  std::string name;
  std::string package_manager;  // dpkg, rpm, apk or ""
  // The host's version ordering; dpkg's when no package manager was found.
  version::Scheme scheme() const { return version::scheme_for(package_manager).value_or(version::Scheme::dpkg); }
};

// One entry as stored: its ID and its attributes.
struct StoredEntry {
  std::int64_t id = 0;
  Row row;
};

// What changed in one type between the previous and the latest collection.
struct TypeDiff {
  std::string type_name;
  std::string previous_capture_time;  // "" when there was no previous snapshot
  std::string capture_time;
  std::vector<Row> added;
  std::vector<Row> removed;
  std::vector<std::pair<Row, Row>> changed;  // before, after
};

class InventoryStore {
public:
  // Reads and writes the inventory of an open store.
  explicit InventoryStore(store::Store& store) : m_tables(store) {}
  InventoryStore(const InventoryStore&) = delete;
  InventoryStore& operator=(const InventoryStore&) = delete;

  // Records one collection of a host in one transaction. Each item becomes the host's
  // current snapshot of its type; earlier ones stay as history (the last k_history kept).
  // When `replace_custom` is set, Custom:* types the host no longer reports stop being current.
  // Throws store::StoreError when the store cannot be written.
  void store_snapshot(const std::string& host, const std::string& package_manager,
                      const std::vector<InventoryItem>& items, bool replace_custom = false);

  // The host's current items, all types or one.
  std::vector<InventoryItem> current(const std::string& host, const std::string& type_name = "") const;
  // Changes between each type's previous and current snapshot.
  std::vector<TypeDiff> diff(const std::string& host) const;

  std::vector<StoredHost> hosts() const;
  std::optional<StoredHost> find_host(const std::string& name) const;
  // Type names with a current snapshot on any host.
  std::vector<std::string> type_names() const;
  // Attribute names seen in current entries of a type (for did-you-mean on custom types).
  std::vector<std::string> attribute_names(const std::string& type_name) const;

  // Entries of a type (optionally only those whose Name equals `name`, or starts with `name_prefix`).
  std::vector<StoredEntry> entries(const std::string& type_name, const std::optional<std::string>& name,
                                   const std::optional<std::string>& name_prefix) const;
  // (host ID, entry ID) pairs for the given entries in current snapshots.
  std::vector<std::pair<std::int64_t, std::int64_t>> hosts_with_entries(const std::vector<std::int64_t>& entry_ids) const;
  // Values of Type.Attr in each host's current snapshot.
  std::map<std::int64_t, std::set<std::string>> values_by_host(const std::string& type_name,
                                                              const std::string& attribute) const;

  // How many snapshots of one host and type are kept.
  static constexpr int k_history = store::InventoryTables::k_history;

  // Many hosts' collections in one transaction, each on its own: per host, "" or why it
  // was not stored. Throws store::StoreError when the transaction itself fails.
  struct Collection {
    const std::string* host;
    const std::string* package_manager;
    const std::vector<InventoryItem>* items;
    bool replace_custom;
  };
  std::vector<std::string> store_batch(const std::vector<Collection>& batch);

private:
  store::InventoryTables m_tables;
};

// Stores one host's collection (for the aws:softwareInventory plugin). Throws
// store::StoreError when the store cannot be written.
void store_snapshot(store::Store& store, const std::string& host, const std::string& package_manager,
                    const std::vector<InventoryItem>& items, bool replace_custom = true);

} // namespace sshm::inventory
