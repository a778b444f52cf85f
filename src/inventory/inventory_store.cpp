// SSM's view of the inventory tables: items in and out, diffs by each type's identity, and
// group commit for many collecting threads.
#include "inventory/inventory_store.hpp"

#include <exception>

namespace sshm::inventory {

namespace {

// The identity of a row for diffs: the attributes that name it, per type.
std::string row_key(const std::string& type, const Row& row) {
  auto get = [&](const char* k) {
    auto it = row.find(k);
    return it == row.end() ? std::string() : it->second;
  };
  if (type == "AWS:Application" || type == "AWS:AWSComponent") return get("Name") + "\x1f" + get("Architecture");
  if (type == "AWS:File") return get("InstalledDir") + "/" + get("Name");
  if (type == "sshm:Process") return get("Pid");
  if (type == "AWS:InstanceInformation" || type == "AWS:InstanceDetailedInformation") return "";
  if (row.count("Name")) return get("Name");
  return row_to_json(row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

store::InventoryCollection collection_of(const InventoryStore::Collection& c) {
  store::InventoryCollection out{*c.host, *c.package_manager, {}, c.replace_custom};
  out.items.reserve(c.items->size());
  for (const InventoryItem& item : *c.items)
    out.items.push_back({item.type_name, item.schema_version, item.capture_time, &item.content});
  return out;
}

InventoryItem item_of(store::InventorySnapshot&& s) {
  return {std::move(s.type_name), std::move(s.schema_version), std::move(s.capture_time), std::move(s.content)};
}

// Rows added, removed and changed from `before` to `now`, matched by row_key.
void compare(TypeDiff& d, std::vector<Row> before, std::vector<Row> now) {
  // A single row without a name on both sides (a custom type's one object) is one thing that changed.
  bool single = before.size() == 1 && now.size() == 1 && !before[0].count("Name") && !now[0].count("Name");
  auto key_of = [&](const Row& r) { return single ? std::string() : row_key(d.type_name, r); };
  std::multimap<std::string, Row> old_rows, new_rows;
  for (Row& r : before) old_rows.emplace(key_of(r), std::move(r));
  for (Row& r : now) new_rows.emplace(key_of(r), std::move(r));
  for (auto& [key, row] : new_rows) {
    auto it = old_rows.find(key);
    if (it == old_rows.end()) {
      d.added.push_back(row);
    } else {
      if (it->second != row) d.changed.emplace_back(it->second, row);
      old_rows.erase(it);
    }
  }
  for (auto& [key, row] : old_rows) d.removed.push_back(row);
}

} // namespace

void InventoryStore::store_snapshot(const std::string& host, const std::string& package_manager,
                                    const std::vector<InventoryItem>& items, bool replace_custom) {
  m_tables.write(collection_of({&host, &package_manager, &items, replace_custom}));
}

std::vector<std::string> InventoryStore::store_batch(const std::vector<Collection>& batch) {
  std::vector<store::InventoryCollection> rows;
  rows.reserve(batch.size());
  for (const Collection& c : batch) rows.push_back(collection_of(c));
  return m_tables.write_batch(rows);
}

std::vector<InventoryItem> InventoryStore::current(const std::string& host, const std::string& type_name) const {
  std::vector<InventoryItem> out;
  for (store::InventorySnapshot& s : m_tables.current(host, type_name)) out.push_back(item_of(std::move(s)));
  return out;
}

std::vector<TypeDiff> InventoryStore::diff(const std::string& host) const {
  std::vector<TypeDiff> out;
  for (store::InventoryTypeHistory& h : m_tables.latest_two(host)) {
    TypeDiff d;
    d.type_name = h.current.type_name;
    d.capture_time = h.current.capture_time;
    std::vector<Row> before;
    if (h.previous) {
      d.previous_capture_time = h.previous->capture_time;
      before = std::move(h.previous->content);
    }
    compare(d, std::move(before), std::move(h.current.content));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<StoredHost> InventoryStore::hosts() const {
  std::vector<StoredHost> out;
  for (store::InventoryHostRow& h : m_tables.hosts()) out.push_back({h.id, std::move(h.name), std::move(h.package_manager)});
  return out;
}

std::optional<StoredHost> InventoryStore::find_host(const std::string& name) const {
  auto h = m_tables.find_host(name);
  if (!h) return std::nullopt;
  return StoredHost{h->id, std::move(h->name), std::move(h->package_manager)};
}

std::vector<std::string> InventoryStore::type_names() const { return m_tables.type_names(); }

std::vector<std::string> InventoryStore::attribute_names(const std::string& type_name) const {
  std::set<std::string> names;
  for (const StoredEntry& e : entries(type_name, std::nullopt, std::nullopt))
    for (const auto& [k, v] : e.row) names.insert(k);
  return {names.begin(), names.end()};
}

std::vector<StoredEntry> InventoryStore::entries(const std::string& type_name, const std::optional<std::string>& name,
                                                 const std::optional<std::string>& name_prefix) const {
  std::vector<StoredEntry> out;
  for (store::InventoryEntryRow& e : m_tables.entries(type_name, name, name_prefix))
    out.push_back({e.id, std::move(e.row)});
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>>
InventoryStore::hosts_with_entries(const std::vector<std::int64_t>& entry_ids) const {
  return m_tables.hosts_with_entries(entry_ids);
}

std::map<std::int64_t, std::set<std::string>> InventoryStore::values_by_host(const std::string& type_name,
                                                                            const std::string& attribute) const {
  return m_tables.values_by_host(type_name, attribute);
}

void store_snapshot(store::Store& store, const std::string& host, const std::string& package_manager,
                    const std::vector<InventoryItem>& items, bool replace_custom) {
  InventoryStore(store).store_snapshot(host, package_manager, items, replace_custom);
}

} // namespace sshm::inventory
