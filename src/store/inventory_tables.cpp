// The SQL of SSM Inventory snapshots: writing collections (deduplicated entries, history
// trimmed to k_history) and the reads behind show, query, diff and export.
#include "store/inventory_tables.hpp"

#include "store/sql.hpp"

#include <algorithm>
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

// Lists of entry IDs (a snapshot's, a chunk's) are unsigned LEB128 numbers one after the
// other: two or three bytes an ID for a fleet's packages.
void put_number(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// The IDs of a list; a damaged list yields what it holds up to the damage.
std::vector<std::int64_t> ids_of(std::string_view list) {
  std::vector<std::int64_t> out;
  std::uint64_t v = 0;
  int shift = 0;
  for (char c : list) {
    auto byte = static_cast<unsigned char>(c);
    if (shift < 64) v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (byte & 0x80) {
      shift += 7;
      continue;
    }
    out.push_back(static_cast<std::int64_t>(v));
    v = 0;
    shift = 0;
  }
  return out;
}

// The entry cache's key of a row: its type and attributes, each length-prefixed (cheaper to
// make than the JSON that is stored, and never ambiguous).
void entry_key(std::string& key, std::int64_t type, const InventoryRow& row) {
  key.clear();
  put_number(key, static_cast<std::uint64_t>(type));
  for (const auto& [name, value] : row) {
    put_number(key, name.size());
    key += name;
    put_number(key, value.size());
    key += value;
  }
}

// Chunks hold 32 IDs on average and never more than k_chunk_max. A chunk ends after an ID whose
// hash says so; as that depends on the ID alone, two hosts whose sorted entries agree over a
// range cut it alike and share its chunks.
constexpr std::size_t k_chunk_max = 128;
bool ends_chunk(std::int64_t id) {
  // splitmix64's finaliser: IDs are consecutive, their hashes must not be.
  auto x = static_cast<std::uint64_t>(id) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return (x & 31) == 0;
}

// Rows of the given entry IDs, read once each.
std::map<std::int64_t, InventoryRow> entry_rows(Transaction& tx, const std::vector<std::int64_t>& ids) {
  Statement q(tx, "SELECT content FROM inventory_entries WHERE entry_id = ?1");
  std::map<std::int64_t, InventoryRow> rows;
  for (std::int64_t id : ids) {
    if (rows.count(id)) continue;
    q.bind(1, id);
    rows[id] = q.step() ? row_from_text(q.text(0)) : InventoryRow();
    q.reset();
  }
  return rows;
}

// A snapshot's rows in their order: from its list of entry IDs, or for a snapshot written
// before lists existed (no list), from its rows of links.
std::vector<InventoryRow> snapshot_rows(Transaction& tx, std::int64_t snapshot_id,
                                        const std::optional<std::string>& list) {
  std::vector<InventoryRow> rows;
  if (list) {
    std::vector<std::int64_t> ids = ids_of(*list);
    std::map<std::int64_t, InventoryRow> by_id = entry_rows(tx, ids);
    rows.reserve(ids.size());
    for (std::int64_t id : ids) rows.push_back(by_id[id]);
    return rows;
  }
  Statement q(tx,
              "SELECT e.content FROM inventory_snapshot_entries s JOIN inventory_entries e ON e.entry_id = s.entry_id "
              "WHERE s.snapshot_id = ?1 ORDER BY s.idx");
  q.bind(1, snapshot_id);
  while (q.step()) rows.push_back(row_from_text(q.text(0)));
  return rows;
}

std::optional<std::string> optional_blob(const Statement& q, int column) {
  if (q.is_null(column)) return std::nullopt;
  return q.text(column);
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

// The statements of one write transaction, prepared once for all its collections.
struct InventoryTables::Writer {
  explicit Writer(Transaction& t)
      : tx(t),
        upsert_host(t, "INSERT INTO inventory_hosts(name, package_manager) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE "
                       "SET package_manager = CASE WHEN ?2 = '' THEN package_manager ELSE ?2 END"),
        find_host(t, "SELECT host_id FROM inventory_hosts WHERE name = ?1"),
        find_entry(t, "SELECT entry_id FROM inventory_entries WHERE type_id = ?1 AND content = ?2"),
        insert_entry(t, "INSERT INTO inventory_entries(type_id, name, content) VALUES(?1, ?2, ?3)"),
        find_chunk(t, "SELECT chunk_id FROM inventory_chunks WHERE entries = ?1"),
        insert_chunk(t, "INSERT INTO inventory_chunks(entries) VALUES(?1)"),
        chunk_entry(t, "INSERT INTO inventory_chunk_entries(entry_id, chunk_id) VALUES(?1, ?2)"),
        snapshot(t, "INSERT INTO inventory_snapshots(host_id, type_id, schema_version, capture_time, entry_count) "
                    "VALUES(?1, ?2, ?3, ?4, ?5)"),
        list(t, "INSERT INTO inventory_snapshot_lists(snapshot_id, entries) VALUES(?1, ?2)"),
        link_chunk(t, "INSERT INTO inventory_snapshot_chunks(snapshot_id, chunk_id) VALUES(?1, ?2)"),
        set_current(t, "INSERT OR REPLACE INTO inventory_current(host_id, type_id, snapshot_id) VALUES(?1, ?2, ?3)"),
        expired(t, "SELECT snapshot_id FROM inventory_snapshots WHERE host_id = ?1 AND type_id = ?2 "
                   "ORDER BY snapshot_id DESC LIMIT -1 OFFSET ?3"),
        drop_links(t, "DELETE FROM inventory_snapshot_entries WHERE snapshot_id = ?1"),
        drop_list(t, "DELETE FROM inventory_snapshot_lists WHERE snapshot_id = ?1"),
        drop_chunks(t, "DELETE FROM inventory_snapshot_chunks WHERE snapshot_id = ?1"),
        drop_snapshot(t, "DELETE FROM inventory_snapshots WHERE snapshot_id = ?1") {}

  // Drops the host's snapshots of a type beyond the newest `keep`.
  void trim_history(std::int64_t host, std::int64_t type, int keep) {
    expired.bind(1, host).bind(2, type).bind(3, keep);
    std::vector<std::int64_t> ids;
    while (expired.step()) ids.push_back(expired.integer(0));
    expired.reset();
    for (std::int64_t e : ids)
      for (Statement* drop : {&drop_links, &drop_list, &drop_chunks, &drop_snapshot}) drop->bind(1, e).run();
  }

  Transaction& tx;
  Statement upsert_host, find_host, find_entry, insert_entry, find_chunk, insert_chunk, chunk_entry;
  Statement snapshot, list, link_chunk, set_current;
  Statement expired, drop_links, drop_list, drop_chunks, drop_snapshot;
  // The list of the snapshot being written, kept to reuse its buffer.
  std::string entries;
};

void InventoryTables::forget_ids() const {
  m_type_ids.clear();
  m_entry_ids.clear();
  m_chunk_ids.clear();
}

std::int64_t InventoryTables::host_id(Writer& w, std::string_view name, std::string_view package_manager) {
  w.upsert_host.bind(1, name).bind(2, package_manager).run();
  w.find_host.bind(1, name);
  w.find_host.step();
  std::int64_t id = w.find_host.integer(0);
  w.find_host.reset();
  return id;
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

std::int64_t InventoryTables::entry_id(Writer& w, std::int64_t type, const InventoryRow& row) {
  entry_key(m_key, type, row);
  if (auto id = m_entry_ids.find(m_key)) return *id;
  std::string content = row_text(row);
  w.find_entry.bind(1, type).bind(2, content);
  std::optional<std::int64_t> found;
  if (w.find_entry.step()) found = w.find_entry.integer(0);
  w.find_entry.reset();
  if (!found) {
    auto name = row.find("Name");
    w.insert_entry.bind(1, type).bind(2, name == row.end() ? std::string() : name->second).bind(3, content).run();
    found = w.tx.last_insert_rowid();
  }
  m_entry_ids.insert(m_key, *found);
  return *found;
}

std::int64_t InventoryTables::chunk_id(Writer& w, const std::string& list, const std::int64_t* first,
                                       const std::int64_t* last) {
  if (auto id = m_chunk_ids.find(list)) return *id;
  w.find_chunk.bind_blob(1, list);
  std::optional<std::int64_t> found;
  if (w.find_chunk.step()) found = w.find_chunk.integer(0);
  w.find_chunk.reset();
  if (!found) {
    w.insert_chunk.bind_blob(1, list).run();
    found = w.tx.last_insert_rowid();
    for (const std::int64_t* e = first; e != last; ++e) w.chunk_entry.bind(1, *e).bind(2, *found).run();
  }
  m_chunk_ids.insert(list, *found);
  return *found;
}

void InventoryTables::link_chunks(Writer& w, std::int64_t snapshot, std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string list;
  std::size_t start = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    put_number(list, static_cast<std::uint64_t>(ids[i]));
    if (!ends_chunk(ids[i]) && i + 1 - start < k_chunk_max && i + 1 < ids.size()) continue;
    std::int64_t chunk = chunk_id(w, list, ids.data() + start, ids.data() + i + 1);
    w.link_chunk.bind(1, snapshot).bind(2, chunk).run();
    list.clear();
    start = i + 1;
  }
}

std::int64_t InventoryTables::write_item(Writer& w, std::int64_t host, const InventoryItemRef& item) {
  static const std::vector<InventoryRow> k_none;
  const std::vector<InventoryRow>& content = item.content ? *item.content : k_none;
  std::int64_t tid = type_id(w.tx, item.type_name);
  std::vector<std::int64_t> ids;
  ids.reserve(content.size());
  w.entries.clear();
  for (const InventoryRow& row : content) {
    ids.push_back(entry_id(w, tid, row));
    put_number(w.entries, static_cast<std::uint64_t>(ids.back()));
  }
  w.snapshot.bind(1, host).bind(2, tid).bind(3, item.schema_version).bind(4, item.capture_time);
  w.snapshot.bind(5, content.size()).run();
  std::int64_t sid = w.tx.last_insert_rowid();
  w.list.bind(1, sid).bind_blob(2, w.entries).run();
  link_chunks(w, sid, std::move(ids));
  w.set_current.bind(1, host).bind(2, tid).bind(3, sid).run();
  w.trim_history(host, tid, k_history);
  return tid;
}

void InventoryTables::write_one(Writer& w, const InventoryCollection& c) {
  std::int64_t hid = host_id(w, c.host, c.package_manager);
  std::set<std::int64_t> stored_types;
  for (const InventoryItemRef& item : c.items) stored_types.insert(write_item(w, hid, item));
  if (c.replace_custom) drop_unreported_custom(w.tx, hid, stored_types);
}

void InventoryTables::write(const InventoryCollection& collection) {
  bool retried = false;
  try {
    with_transaction(m_store, Access::write, [&](Transaction& tx) {
      if (retried) forget_ids();  // IDs made by a rolled-back attempt
      retried = true;
      Writer w(tx);
      write_one(w, collection);
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
      Writer w(tx);
      for (size_t i = 0; i < batch.size(); ++i) {
        try {
          Savepoint part(tx);
          write_one(w, batch[i]);
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
                "SELECT t.name, s.schema_version, s.capture_time, s.snapshot_id, l.entries FROM inventory_current c "
                "JOIN inventory_hosts h ON h.host_id = c.host_id JOIN inventory_types t ON t.type_id = c.type_id "
                "JOIN inventory_snapshots s ON s.snapshot_id = c.snapshot_id "
                "LEFT JOIN inventory_snapshot_lists l ON l.snapshot_id = s.snapshot_id "
                "WHERE h.name = ?1 AND (?2 = '' OR t.name = ?2) ORDER BY t.name");
    q.bind(1, host).bind(2, type_name);
    std::vector<InventorySnapshot> out;
    while (q.step())
      out.push_back({q.text(0), q.text(1), q.text(2), snapshot_rows(tx, q.integer(3), optional_blob(q, 4))});
    return out;
  });
}

std::vector<InventoryTypeHistory> InventoryTables::latest_two(const std::string& host) const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    Statement q(tx,
                "SELECT t.name, s.schema_version, s.capture_time, s.snapshot_id, p.schema_version, p.capture_time, "
                "  p.snapshot_id, sl.entries, pl.entries "
                "FROM inventory_current c JOIN inventory_hosts h ON h.host_id = c.host_id "
                "JOIN inventory_types t ON t.type_id = c.type_id "
                "JOIN inventory_snapshots s ON s.snapshot_id = c.snapshot_id "
                "LEFT JOIN inventory_snapshots p ON p.snapshot_id = "
                "  (SELECT max(x.snapshot_id) FROM inventory_snapshots x WHERE x.host_id = c.host_id "
                "     AND x.type_id = c.type_id AND x.snapshot_id < c.snapshot_id) "
                "LEFT JOIN inventory_snapshot_lists sl ON sl.snapshot_id = s.snapshot_id "
                "LEFT JOIN inventory_snapshot_lists pl ON pl.snapshot_id = p.snapshot_id "
                "WHERE h.name = ?1 ORDER BY t.name");
    q.bind(1, host);
    std::vector<InventoryTypeHistory> out;
    while (q.step()) {
      InventoryTypeHistory h;
      h.current = {q.text(0), q.text(1), q.text(2), snapshot_rows(tx, q.integer(3), optional_blob(q, 7))};
      if (!q.is_null(6))
        h.previous =
            InventorySnapshot{q.text(0), q.text(4), q.text(5), snapshot_rows(tx, q.integer(6), optional_blob(q, 8))};
      out.push_back(std::move(h));
    }
    return out;
  });
}

std::vector<InventoryHostRow> InventoryTables::hosts() const {
  return with_transaction(m_store, Access::read, [&](Transaction& tx) {
    // Both in host ID order, merged here: walking the name index and probing the current
    // snapshots for each host costs two lookups a host.
    Statement current(tx, "SELECT DISTINCT host_id FROM inventory_current ORDER BY host_id");
    Statement q(tx, "SELECT host_id, name, package_manager FROM inventory_hosts ORDER BY host_id");
    std::vector<InventoryHostRow> out;
    bool more = current.step();
    while (more && q.step()) {
      while (more && current.integer(0) < q.integer(0)) more = current.step();
      if (more && current.integer(0) == q.integer(0)) out.push_back({q.integer(0), q.text(1), q.text(2)});
    }
    std::sort(out.begin(), out.end(), [](const InventoryHostRow& a, const InventoryHostRow& b) { return a.name < b.name; });
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
    // The current snapshots of the entries' types, by snapshot: one pass over an index here
    // costs less than a lookup for each snapshot found below.
    Statement type_of(tx, "SELECT type_id FROM inventory_entries WHERE entry_id = ?1");
    Statement current(tx, "SELECT snapshot_id, host_id FROM inventory_current WHERE type_id = ?1");
    std::set<std::int64_t> types;
    std::unordered_map<std::int64_t, std::int64_t> host_of;
    for (std::int64_t e : entry_ids) {
      type_of.bind(1, e);
      if (type_of.step() && types.insert(type_of.integer(0)).second) {
        current.bind(1, type_of.integer(0));
        while (current.step()) host_of.emplace(current.integer(0), current.integer(1));
        current.reset();
      }
      type_of.reset();
    }
    // Snapshots holding the entry: through the chunks holding it, and (snapshots written
    // before lists existed) through their rows of links.
    Statement q(tx,
                "SELECT sc.snapshot_id FROM inventory_chunk_entries ce "
                "JOIN inventory_snapshot_chunks sc ON sc.chunk_id = ce.chunk_id WHERE ce.entry_id = ?1 "
                "UNION ALL SELECT snapshot_id FROM inventory_snapshot_entries WHERE entry_id = ?1");
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t e : entry_ids) {
      q.bind(1, e);
      while (q.step())
        if (auto it = host_of.find(q.integer(0)); it != host_of.end()) out.emplace_back(it->second, e);
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
    std::string path = "$.\"" + attribute + "\"";
    // Snapshots written before lists existed, through their rows of links.
    Statement links(tx,
                    "SELECT c.host_id, json_extract(e.content, ?2) FROM inventory_current c "
                    "JOIN inventory_snapshot_entries s ON s.snapshot_id = c.snapshot_id "
                    "JOIN inventory_entries e ON e.entry_id = s.entry_id WHERE c.type_id = ?1");
    links.bind(1, *tid).bind(2, path);
    while (links.step())
      if (!links.is_null(1)) out[links.integer(0)].insert(links.text(1));
    // The others through their lists, each entry's value read once.
    Statement lists(tx,
                    "SELECT c.host_id, l.entries FROM inventory_current c "
                    "JOIN inventory_snapshot_lists l ON l.snapshot_id = c.snapshot_id WHERE c.type_id = ?1");
    Statement value(tx, "SELECT json_extract(content, ?2) FROM inventory_entries WHERE entry_id = ?1");
    std::map<std::int64_t, std::optional<std::string>> values;
    lists.bind(1, *tid);
    while (lists.step()) {
      for (std::int64_t id : ids_of(lists.text(1))) {
        auto it = values.find(id);
        if (it == values.end()) {
          value.bind(1, id).bind(2, path);
          it = values.emplace(id, value.step() && !value.is_null(0) ? std::optional(value.text(0)) : std::nullopt).first;
          value.reset();
        }
        if (it->second) out[lists.integer(0)].insert(*it->second);
      }
    }
    return out;
  });
}

} // namespace sshm::store
