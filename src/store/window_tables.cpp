// The SQL of maintenance windows: one table per record kind, each row a JSON record.
#include "store/window_tables.hpp"

#include "store/sql.hpp"

#include <fmt/format.h>

namespace sshm::store {

namespace {

// The kind of record a row of window_records holds.
const char* kind_of(WindowTable t) {
  switch (t) {
  case WindowTable::windows: return "window";
  case WindowTable::targets: return "target";
  case WindowTable::tasks: return "task";
  case WindowTable::executions: return "execution";
  case WindowTable::task_executions: return "task_execution";
  case WindowTable::task_invocations: return "task_invocation";
  }
  return "window";
}


void delete_children(Transaction& tx, const std::string& window_id) {
  const char* const sql[] = {
      "DELETE FROM window_records WHERE kind = 'task_invocation' AND parent IN (SELECT id FROM window_records WHERE "
      "kind = 'task_execution' AND parent IN (SELECT id FROM window_records WHERE kind = 'execution' AND parent = ?1))",
      "DELETE FROM window_records WHERE kind = 'task_execution' AND parent IN (SELECT id FROM window_records WHERE "
      "kind = 'execution' AND parent = ?1)",
      "DELETE FROM window_records WHERE kind IN ('execution', 'task', 'target') AND parent = ?1",
  };
  for (const char* q : sql) {
    Statement s(tx, q);
    s.bind(1, window_id).run();
  }
}

} // namespace

void save_window_row(Store& store, WindowTable table, const WindowRow& row) {
  const char* sql =
      "INSERT INTO window_records (kind, id, parent, sort_key, body_json) VALUES (?5, ?1, ?2, ?3, ?4) "
      "ON CONFLICT(kind, id) DO UPDATE SET parent = excluded.parent, sort_key = excluded.sort_key, "
      "body_json = excluded.body_json";
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement s(tx, sql);
    s.bind(1, row.id).bind(2, row.parent).bind(3, row.sort_key).bind(4, json_text(row.body)).bind(5, kind_of(table));
    s.run();
  });
}

std::optional<WindowRow> find_window_row(const Store& store, WindowTable table, const std::string& id) {
  return with_transaction(store, Access::read, [&](Transaction& tx) -> std::optional<WindowRow> {
    Statement s(tx, "SELECT id, parent, sort_key, body_json FROM window_records WHERE kind = ?2 AND id = ?1");
    s.bind(1, id).bind(2, kind_of(table));
    if (!s.step()) return std::nullopt;
    return WindowRow{s.text(0), s.text(1), s.text(2), json_of(s.text(3))};
  });
}

std::vector<WindowRow> window_rows(const Store& store, WindowTable table, const std::string& parent) {
  const std::string sql =
      fmt::format("SELECT id, parent, sort_key, body_json FROM window_records WHERE kind = ?2 {} ORDER BY sort_key, rowid",
                  parent.empty() ? "" : "AND parent = ?1");
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, sql);
    if (!parent.empty()) s.bind(1, parent);
    s.bind(2, kind_of(table));
    std::vector<WindowRow> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), json_of(s.text(3))});
    return out;
  });
}

bool delete_window_row(Store& store, WindowTable table, const std::string& id) {
  return with_transaction(store, Access::write, [&](Transaction& tx) {
    bool found = false;
    {
      Statement q(tx, "SELECT 1 FROM window_records WHERE kind = ?2 AND id = ?1");
      q.bind(1, id).bind(2, kind_of(table));
      found = q.step();
    }
    if (!found) return false;
    if (table == WindowTable::windows) delete_children(tx, id);
    Statement s(tx, "DELETE FROM window_records WHERE kind = ?2 AND id = ?1");
    s.bind(1, id).bind(2, kind_of(table)).run();
    return true;
  });
}

} // namespace sshm::store
