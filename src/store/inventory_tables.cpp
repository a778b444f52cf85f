// The SQL of SSM Inventory snapshots: writing collections (deduplicated entries, history
// trimmed to k_history) and the reads behind show, query, diff and export.
#include "store/inventory_tables.hpp"

#include "store/sql.hpp"

#include <nlohmann/json.hpp>

namespace sshm::store {

namespace {

// An entry's stored form: its attributes as a JSON object (keys sorted), which is also what
// makes two hosts' identical entries one row. Invalid UTF-8 becomes U+FFFD.
std::string row_text(const InventoryRow& row) {
  return nlohmann::json(row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

InventoryRow row_from_text(const std::string& text) {
  InventoryRow r;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return r;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) r[k] = v.get<std::string>();
  return r;
}

std::vector<InventoryRow> snapshot_rows(Transaction& tx, std::int64_t snapshot_id) {
  Statement q(tx,
              "SELECT e.content FROM inventory_snapshot_entries s JOIN inventory_entries e ON e.entry_id = s.entry_id "
              "WHERE s.snapshot_id = ?1 ORDER BY s.idx");
  q.bind(1, snapshot_id);
  std::vector<InventoryRow> rows;
  while (q.step()) rows.push_back(row_from_text(q.text(0)));
  return rows;
}

// Drops the host's snapshots of a type beyond the newest `keep`.
void trim_history(Transaction& tx, std::int64_t host, std::int64_t type, int keep) {
  Statement old(tx,
                "SELECT snapshot_id FROM inventory_snapshots WHERE host_id = ?1 AND type_id = ?2 "
                "ORDER BY snapshot_id DESC LIMIT -1 OFFSET ?3");
  old.bind(1, host).bind(2, type).bind(3, keep);
  std::vector<std::int64_t> expired;
  while (old.step()) expired.push_back(old.integer(0));
  Statement drop_links(tx, "DELETE FROM inventory_snapshot_entries WHERE snapshot_id = ?1");
  Statement drop_snap(tx, "DELETE FROM inventory_snapshots WHERE snapshot_id = ?1");
  for (std::int64_t e : expired) {
    drop_links.bind(1, e).run();
    drop_snap.bind(1, e).run();
  }
}

// Custom:* types of the host not in `reported` stop being current.
void drop_unreported_custom(Transaction& tx, std::int64_t host, const std::set<std::int64_t>& reported) {
  Statement customs(tx,
                    "SELECT c.type_id FROM inventory_current c JOIN inventory_types t ON t.type_id = c.type_id "
                    "WHERE c.host_id = ?1 AND t.name LIKE 'Custom:%'");
  customs.bind(1, host);
  std::vector<std::int64_t> gone;
  while (customs.step())
    if (!reported.count(customs.integer(0))) gone.push_back(customs.integer(0));
  Statement del(tx, "DELETE FROM inventory_current WHERE host_id = ?1 AND type_id = ?2");
  for (std::int64_t t : gone) del.bind(1, host).bind(2, t).run();
}

} // namespace

void InventoryTables::forget_ids() const {
  m_type_ids.clear();
  m_entry_ids.clear();
}

std::int64_t InventoryTables::host_id(Transaction& tx, std::string_view name, std::string_view package_manager) {
  Statement up(tx,
               "INSERT INTO inventory_hosts(name, package_manager) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE "
               "SET package_manager = CASE WHEN ?2 = '' THEN package_manager ELSE ?2 END");
  up.bind(1, name).bind(2, package_manager).run();
  Statement q(tx, "SELECT host_id FROM inventory_hosts WHERE name = ?1");
  q.bind(1, name);
  q.step();
  return q.integer(0);
}

std::optional<std::int64_t> InventoryTables::find_type_id(Transaction& tx, const std::string& name) const {
  if (auto it = m_type_ids.find(name); it != m_type_ids.end()) return it->second;
  Statement q(tx, "SELECT type_id FROM inventory_types WHERE name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return m_type_ids[name] = q.integer(0);
}

std::int64_t InventoryTables::type_id(Transaction& tx, std::string_view name) {
  std::string key(name);
  if (auto id = find_type_id(tx, key)) return *id;
  Statement ins(tx, "INSERT INTO inventory_types(name) VALUES(?1)");
  ins.bind(1, name).run();
  return m_type_ids[key] = tx.last_insert_rowid();
}

std::int64_t InventoryTables::entry_id(Transaction& tx, std::int64_t type, const InventoryRow& row) {
  std::string content = row_text(row);
  std::string key = std::to_string(type) + ":" + content;
  if (auto it = m_entry_ids.find(key); it != m_entry_ids.end()) return it->second;
  Statement q(tx, "SELECT entry_id FROM inventory_entries WHERE type_id = ?1 AND content = ?2");
  q.bind(1, type).bind(2, content);
  std::int64_t id;
  if (q.step()) {
    id = q.integer(0);
  } else {
    auto name = row.find("Name");
    Statement ins(tx, "INSERT INTO inventory_entries(type_id, name, content) VALUES(?1, ?2, ?3)");
    ins.bind(1, type).bind(2, name == row.end() ? std::string() : name->second).bind(3, content).run();
    id = tx.last_insert_rowid();
  }
  m_entry_ids.emplace(std::move(key), id);
  return id;
}

void InventoryTables::write_one(Transaction& tx, const InventoryCollection& c) {
  std::int64_t hid = host_id(tx, c.host, c.package_manager);
  Statement snap(tx,
                 "INSERT INTO inventory_snapshots(host_id, type_id, schema_version, capture_time, entry_count) "
                 "VALUES(?1, ?2, ?3, ?4, ?5)");
  Statement link(tx, "INSERT INTO inventory_snapshot_entries(snapshot_id, idx, entry_id) VALUES(?1, ?2, ?3)");
  Statement cur(tx, "INSERT OR REPLACE INTO inventory_current(host_id, type_id, snapshot_id) VALUES(?1, ?2, ?3)");
  std::set<std::int64_t> stored_types;
  for (const InventoryItemRef& item : c.items) {
    static const std::vector<InventoryRow> k_none;
    const std::vector<InventoryRow>& content = item.content ? *item.content : k_none;
    std::int64_t tid = type_id(tx, item.type_name);
    stored_types.insert(tid);
    snap.bind(1, hid).bind(2, tid).bind(3, item.schema_version).bind(4, item.capture_time);
    snap.bind(5, content.size()).run();
    std::int64_t sid = tx.last_insert_rowid();
    std::int64_t idx = 0;
    for (const InventoryRow& row : content) link.bind(1, sid).bind(2, idx++).bind(3, entry_id(tx, tid, row)).run();
    cur.bind(1, hid).bind(2, tid).bind(3, sid).run();
    trim_history(tx, hid, tid, k_history);
  }
  if (c.replace_custom) drop_unreported_custom(tx, hid, stored_types);
}

void InventoryTables::write(const InventoryCollection& collection) {
  bool retried = false;
  try {
    with_transaction(m_store, Access::write, [&](Transaction& tx) {
      if (retried) forget_ids();  // IDs made by a rolled-back attempt
      retried = true;
      write_one(tx, collection);
    });
  } catch (...) {
    forget_ids();
    throw;
  }
}

std::vector<std::string> InventoryTables::write_batch(const std::vector<InventoryCollection>& batch) {
  std::vector<std::string> errors;
  bool retried = false;
  try {
    with_transaction(m_store, Access::write, [&](Transaction& tx) {
      if (retried) forget_ids();
      retried = true;
      errors.assign(batch.size(), std::string());
      for (size_t i = 0; i < batch.size(); ++i) {
        try {
          Savepoint part(tx);
          write_one(tx, batch[i]);
          part.release();
        } catch (const BusyError&) {
          throw;  // the whole transaction is retried
        } catch (const std::exception& e) {
          errors[i] = e.what();
          forget_ids();
        }
      }
    });
  } catch (...) {
    forget_ids();
    throw;
  }
  return errors;
}

std::vector<InventorySnapshot> InventoryTables::current(const std::string& host, const std::string& type_name) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    Statement q(tx,
                "SELECT t.name, s.schema_version, s.capture_time, s.snapshot_id FROM inventory_current c "
                "JOIN inventory_hosts h ON h.host_id = c.host_id JOIN inventory_types t ON t.type_id = c.type_id "
                "JOIN inventory_snapshots s ON s.snapshot_id = c.snapshot_id "
                "WHERE h.name = ?1 AND (?2 = '' OR t.name = ?2) ORDER BY t.name");
    q.bind(1, host).bind(2, type_name);
    std::vector<InventorySnapshot> out;
    while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), snapshot_rows(tx, q.integer(3))});
    return out;
  });
}

std::vector<InventoryTypeHistory> InventoryTables::latest_two(const std::string& host) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    Statement q(tx,
                "SELECT t.name, s.schema_version, s.capture_time, s.snapshot_id, p.schema_version, p.capture_time, "
                "  p.snapshot_id "
                "FROM inventory_current c JOIN inventory_hosts h ON h.host_id = c.host_id "
                "JOIN inventory_types t ON t.type_id = c.type_id "
                "JOIN inventory_snapshots s ON s.snapshot_id = c.snapshot_id "
                "LEFT JOIN inventory_snapshots p ON p.snapshot_id = "
                "  (SELECT max(x.snapshot_id) FROM inventory_snapshots x WHERE x.host_id = c.host_id "
                "     AND x.type_id = c.type_id AND x.snapshot_id < c.snapshot_id) "
                "WHERE h.name = ?1 ORDER BY t.name");
    q.bind(1, host);
    std::vector<InventoryTypeHistory> out;
    while (q.step()) {
      InventoryTypeHistory h;
      h.current = {q.text(0), q.text(1), q.text(2), snapshot_rows(tx, q.integer(3))};
      if (!q.is_null(6)) h.previous = InventorySnapshot{q.text(0), q.text(4), q.text(5), snapshot_rows(tx, q.integer(6))};
      out.push_back(std::move(h));
    }
    return out;
  });
}

std::vector<InventoryHostRow> InventoryTables::hosts() const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    Statement q(tx,
                "SELECT host_id, name, package_manager FROM inventory_hosts h "
                "WHERE EXISTS (SELECT 1 FROM inventory_current c WHERE c.host_id = h.host_id) ORDER BY name");
    std::vector<InventoryHostRow> out;
    while (q.step()) out.push_back({q.integer(0), q.text(1), q.text(2)});
    return out;
  });
}

std::optional<InventoryHostRow> InventoryTables::find_host(const std::string& name) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) -> std::optional<InventoryHostRow> {
    Statement q(tx, "SELECT host_id, name, package_manager FROM inventory_hosts WHERE name = ?1");
    q.bind(1, name);
    if (!q.step()) return std::nullopt;
    return InventoryHostRow{q.integer(0), q.text(1), q.text(2)};
  });
}

std::vector<std::string> InventoryTables::type_names() const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    Statement q(tx,
                "SELECT name FROM inventory_types t WHERE EXISTS "
                "(SELECT 1 FROM inventory_current c WHERE c.type_id = t.type_id) ORDER BY name");
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.text(0));
    return out;
  });
}

std::vector<InventoryEntryRow> InventoryTables::entries(const std::string& type_name,
                                                        const std::optional<std::string>& name,
                                                        const std::optional<std::string>& name_prefix) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    std::vector<InventoryEntryRow> out;
    auto tid = find_type_id(tx, type_name);
    if (!tid) return out;
    std::string sql = "SELECT entry_id, content FROM inventory_entries WHERE type_id = ?1";
    bool by_prefix = !name && name_prefix && !name_prefix->empty();
    if (name) sql += " AND name = ?2";
    else if (by_prefix) sql += " AND name >= ?2 AND name < ?3";
    Statement q(tx, sql);
    q.bind(1, *tid);
    if (name) {
      q.bind(2, *name);
    } else if (by_prefix) {
      // Names starting with the prefix sort from the prefix up to (not including) the prefix
      // with its last byte incremented.
      std::string upper = *name_prefix;
      upper.back() = static_cast<char>(upper.back() + 1);
      q.bind(2, *name_prefix).bind(3, upper);
    }
    while (q.step()) out.push_back({q.integer(0), row_from_text(q.text(1))});
    return out;
  });
}

std::vector<std::pair<std::int64_t, std::int64_t>>
InventoryTables::hosts_with_entries(const std::vector<std::int64_t>& entry_ids) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    Statement q(tx,
                "SELECT c.host_id FROM inventory_snapshot_entries s "
                "JOIN inventory_current c ON c.snapshot_id = s.snapshot_id WHERE s.entry_id = ?1");
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t e : entry_ids) {
      q.bind(1, e);
      while (q.step()) out.emplace_back(q.integer(0), e);
      q.reset();
    }
    return out;
  });
}

std::map<std::int64_t, std::set<std::string>> InventoryTables::values_by_host(const std::string& type_name,
                                                                             const std::string& attribute) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    std::map<std::int64_t, std::set<std::string>> out;
    auto tid = find_type_id(tx, type_name);
    if (!tid) return out;
    Statement q(tx,
                "SELECT c.host_id, json_extract(e.content, ?2) FROM inventory_current c "
                "JOIN inventory_snapshot_entries s ON s.snapshot_id = c.snapshot_id "
                "JOIN inventory_entries e ON e.entry_id = s.entry_id WHERE c.type_id = ?1");
    std::string path = "$.\"" + attribute + "\"";
    q.bind(1, *tid).bind(2, path);
    while (q.step())
      if (!q.is_null(1)) out[q.integer(0)].insert(q.text(1));
    return out;
  });
}

} // namespace sshm::store
