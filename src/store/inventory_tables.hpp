#pragma once
// SSM Inventory snapshots in the state store (tables inventory_*): per host and type, with
// history, deduplicated entries (a package version seen on 5,000 hosts is stored once), each
// snapshot's entries as one list, and an index from entry to snapshots (through shared
// chunks of those lists) for queries. src/inventory turns these rows into SSM's shapes.
#include "store/store.hpp"
#include "store/key_ids.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::store {

class Transaction;

// One entry of an item's Content: attribute name to value (SSM stores strings).
using InventoryRow = std::map<std::string, std::string>;

// One item of a collection to store; it refers to the caller's data, nothing is copied.
struct InventoryItemRef {
  std::string_view type_name;
  std::string_view schema_version;
  std::string_view capture_time;
  const std::vector<InventoryRow>* content = nullptr;
};

// One host's collection: each item becomes the host's current snapshot of its type.
struct InventoryCollection {
  std::string_view host;
  std::string_view package_manager;  // dpkg, rpm, apk or "" (keeps the known one)
  std::vector<InventoryItemRef> items;
  // Custom:* types the host no longer reports stop being current.
  bool replace_custom = false;
};

// A snapshot as read back.
struct InventorySnapshot {
  std::string type_name;
  std::string schema_version;
  std::string capture_time;
  std::vector<InventoryRow> content;
};

// A type's current snapshot of a host and the one before it (for diffs).
struct InventoryTypeHistory {
  InventorySnapshot current;
  std::optional<InventorySnapshot> previous;
};

struct InventoryHostRow {
  std::int64_t id = 0;
  std::string name;
  std::string package_manager;
};

struct InventoryEntryRow {
  std::int64_t id = 0;
  InventoryRow row;
};

// Reads and writes the inventory tables of one Store. Every call is one transaction under
// the Store's lock; the ID caches are only touched inside those transactions.
class InventoryTables {
public:
  explicit InventoryTables(Store& store) : m_store(store) {}
  InventoryTables(const InventoryTables&) = delete;
  InventoryTables& operator=(const InventoryTables&) = delete;

  // How many snapshots of one host and type are kept.
  static constexpr int k_history = 10;

  // Stores one collection in one transaction; throws StoreError when it cannot.
  void write(const InventoryCollection& collection);
  // Stores many collections in one transaction (one fsync for all), each in a savepoint of
  // its own: a collection SQLite refuses costs only itself. Returns, per collection, ""
  // or why it was refused; throws StoreError when the transaction itself fails.
  std::vector<std::string> write_batch(const std::vector<InventoryCollection>& batch);

  // The host's current snapshots, all types or one, by type name.
  std::vector<InventorySnapshot> current(const std::string& host, const std::string& type_name = "") const;
  // Each current type of the host with its previous snapshot, by type name.
  std::vector<InventoryTypeHistory> latest_two(const std::string& host) const;

  // Hosts with a current snapshot, by name.
  std::vector<InventoryHostRow> hosts() const;
  std::optional<InventoryHostRow> find_host(const std::string& name) const;
  // Type names with a current snapshot on any host.
  std::vector<std::string> type_names() const;
  // Entries of a type (only those whose Name equals `name`, or starts with `name_prefix`, when given).
  std::vector<InventoryEntryRow> entries(const std::string& type_name, const std::optional<std::string>& name,
                                         const std::optional<std::string>& name_prefix) const;
  // (host ID, entry ID) pairs for the given entries in current snapshots.
  std::vector<std::pair<std::int64_t, std::int64_t>> hosts_with_entries(const std::vector<std::int64_t>& entry_ids) const;
  // Values of Type.Attr in each host's current snapshot, by host ID.
  std::map<std::int64_t, std::set<std::string>> values_by_host(const std::string& type_name,
                                                              const std::string& attribute) const;

private:
  struct Writer;
  void write_one(Writer& w, const InventoryCollection& collection);
  std::int64_t write_item(Writer& w, std::int64_t host, const InventoryItemRef& item);  // its type ID
  void link_chunks(Writer& w, std::int64_t snapshot, std::vector<std::int64_t> entry_ids);
  std::int64_t host_id(Writer& w, std::string_view name, std::string_view package_manager);
  std::int64_t type_id(Transaction& tx, std::string_view name);
  std::optional<std::int64_t> find_type_id(Transaction& tx, const std::string& name) const;
  std::int64_t entry_id(Writer& w, std::int64_t type, const InventoryRow& row);
  std::int64_t chunk_id(Writer& w, const std::string& list, const std::int64_t* first, const std::int64_t* last);
  void forget_ids() const;

  Store& m_store;
  // IDs of types, of entries by type and attributes, and of chunks by their entry list, so
  // that a fleet's shared package rows and chunks are looked up once. Rows of these tables
  // are never deleted, so an ID stays valid unless the transaction that made it rolls back
  // (then the caches are cleared).
  mutable std::map<std::string, std::int64_t, std::less<>> m_type_ids;
  mutable KeyIds m_entry_ids;
  mutable KeyIds m_chunk_ids;
  // The entry cache's key being built, kept to reuse its buffer.
  std::string m_key;
};

} // namespace sshm::store
